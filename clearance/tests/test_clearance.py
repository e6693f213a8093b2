"""A truck through clearance: checks opened on arrival, inspections, the cleared transition."""

from __future__ import annotations

from datetime import datetime, time, timedelta

import pytest
from django.test import Client
from django.utils import timezone, translation

from audit.models import AuditEvent
from audit.services import verify_chain
from clearance import services
from clearance.choices import TO_VNACCS, Agency, Channel, CheckKind, CheckStatus, InspectionResult
from clearance.models import Check, CheckRule, Clearance
from cuakhau.errors import Conflict, InvalidInput, NotAllowed, NotFound
from cuakhau.testing import World, customs_number, declare, officer_for, pass_checks, walk_to
from gates.models import HoursException
from gates.services import hours_on
from notifications.models import Notification
from shipments import services as shipments
from shipments.choices import TruckState
from shipments.models import Declaration

pytestmark = pytest.mark.django_db


def _arrived(world: World, **overrides: object) -> Declaration:
    return walk_to(declare(world, **overrides), world, TruckState.ARRIVED)


def _check(declaration: Declaration, agency: str) -> Check:
    return Check.objects.get(
        declaration=declaration, agency=agency, status__in=["open", "on_hold", "passed"]
    )


def _inspect(check: Check, who: object, result: str, notes: str = "") -> Check:
    return services.do_record_inspection(
        check_id=check.pk,
        actor=who,  # type: ignore[arg-type]
        data=services.InspectionInput(result=result, notes=notes),
    )


def test_arrival_opens_the_checks_the_rules_require(world: World) -> None:
    fruit = _arrived(world)
    agencies = set(fruit.checks.values_list("agency", flat=True))
    assert agencies == {Agency.CUSTOMS, Agency.PLANT_QUARANTINE, Agency.BORDER_GUARD}
    clearance = Clearance.objects.get(declaration=fruit)
    # No VNACCS channel was recorded: customs waits for it; cuakhau's rules only advise.
    customs = _check(fruit, Agency.CUSTOMS)
    assert customs.kind == CheckKind.AWAITING_CHANNEL and customs.due_at is None
    assert clearance.channel == ""
    assert clearance.advised_channel in Channel.values
    # Every matching rule is explained with its rate and this declaration's draw.
    codes = {hit["rule"] for hit in clearance.explanation}
    assert {"random-red", "random-yellow", "random-post-audit"} <= codes

    fish = _arrived(
        world,
        direction="import",
        lines=[
            shipments.LineInput(
                commodity="fresh-fish", hs_heading="0302", weight_kg="9000", value_usd="27000"
            )
        ],
    )
    assert set(fish.checks.values_list("agency", flat=True)) == {
        Agency.CUSTOMS,
        Agency.ANIMAL_QUARANTINE,
        Agency.BORDER_GUARD,
    }
    assert "seafood-import" in {hit["rule"] for hit in fish.clearance.explanation}

    steel = _arrived(
        world,
        lines=[
            shipments.LineInput(
                commodity="hot-rolled-steel",
                hs_heading="7208",
                weight_kg="25000",
                value_usd="15000",
            )
        ],
    )
    assert set(steel.checks.values_list("agency", flat=True)) == {
        Agency.CUSTOMS,
        Agency.BORDER_GUARD,
    }


def test_cleared_only_after_every_required_check_and_then_automatically(world: World) -> None:
    declaration = _arrived(world, customs_declaration_number=customs_number(), customs_channel="2")
    assert _check(declaration, Agency.CUSTOMS).kind == CheckKind.DOCUMENTS
    # Customs cannot clear by hand while quarantine and the border guard have not passed it.
    with pytest.raises(Conflict) as refused, translation.override("en"):
        shipments.do_transition(
            declaration_id=declaration.pk, transition="clear", actor=world.customs_hn
        )
    assert refused.value.code == "checks_pending"
    assert "Plant quarantine" in str(refused.value.message)

    pending = list(Check.objects.filter(declaration=declaration, status=CheckStatus.OPEN))
    for check in pending[:-1]:
        _inspect(check, officer_for(check, world), InspectionResult.PASS)
        declaration.refresh_from_db()
        assert declaration.state == TruckState.ARRIVED
    last = pending[-1]
    _inspect(last, officer_for(last, world), InspectionResult.PASS)
    declaration.refresh_from_db()
    assert declaration.state == TruckState.CLEARED
    change = declaration.history.get(transition="clear")
    assert change.actor_label.startswith("system:clearance")
    assert change.actor is None
    assert AuditEvent.objects.filter(action="check.inspected").count() == len(pending)
    assert verify_chain()[1] is None
    assert Notification.objects.filter(
        recipient=world.owner, declaration=declaration, kind="clearance.cleared"
    ).exists()


