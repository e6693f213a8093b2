import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from audit.services import verify_chain
from cuakhau.errors import Conflict, DomainError
from cuakhau.testing import World, declare, walk_to
from shipments import lifecycle, services
from shipments.choices import TERMINAL_STATES, TruckState
from shipments.models import StateChange

pytestmark = pytest.mark.django_db

PERSONAS = [
    "owner",
    "outsider",
    "yard_hn",
    "customs_hn",
    "quarantine_hn",
    "guard_hn",
    "customs_cm",
    "board",
]
EXPECTED = {
    "declared": {"admitted", "cancelled", "rejected"},
    "admitted": {"arrived", "cancelled", "rejected"},
    "arrived": {"cleared", "cancelled", "rejected"},
    "cleared": {"called", "cancelled", "rejected"},
    "called": {"crossed", "cancelled", "rejected"},
    "crossed": {"returned"},
    "returned": set(),
    "cancelled": set(),
    "rejected": set(),
}


def test_the_table_allows_exactly_the_documented_moves() -> None:
    assert {state: set(targets) for state, targets in lifecycle.ALLOWED.items()} == EXPECTED
    for state in TERMINAL_STATES:
        assert not lifecycle.ALLOWED[state]


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    moves=st.lists(
        st.tuples(
            st.sampled_from(sorted(lifecycle.TRANSITIONS)),
            st.sampled_from(PERSONAS),
            st.sampled_from(["", "a reason"]),
        ),
        max_size=12,
    )
)
def test_no_sequence_of_calls_leaves_the_allowed_transitions(world: World, moves: list) -> None:
    personas = world.personas()
    with transaction.atomic():
        declaration = declare(world)
        state = declaration.state
        for name, who, reason in moves:
            try:
                declaration = services.do_transition(
                    declaration_id=declaration.pk,
                    transition=name,
                    actor=personas[who],
                    reason=reason,
                )
            except DomainError:
                declaration.refresh_from_db()
                assert declaration.state == state  # a refused move changes nothing
                continue
            assert declaration.state in lifecycle.ALLOWED[state]
            assert personas[who].role in lifecycle.TRANSITIONS[name].roles
            state = declaration.state
        history = list(StateChange.objects.filter(declaration=declaration).order_by("at", "pk"))
        previous = TruckState.DECLARED
        for change in history:
            assert change.from_state == previous
            assert change.to_state in lifecycle.ALLOWED[change.from_state]
            previous = change.to_state
        assert previous == declaration.state
        assert verify_chain()[1] is None
        transaction.set_rollback(True)


def test_happy_path_to_returned(world: World) -> None:
    declaration = walk_to(declare(world), world, TruckState.RETURNED)
    steps = list(declaration.history.values_list("transition", flat=True))
    assert steps == ["admit", "arrive", "clear", "call", "cross", "return"]


def test_guard_can_refuse_and_effect_runs_in_the_transaction(world: World) -> None:
    calls: list[str] = []

    def no_admission_on_sunday(declaration, move, actor):  # type: ignore[no-untyped-def]
        raise Conflict("no slot", code="no_slot")

    def notify(declaration, move, actor):  # type: ignore[no-untyped-def]
        calls.append(declaration.reference)

    declaration = declare(world)
    lifecycle.register_guard("admit", no_admission_on_sunday)
    try:
        with pytest.raises(DomainError) as info:
            services.do_transition(
                declaration_id=declaration.pk, transition="admit", actor=world.board
            )
        assert info.value.code == "no_slot"
    finally:
        lifecycle._guards["admit"].remove(no_admission_on_sunday)
    lifecycle.register_effect("admit", notify)
    try:
        services.do_transition(declaration_id=declaration.pk, transition="admit", actor=world.board)
    finally:
        lifecycle._effects["admit"].remove(notify)
    assert calls == [declaration.reference]


def test_failing_effect_undoes_the_move(world: World) -> None:
    def broken(declaration, move, actor):  # type: ignore[no-untyped-def]
        raise RuntimeError("notification service down")

    declaration = declare(world)
    lifecycle.register_effect("admit", broken)
    try:
        with pytest.raises(RuntimeError):
            services.do_transition(
                declaration_id=declaration.pk, transition="admit", actor=world.board
            )
    finally:
        lifecycle._effects["admit"].remove(broken)
    declaration.refresh_from_db()
    assert declaration.state == "declared"
    assert not declaration.history.exists()


def test_system_actor_must_name_itself(world: World) -> None:
    declaration = declare(world)
    with pytest.raises(ValueError, match="system"):
        services.do_transition(declaration_id=declaration.pk, transition="admit", actor=None)
    moved = services.do_transition(
        declaration_id=declaration.pk,
        transition="admit",
        actor=None,
        actor_label="system:admission",
    )
    assert moved.history.get().actor_label == "system:admission"
