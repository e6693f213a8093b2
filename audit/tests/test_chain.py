import itertools

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction

from audit import services as audit
from audit.models import AppendOnlyError, AuditEvent, AuditHead
from cuakhau.testing import World, declare

pytestmark = pytest.mark.django_db


def _three_events() -> list[AuditEvent]:
    return [
        audit.record(
            action="test.event",
            object_type="test",
            object_id=str(n),
            after={"n": n},
            actor_label="system:test",
        )
        for n in range(3)
    ]


def test_events_are_chained(world: World) -> None:
    declare(world)
    events = list(AuditEvent.objects.order_by("seq"))
    assert events[0].prev_hash == "0" * 64
    for before, after in itertools.pairwise(events):
        assert after.prev_hash == before.hash and after.seq == before.seq + 1
    assert audit.verify_chain() == (len(events), None)
    call_command("verify_audit")


def test_decimals_and_floats_survive_the_round_trip() -> None:
    from decimal import Decimal

    audit.record(
        action="t",
        object_type="t",
        object_id="1",
        after={"usd": Decimal("1.10"), "f": 0.1},
        actor_label="system:test",
    )
    assert audit.verify_chain()[1] is None


def _tamper(sql: str, params: list) -> None:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # An attacker with owner rights disables the trigger first; the chain still tells.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("ALTER TABLE audit_auditevent DISABLE TRIGGER audit_event_append_only")
        cursor.execute(sql, params)


def test_altering_a_row_is_detected() -> None:
    events = _three_events()
    _tamper("UPDATE audit_auditevent SET after = %s WHERE seq = %s", ['{"n": 99}', events[1].seq])
    _count, broken = audit.verify_chain()
    assert broken is not None and broken.seq == events[1].seq
    with pytest.raises(CommandError, match=f"row #{events[1].seq}"):
        call_command("verify_audit")


def test_deleting_a_middle_row_is_detected() -> None:
    events = _three_events()
    _tamper("DELETE FROM audit_auditevent WHERE seq = %s", [events[1].seq])
    assert audit.verify_chain()[1].seq == events[1].seq  # type: ignore[union-attr]


def test_deleting_the_last_row_is_detected() -> None:
    events = _three_events()
    _tamper("DELETE FROM audit_auditevent WHERE seq = %s", [events[2].seq])
    broken = audit.verify_chain()[1]
    assert broken is not None and broken.seq == events[2].seq


def test_rehashing_a_row_breaks_the_next_link() -> None:
    events = _three_events()
    forged = AuditEvent.objects.get(seq=events[0].seq)
    forged.after = {"n": 42}
    new_hash = forged.compute_hash()
    _tamper(
        "UPDATE audit_auditevent SET after = %s, hash = %s WHERE seq = %s",
        ['{"n": 42}', new_hash, events[0].seq],
    )
    assert audit.verify_chain()[1].seq == events[1].seq  # type: ignore[union-attr]


def test_no_code_path_updates_or_deletes() -> None:
    event = _three_events()[0]
    with pytest.raises(AppendOnlyError):
        event.save()
    with pytest.raises(AppendOnlyError):
        event.delete()
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.filter(pk=event.pk).update(action="x")
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.all().delete()


def test_database_trigger_refuses_sql_updates_on_postgresql() -> None:
    event = _three_events()[0]
    if connection.vendor != "postgresql":
        # SQLite, the demo database, has no trigger (Django's test flush deletes rows there).
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM sqlite_master WHERE type = 'trigger'")
            assert cursor.fetchone()[0] == 0
        return
    for sql in (
        "UPDATE audit_auditevent SET action = 'x' WHERE id = %s",
        "DELETE FROM audit_auditevent WHERE id = %s",
    ):
        with (
            pytest.raises(DatabaseError, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(sql, [event.pk])


def test_head_follows_the_chain() -> None:
    events = _three_events()
    head = AuditHead.objects.get()
    assert (head.last_seq, head.last_hash) == (events[-1].seq, events[-1].hash)


def test_work_without_a_user_must_name_its_actor() -> None:
    with pytest.raises(ValueError):
        audit.record(action="x", object_type="t", object_id="1")