def test_a_failed_quarantine_rejects_the_truck_and_tells_the_declarant(world: World) -> None:
    world.owner.preferred_language = "en"
    world.owner.save()
    declaration = _arrived(world)
    quarantine = _check(declaration, Agency.PLANT_QUARANTINE)
    with pytest.raises(InvalidInput) as missing:
        _inspect(quarantine, world.quarantine_hn, InspectionResult.FAIL)
    assert "notes" in missing.value.fields
    _inspect(quarantine, world.quarantine_hn, InspectionResult.FAIL, "Fruit fly larvae found")
    declaration.refresh_from_db()
    assert declaration.state == TruckState.REJECTED
    assert "Fruit fly larvae found" in declaration.history.get(transition="reject").reason
    # The other agencies' checks leave their worklists.
    assert not Check.objects.filter(declaration=declaration, status=CheckStatus.OPEN).exists()
    note = Notification.objects.get(recipient=world.owner, kind="clearance.rejected")
    assert note.language == "en"
    assert "Fruit fly larvae found" in note.body
    assert "rejected by Plant quarantine" in note.subject
    assert not Notification.objects.filter(recipient=world.outsider).exists()


def test_treatment_puts_the_check_on_hold_until_re_inspected(world: World) -> None:
    declaration = _arrived(world)
    quarantine = _check(declaration, Agency.PLANT_QUARANTINE)
    _inspect(quarantine, world.quarantine_hn, InspectionResult.TREATMENT, "Fumigate the load")
    quarantine.refresh_from_db()
    assert quarantine.status == CheckStatus.ON_HOLD
    assert Notification.objects.filter(recipient=world.owner, kind="clearance.treatment").exists()
    pass_checks(declaration, world)
    declaration.refresh_from_db()
    assert declaration.state == TruckState.CLEARED
    assert list(quarantine.inspections.values_list("result", flat=True)) == ["treatment", "pass"]


def test_only_the_agency_at_that_gate_records_its_check(world: World) -> None:
    declaration = _arrived(world)
    quarantine = _check(declaration, Agency.PLANT_QUARANTINE)
    with pytest.raises(NotAllowed):
        _inspect(quarantine, world.guard_hn, InspectionResult.PASS)
    with pytest.raises(NotFound):
        _inspect(quarantine, world.customs_cm, InspectionResult.PASS)
    with pytest.raises(NotFound):
        _inspect(quarantine, world.outsider, InspectionResult.PASS)
    with pytest.raises(NotAllowed):
        _inspect(quarantine, world.owner, InspectionResult.PASS)
    _inspect(quarantine, world.quarantine_hn, InspectionResult.PASS)
    with pytest.raises(Conflict) as closed:
        _inspect(quarantine, world.quarantine_hn, InspectionResult.PASS)
    assert closed.value.code == "check_closed"
    assert quarantine.inspections.count() == 1


def test_bad_inspection_input_names_the_field_and_changes_nothing(world: World) -> None:
    declaration = _arrived(world)
    check = _check(declaration, Agency.BORDER_GUARD)
    cases = [
        (services.InspectionInput(result="maybe"), "result"),
        (
            services.InspectionInput(result="pass", started_at=timezone.now() + timedelta(hours=5)),
            "started_at",
        ),
        (
            services.InspectionInput(
                result="pass", started_at=check.opened_at - timedelta(hours=1)
            ),
            "started_at",
        ),
        (services.InspectionInput(result="reinspect", notes="  "), "notes"),
    ]
    for data, field in cases:
        with pytest.raises(InvalidInput) as info:
            services.do_record_inspection(check_id=check.pk, actor=world.guard_hn, data=data)
        assert field in info.value.fields
    check.refresh_from_db()
    assert check.status == CheckStatus.OPEN
    assert not check.inspections.exists()


