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


def _write(path, marks) -> str:  # type: ignore[no-untyped-def]
    path.write_text("".join(m.to_json() + "\n" for m in marks))
    return str(path)


def test_truncate_is_refused_and_detected_with_a_checkpoint(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Issue 11, finding 7: TRUNCATE of both tables once reported "intact: 0 events"."""
    events = _three_events()
    mark = audit.checkpoint()
    assert mark.seq == events[-1].seq and mark.hash == events[-1].hash
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # Deferred foreign-key checks of this test's own inserts would block any TRUNCATE.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            with pytest.raises(DatabaseError, match="cannot be truncated"), transaction.atomic():
                cursor.execute("SET LOCAL cuakhau.allow_audit_truncate = 'off'")
                cursor.execute("TRUNCATE audit_auditevent, audit_audithead")
            assert AuditEvent.objects.count() == 3
            # An owner can disable the triggers; the checkpoint still tells.
            cursor.execute("ALTER TABLE audit_auditevent DISABLE TRIGGER audit_event_no_truncate")
            cursor.execute("ALTER TABLE audit_audithead DISABLE TRIGGER audit_head_no_truncate")
            cursor.execute("TRUNCATE audit_auditevent, audit_audithead")
            cursor.execute("ALTER TABLE audit_auditevent ENABLE TRIGGER audit_event_no_truncate")
            cursor.execute("ALTER TABLE audit_audithead ENABLE TRIGGER audit_head_no_truncate")
        else:
            # SQLite has no TRUNCATE: emptying both tables is the same attack.
            cursor.execute("DELETE FROM audit_auditevent")
            cursor.execute("DELETE FROM audit_audithead")
    assert audit.verify_chain() == (0, None)  # the chain alone cannot tell
    count, broken = audit.verify_chain([mark])
    assert count == 0 and broken is not None
    assert broken.seq == 1 and "gone" in broken.reason
    with pytest.raises(CommandError, match="row #1"):
        call_command("verify_audit", checkpoint=[_write(tmp_path / "marks.jsonl", [mark])])


def test_a_chain_hashed_again_after_a_change_is_detected_with_a_checkpoint(tmp_path) -> None:  # type: ignore[no-untyped-def]
    events = _three_events()
    first = audit.checkpoint()
    more = [
        audit.record(action="t", object_type="t", object_id=str(n), actor_label="system:test")
        for n in range(3)
    ]
    second = audit.checkpoint(first)
    # The attacker changes row 5 and re-hashes 5 and 6 and the head: the chain is consistent.
    target = more[1].seq
    prev = AuditEvent.objects.get(seq=target - 1).hash
    for event in AuditEvent.objects.filter(seq__gte=target).order_by("seq"):
        if event.seq == target:
            event.after = {"n": "forged"}
        event.prev_hash = prev
        event.hash = event.compute_hash()
        _tamper(
            "UPDATE audit_auditevent SET after = %s, prev_hash = %s, hash = %s WHERE seq = %s",
            [json_dumps(event.after), event.prev_hash, event.hash, event.seq],
        )
        prev = event.hash
    with connection.cursor() as cursor:
        cursor.execute("UPDATE audit_audithead SET last_hash = %s WHERE id = 1", [prev])
    assert audit.verify_chain()[1] is None  # consistent without the checkpoint
    _count, broken = audit.verify_chain([first, second])
    assert broken is not None
    # The change lies after the first checkpoint (which still matches) and by the second.
    assert broken.seq == first.seq + 1 == events[-1].seq + 1
    assert f"#{second.seq}" in broken.reason
    path = _write(tmp_path / "marks.jsonl", [first, second])
    with pytest.raises(CommandError, match=f"row #{first.seq + 1}"):
        call_command("verify_audit", checkpoint=[path])


def test_a_forged_row_appended_is_named_exactly() -> None:
    events = _three_events()
    forged = AuditEvent(
        seq=events[-1].seq + 1,
        at=events[-1].at,
        actor_label="system:forger",
        action="forged",
        object_type="t",
        object_id="x",
        request_id="",
        prev_hash=events[-1].hash,
    )
    forged.hash = forged.compute_hash()
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO audit_auditevent (seq, at, actor_label, action, object_type, object_id,"
            " before, after, request_id, prev_hash, hash) VALUES"
            " (%s, %s, %s, %s, %s, %s, NULL, NULL, %s, %s, %s)",
            [
                forged.seq,
                forged.at,
                forged.actor_label,
                forged.action,
                forged.object_type,
                forged.object_id,
                "",
                forged.prev_hash,
                forged.hash,
            ],
        )
    broken = audit.verify_chain()[1]
    assert broken is not None and broken.seq == forged.seq, broken


def test_audit_checkpoint_command_appends_lines(tmp_path) -> None:  # type: ignore[no-untyped-def]
    _three_events()
    path = tmp_path / "marks.jsonl"
    call_command("audit_checkpoint", append=str(path))
    audit.record(action="t", object_type="t", object_id="9", actor_label="system:test")
    call_command("audit_checkpoint", append=str(path))
    marks = [audit.Checkpoint.from_json(line) for line in path.read_text().splitlines()]
    assert [m.seq for m in marks] == [3, 4] and marks[1].previous_seq == 3
    call_command("verify_audit", checkpoint=[str(path)])


def json_dumps(value) -> str:  # type: ignore[no-untyped-def]
    import json

    return json.dumps(value)
