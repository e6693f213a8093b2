"""Writing and verifying the audit chain.

Services call :func:`record` inside their own transaction, so an audit row exists exactly when the
change it describes was committed. Work done outside a request (commands, devices, schedulers)
passes an ``actor_label`` such as ``system:demo`` or ``device:cam-hn-01``; nothing depends on a
request being present.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models, transaction
from django.utils import timezone

from audit.models import GENESIS_HASH, AuditEvent, AuditHead, chain_hash
from cuakhau.bulk import fast_insert
from cuakhau.middleware import current_request_id

if TYPE_CHECKING:
    from accounts.models import User


@dataclass(frozen=True)
class Entry:
    """One audit event to append, before it is numbered and hashed."""

    action: str
    object_type: str
    object_id: str
    before: Any = None
    after: Any = None
    actor: User | None = None
    actor_label: str = ""
    at: datetime | None = None
    request_id: str = ""


def object_ref(obj: models.Model) -> tuple[str, str]:
    return obj._meta.label_lower, str(obj.pk)


def actor_label_for(actor: User | None, fallback: str) -> str:
    if actor is not None:
        return f"user:{actor.get_username()}"
    if not fallback or ":" not in fallback:
        raise ValueError("Work without a user must name its actor as 'system:…' or 'device:…'")
    return fallback


def _jsonable(value: Any) -> Any:
    """Normalise to what the JSON column returns, so the hash is the same after a round trip.

    Floats become strings: PostgreSQL's jsonb may print a float differently from Python.
    """
    if value is None:
        return None
    if _is_plain(value):
        return value
    loaded = json.loads(json.dumps(value, cls=DjangoJSONEncoder, ensure_ascii=False))
    return _floats_to_str(loaded)


def _is_plain(value: Any) -> bool:
    """True when the value is already what the JSON column gives back (no float, Decimal…)."""
    if value is None or isinstance(value, str | bool | int):
        return True
    if isinstance(value, dict):
        return all(isinstance(k, str) and _is_plain(v) for k, v in value.items())
    if isinstance(value, list):
        return all(_is_plain(v) for v in value)
    return False


def _floats_to_str(value: Any) -> Any:
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, dict):
        return {str(k): _floats_to_str(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_floats_to_str(v) for v in value]
    return value


def record(
    *,
    action: str,
    obj: models.Model | None = None,
    object_type: str = "",
    object_id: str = "",
    before: Any = None,
    after: Any = None,
    actor: User | None = None,
    actor_label: str = "",
    at: datetime | None = None,
) -> AuditEvent:
    """Append one event to the chain (inside the caller's transaction, or its own)."""
    if obj is not None:
        object_type, object_id = object_ref(obj)
    entry = Entry(
        action=action,
        object_type=object_type,
        object_id=object_id,
        before=before,
        after=after,
        actor=actor,
        actor_label=actor_label,
        at=at,
    )
    events = _append([entry], as_models=True)
    return events[0]


def record_many(entries: Iterable[Entry]) -> int:
    """Append events in order, in one locked step (bulk imports, the demo); returns how many."""
    return len(_append(entries, as_models=False))


def _append(entries: Iterable[Entry], *, as_models: bool) -> list[Any]:
    with transaction.atomic():
        # The head row is the chain's lock: concurrent writers queue here, so no two events can
        # claim the same predecessor and fork the chain.
        head = AuditHead.objects.select_for_update().filter(pk=1).first()
        if head is None:
            # First event ever (or after a test flush): create the head without racing.
            AuditHead.objects.bulk_create([AuditHead(pk=1)], ignore_conflicts=True)
            head = AuditHead.objects.select_for_update().get(pk=1)
        prev_hash, seq = head.last_hash, head.last_seq
        request_id = current_request_id()
        events: list[Any] = []
        now = timezone.now()
        # Bulk rows are plain namespaces: building a model instance per row costs more than
        # hashing and inserting it. fast_insert and chain_hash read them the same way.
        make = AuditEvent if as_models else SimpleNamespace
        for entry in entries:
            seq += 1
            event = make(
                seq=seq,
                at=(entry.at or now).astimezone(UTC),
                actor_id=entry.actor.pk if entry.actor is not None else None,
                actor_label=actor_label_for(entry.actor, entry.actor_label),
                action=entry.action,
                object_type=entry.object_type,
                object_id=entry.object_id,
                before=_jsonable(entry.before),
                after=_jsonable(entry.after),
                request_id=entry.request_id or request_id,
                prev_hash=prev_hash,
            )
            event.hash = chain_hash(event)
            prev_hash = event.hash
            events.append(event)
        if not events:
            return []
        if as_models and len(events) == 1:
            events[0].save(force_insert=True)
        else:
            fast_insert(AuditEvent, events)
        AuditHead.objects.filter(pk=1).update(last_seq=seq, last_hash=prev_hash)
        return events


@dataclass(frozen=True)
class ChainBreak:
    seq: int
    reason: str


def iter_breaks(batch_size: int = 5000) -> Iterator[ChainBreak]:
    """Walk the chain from the first event and yield where it is broken."""
    expected_prev, expected_seq = GENESIS_HASH, 1
    queryset = AuditEvent.objects.order_by("seq")
    last_pk_seq = 0
    while True:
        batch = list(queryset.filter(seq__gt=last_pk_seq)[:batch_size])
        if not batch:
            break
        for event in batch:
            if event.seq != expected_seq:
                yield ChainBreak(expected_seq, f"row #{expected_seq} is missing")
                return
            if event.prev_hash != expected_prev:
                yield ChainBreak(event.seq, "its link to the previous row does not match")
                return
            if event.compute_hash() != event.hash:
                yield ChainBreak(event.seq, "its content does not match its hash")
                return
            expected_prev, expected_seq = event.hash, event.seq + 1
        last_pk_seq = batch[-1].seq
    head = AuditHead.objects.filter(pk=1).first()
    last_seq = expected_seq - 1
    if head is not None and (head.last_seq != last_seq or head.last_hash != expected_prev):
        if last_seq > head.last_seq:
            # Rows beyond the head were written around the application: the first of them is
            # the first bad row (it was once reported one row later).
            yield ChainBreak(
                head.last_seq + 1,
                f"row #{head.last_seq + 1} was appended outside the application "
                f"(the head says the chain ends at #{head.last_seq})",
            )
        elif last_seq < head.last_seq:
            yield ChainBreak(
                last_seq + 1, f"the chain ends at #{last_seq} but its head says #{head.last_seq}"
            )
        else:
            yield ChainBreak(last_seq, "the last row does not match the head's hash")


def verify_chain(checkpoints: Iterable[Checkpoint] = ()) -> tuple[int, ChainBreak | None]:
    """Return the number of events checked and the first break, if any.

    With ``checkpoints`` (heads recorded outside the database by :func:`checkpoint`), also
    what the chain alone cannot show: rows removed together with the head (TRUNCATE, or a
    DELETE from the end) and a chain altered and then hashed again from the altered row on.
    """
    first = next(iter_breaks(), None)
    for mark in sorted(checkpoints, key=lambda c: c.seq):
        found = _against_checkpoint(mark)
        if found is not None and (first is None or found.seq < first.seq):
            first = found
    return AuditEvent.objects.count(), first


@dataclass(frozen=True)
class Checkpoint:
    """The chain's head at one moment, to be kept (or published) outside the database."""

    seq: int
    hash: str
    at: str
    previous_seq: int = 0

    def to_json(self) -> str:
        return json.dumps(
            {"seq": self.seq, "hash": self.hash, "at": self.at, "previous_seq": self.previous_seq},
            sort_keys=True,
        )

    @classmethod
    def from_json(cls, line: str) -> Checkpoint:
        data = json.loads(line)
        seq, digest = data.get("seq"), data.get("hash")
        if not isinstance(seq, int) or seq < 0 or not isinstance(digest, str) or len(digest) != 64:
            raise ValueError("a checkpoint line needs an integer 'seq' and a 64-hex 'hash'")
        return cls(
            seq=seq,
            hash=digest,
            at=str(data.get("at", "")),
            previous_seq=int(data.get("previous_seq", 0) or 0),
        )


def checkpoint(previous: Checkpoint | None = None) -> Checkpoint:
    """The head now: its sequence number and hash, read with the chain's lock held, so the
    row it names is committed."""
    with transaction.atomic():
        head = AuditHead.objects.select_for_update().filter(pk=1).first()
        seq, digest = (head.last_seq, head.last_hash) if head else (0, GENESIS_HASH)
    return Checkpoint(
        seq=seq,
        hash=digest,
        at=timezone.now().astimezone(UTC).isoformat(timespec="seconds"),
        previous_seq=previous.seq if previous else 0,
    )


def _against_checkpoint(mark: Checkpoint) -> ChainBreak | None:
    if mark.seq == 0:
        return None
    row = AuditEvent.objects.filter(seq=mark.seq).values_list("hash", flat=True).first()
    if row is None:
        have = AuditEvent.objects.order_by("-seq").values_list("seq", flat=True).first() or 0
        return ChainBreak(
            have + 1,
            f"rows #{have + 1} to #{mark.seq} are gone: the checkpoint of {mark.at} recorded "
            f"#{mark.seq} (truncated or deleted)",
        )
    if row != mark.hash:
        return ChainBreak(
            mark.previous_seq + 1,
            f"row #{mark.seq} no longer has the hash the checkpoint of {mark.at} recorded: a row "
            f"from #{mark.previous_seq + 1} to #{mark.seq} was changed and the chain hashed "
            "again",
        )
    return None