def test_the_vnaccs_channel_is_recorded_then_changed_by_customs_with_a_reason(
    world: World,
) -> None:
    declaration = _arrived(world)
    customs = _check(declaration, Agency.CUSTOMS)
    # Customs cannot inspect before the channel VNACCS assigned is known.
    with pytest.raises(Conflict) as waiting:
        _inspect(customs, world.customs_hn, InspectionResult.PASS)
    assert waiting.value.code == "channel_missing"
    number = customs_number()
    with pytest.raises(InvalidInput) as bad:
        services.do_record_customs_channel(
            actor=world.customs_hn, reference=declaration.reference, channel="4", number="12"
        )
    assert set(bad.value.fields) == {"customs_channel", "customs_declaration_number"}
    with pytest.raises(InvalidInput) as no_code:
        services.do_record_customs_channel(
            actor=world.customs_hn, reference=declaration.reference, channel="2", number=number
        )
    assert set(no_code.value.fields) == {"procedure_code"}
    with pytest.raises(NotAllowed):
        services.do_record_customs_channel(
            actor=world.quarantine_hn, reference=declaration.reference, channel="2", number=number
        )
    with pytest.raises(NotFound):
        services.do_record_customs_channel(
            actor=world.customs_cm, reference=declaration.reference, channel="2", number=number
        )
    # The truck is in the yard: the declarant no longer records a channel, customs does.
    with pytest.raises(NotAllowed):
        services.do_record_customs_channel(
            actor=world.owner,
            reference=declaration.reference,
            channel="2",
            number=number,
            procedure_code="B11",
        )
    services.do_record_customs_channel(
        actor=world.customs_hn,
        reference=declaration.reference,
        channel="2",
        number=number,
        procedure_code="B11",
    )
    declaration.refresh_from_db()
    assert (declaration.customs_channel, declaration.customs_declaration_number) == ("2", number)
    assert declaration.clearance.channel == Channel.YELLOW
    documents = _check(declaration, Agency.CUSTOMS)
    assert documents.kind == CheckKind.DOCUMENTS
    # A change (chuyển luồng) needs a reason; customs turns it red: the documents check no one
    # started is replaced by an inspection (withdrawn, still listed), and it is audited.
    with pytest.raises(InvalidInput) as no_reason:
        services.do_record_customs_channel(
            actor=world.customs_hn, reference=declaration.reference, channel="3"
        )
    assert "reason" in no_reason.value.fields
    services.do_record_customs_channel(
        actor=world.customs_hn,
        reference=declaration.reference,
        channel="3",
        reason="VNACCS changed the channel after a tip-off",
    )
    declaration.refresh_from_db()
    assert declaration.clearance.channel == Channel.RED
    assert declaration.clearance.overridden_by == world.customs_hn
    assert declaration.clearance.override_reason == "VNACCS changed the channel after a tip-off"
    documents.refresh_from_db()
    assert documents.status == CheckStatus.WITHDRAWN
    events = AuditEvent.objects.filter(action="customs_declaration.channel").order_by("seq")
    assert [((e.before or {}).get("channel", ""), e.after["channel"]) for e in events] == [
        ("", "2"),
        ("2", "3"),
    ]
    assert events.last().after["reason"] == "VNACCS changed the channel after a tip-off"
    assert events.last().after["trips"] == [declaration.reference]
    # The declarant is told, in their language.
    told = Notification.objects.get(recipient=world.owner, kind="clearance.channel_changed")
    assert number in told.subject and "VNACCS changed the channel" in told.body
    # Once customs has recorded its finding, a lower channel changes nothing on that check:
    # customs decides on the checks it started.
    quarantine = _check(declaration, Agency.PLANT_QUARANTINE)
    _inspect(quarantine, world.quarantine_hn, InspectionResult.PASS)
    red = _check(declaration, Agency.CUSTOMS)
    _inspect(red, world.customs_hn, InspectionResult.PASS)
    services.do_record_customs_channel(
        actor=world.customs_hn,
        reference=declaration.reference,
        channel="1",
        reason="re-assessed",
    )
    red.refresh_from_db()
    assert (red.kind, red.status) == (CheckKind.PARTIAL_INSPECTION, CheckStatus.PASSED)
    assert Check.objects.filter(declaration=declaration, agency=Agency.CUSTOMS).count() == 2


def test_a_red_inspections_clock_starts_when_quarantine_has_its_result(world: World) -> None:
    """Where a specialised check such as quarantine applies, the physical inspection's time
    limit runs from its result (docs/sources.md, "Customs channels")."""
    declaration = _arrived(world, customs_declaration_number=customs_number(), customs_channel="3")
    red = _check(declaration, Agency.CUSTOMS)
    assert red.kind == CheckKind.PARTIAL_INSPECTION
    assert red.due_at is None
    quarantine = _check(declaration, Agency.PLANT_QUARANTINE)
    _inspect(quarantine, world.quarantine_hn, InspectionResult.PASS)
    red.refresh_from_db()
    quarantine.refresh_from_db()
    assert red.due_at is not None
    assert red.due_at == services.due_at(
        gate=declaration.gate, flow=declaration.flow, start=quarantine.closed_at, kind=red.kind
    )
    # Without a specialised check the clock runs from arrival.
    steel = _red(world)
    assert _check(steel, Agency.CUSTOMS).due_at is not None


def test_the_board_switches_the_health_check_on(world: World) -> None:
    before = _arrived(world)
    assert not before.checks.filter(agency=Agency.HEALTH).exists()
    with pytest.raises(NotAllowed):
        services.do_set_check_rule(
            actor=world.customs_hn, code="health", active=True, reason="epidemic"
        )
    with pytest.raises(InvalidInput):
        services.do_set_check_rule(actor=world.board, code="health", active=True, reason=" ")
    services.do_set_check_rule(
        actor=world.board, code="health", active=True, reason="Provincial epidemic order"
    )
    assert CheckRule.objects.get(code="health").is_active
    after = _arrived(world, vehicle_plate="29C-555.66")
    assert after.checks.filter(agency=Agency.HEALTH, status=CheckStatus.OPEN).exists()
    assert AuditEvent.objects.filter(action="check_rule.switched").count() == 1


def test_cancelling_withdraws_the_pending_checks(world: World) -> None:
    declaration = _arrived(world)
    shipments.do_transition(
        declaration_id=declaration.pk, transition="cancel", actor=world.owner, reason="buyer left"
    )
    statuses = set(declaration.checks.values_list("status", flat=True))
    assert CheckStatus.OPEN not in statuses
    assert CheckStatus.WITHDRAWN in statuses


def test_due_times_count_the_gates_working_hours(world: World) -> None:
    huu_nghi = world.gates["huu-nghi"]
    tz = timezone.get_current_timezone()

    def exit_hours(day):  # type: ignore[no-untyped-def]
        return next(h for h in hours_on(huu_nghi, day) if h.flow == "exit")

    # An open day at Hữu Nghị (holidays close it), then a closure the day after.
    day = timezone.localdate() + timedelta(days=3)
    while not exit_hours(day).is_open:
        day += timedelta(days=1)
    today = exit_hours(day)
    assert today.opens is not None and today.closes is not None
    start = datetime.combine(day, time(16, 0), tz)
    HoursException.objects.create(
        gate=huu_nghi, date=day + timedelta(days=1), closed=True, reason="Closure for the test"
    )
    due = services.due_at(
        gate=huu_nghi, flow="exit", start=start, kind=CheckKind.PARTIAL_INSPECTION
    )
    assert due is not None
    closes = datetime.combine(day, today.closes, tz)
    used_today = closes - start
    # The rest of the 8 working hours falls on the first open day after the closure.
    later = day + timedelta(days=2)
    while not exit_hours(later).is_open:
        later += timedelta(days=1)
    following = exit_hours(later)
    assert following.opens is not None
    expected = datetime.combine(later, following.opens, tz) + (timedelta(hours=8) - used_today)
    assert due == expected
    # Calendar limits ignore the hours.
    assert services.due_at(
        gate=huu_nghi, flow="exit", start=start, kind=CheckKind.IMMIGRATION
    ) == start + timedelta(hours=1)


def test_demo_backlog_gets_its_checks(world: World) -> None:
    declaration = walk_to(declare(world), world, TruckState.ADMITTED)
    # As the bulk import does: the truck is in the yard without having run the arrive effect.
    Declaration.objects.filter(pk=declaration.pk).update(
        state=TruckState.ARRIVED, state_changed_at=timezone.now()
    )
    assert services.open_backlog() == 1
    assert services.open_backlog() == 0
    assert Check.objects.filter(declaration=declaration).count() == 3


def _red(world: World) -> Declaration:
    """Steel registered in the red channel: no quarantine, so the inspection's clock runs."""
    return _arrived(
        world,
        customs_declaration_number=customs_number(),
        customs_channel="3",
        lines=[
            shipments.LineInput(
                commodity="hot-rolled-steel",
                hs_heading="7208",
                weight_kg="25000",
                value_usd="15000",
            )
        ],
    )


def test_customs_widens_a_partial_inspection_to_a_full_one(world: World) -> None:
    declaration = _red(world)
    check = Check.objects.get(declaration=declaration, agency=Agency.CUSTOMS, status="open")
    assert check.kind == CheckKind.PARTIAL_INSPECTION
    partial_due = check.due_at
    with pytest.raises(InvalidInput):
        services.do_escalate_to_full(check_id=check.pk, actor=world.customs_hn, reason=" ")
    with pytest.raises(NotAllowed):
        services.do_escalate_to_full(check_id=check.pk, actor=world.quarantine_hn, reason="x")
    with pytest.raises(NotFound):
        services.do_escalate_to_full(check_id=check.pk, actor=world.customs_cm, reason="x")
    services.do_escalate_to_full(
        check_id=check.pk, actor=world.customs_hn, reason="Seals broken; unload everything"
    )
    check.refresh_from_db()
    assert check.kind == CheckKind.FULL_INSPECTION
    assert check.due_at is not None and partial_due is not None and check.due_at > partial_due
    event = AuditEvent.objects.get(action="check.escalated")
    assert event.after["reason"] == "Seals broken; unload everything"
    with pytest.raises(Conflict):
        services.do_escalate_to_full(check_id=check.pk, actor=world.customs_hn, reason="again")


def test_no_blue_channel_post_clearance_audit_is_a_separate_list(world: World) -> None:
    assert "blue" not in Channel.values
    declaration = _arrived(world)
    # The rules' own draw may have picked it (2 % at random): start from "not advised".
    Clearance.objects.filter(declaration=declaration).update(post_clearance_audit=False)
    assert services.post_clearance_audits(actor=world.customs_hn).count() == 0
    # Advice for post-clearance audit comes from cuakhau's rules, beside the channel.
    Clearance.objects.filter(declaration=declaration).update(post_clearance_audit=True)
    listed = list(services.post_clearance_audits(actor=world.customs_hn))
    assert [c.declaration_id for c in listed] == [declaration.pk]
    assert list(services.post_clearance_audits(actor=world.customs_cm)) == []
    assert list(services.post_clearance_audits(actor=world.quarantine_hn)) == []


def test_the_report_shows_where_the_advice_and_vnaccs_disagree(world: World) -> None:
    trucks = [_arrived(world) for _ in range(3)]
    advised = [t.clearance.advised_channel for t in trucks]
    # VNACCS agrees with the advice on the first truck and not on the other two.
    codes = [TO_VNACCS[advised[0]]] + [
        TO_VNACCS[Channel.RED if a != Channel.RED else Channel.YELLOW] for a in advised[1:]
    ]
    for truck, code in zip(trucks, codes, strict=True):
        services.do_record_customs_channel(
            actor=world.customs_hn,
            reference=truck.reference,
            channel=code,
            number=customs_number(),
            procedure_code="B11",
        )
    report = services.advice_report(actor=world.customs_hn)
    assert (report["total"], report["agree"]) == (3, 1)
    assert {c.declaration_id for c in report["disagreeing"]} == {t.pk for t in trucks[1:]}
    assert sum(report["counts"].values()) == 3
    with pytest.raises(NotAllowed):
        services.advice_report(actor=world.quarantine_hn)
    assert services.advice_report(actor=world.customs_cm)["total"] == 0
    web = Client()
    web.force_login(world.customs_hn)
    page = web.get("/clearance/advice/").content.decode()
    for truck in trucks[1:]:
        assert truck.reference in page
    assert trucks[0].reference not in page
