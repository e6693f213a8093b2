"""Yard events."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import connection, models, transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from accounts import policy
from accounts.models import User
from accounts.scoping import Action
from audit import services as audit
from cuakhau.errors import Conflict, DomainError, InvalidInput, NotAllowed, NotFound
from cuakhau.numbers import check_moment
from cuakhau.signing import check_signed
from flow import board, yards
from flow import policy as rules
from flow.choices import BookingStatus, EventKind, EventStatus
from flow.models import Booking, Device, PlateEvent, YardVisit
from flow.plates import Candidate, Read, misread_edits, reconcile
from flow.services.common import SYSTEM, log
from gates.models import Gate
from shipments import services as shipments
from shipments.choices import TruckState
from shipments.models import Declaration, Vehicle
from shipments.validators import ocr_key

#: Which trucks a camera of each kind may be looking at.
EXPECTED_STATES: dict[str, tuple[str, ...]] = {
    EventKind.GATE_IN: (TruckState.ADMITTED, TruckState.DECLARED),
    EventKind.GATE_OUT: (
        TruckState.ARRIVED,
        TruckState.CLEARED,
        TruckState.CALLED,
        TruckState.CROSSED,
    ),
    EventKind.CROSSING: (TruckState.CALLED,),
}


class DeviceRefused(DomainError):
    status = 401
    code = "device_refused"


@dataclass(frozen=True)
class Ingested:
    """What the endpoint answers: the stored event's id, or ``None`` for a replay."""

    event_id: str
    pk: int | None

    @property
    def duplicate(self) -> bool:
        return self.pk is None


def _read_time(raw: Any, errors: dict[str, list[str]]) -> datetime | None:
    """The read time of a camera event, refused unless it is within a window of the server clock.

    The signature's clock check covers only when the request was sent: a signed body may still
    say 0001-01-01T00:00:00+14:00 (stored as a timestamp that cannot be read back, which once
    stopped the whole queue) or 2020 (which charged a 60,000-hour yard stay). A camera that
    buffered its reads while offline may send them late, up to the configured age.
    """
    try:
        at = parse_datetime(raw) if isinstance(raw, str) and len(raw) <= 40 else None
    except (ValueError, OverflowError):
        at = None
    if at is None or timezone.is_naive(at):
        errors["at"] = [_("Give the time of the read with its time zone (ISO 8601).")]
        return None
    if problem := check_moment(at):  # a +16:00 offset PostgreSQL cannot store
        errors["at"] = [problem]
        return None
    at = at.astimezone(UTC)
    now = timezone.now()
    oldest = now - timedelta(hours=settings.CUAKHAU_DEVICE_READ_MAX_AGE_HOURS)
    latest = now + timedelta(seconds=settings.CUAKHAU_DEVICE_MAX_SKEW_SECONDS)
    try:
        within = oldest <= at <= latest
    except OverflowError:
        within = False
    if not within:
        errors["at"] = [
            _(
                "The read time must be between %(hours)d hours ago and %(seconds)d seconds "
                "from now (server clock %(now)s)."
            )
            % {
                "hours": settings.CUAKHAU_DEVICE_READ_MAX_AGE_HOURS,
                "seconds": settings.CUAKHAU_DEVICE_MAX_SKEW_SECONDS,
                "now": now.isoformat(timespec="seconds"),
            }
        ]
        return None
    return at


def _parse_event(body: bytes) -> dict[str, Any]:
    try:
        data = json.loads(body or b"{}")
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidInput(_("The body is not JSON."), code="bad_json") from exc
    if not isinstance(data, dict):
        raise InvalidInput(_("The body must be a JSON object."), code="bad_json")
    errors: dict[str, list[str]] = {}
    event_id = data.get("event_id")
    if not isinstance(event_id, str) or not 1 <= len(event_id) <= 64:
        errors["event_id"] = [_("Give a unique id of 1 to 64 characters.")]
    at = _read_time(data.get("at"), errors)
    reads = data.get("reads")
    parsed: list[Read] = []
    if not isinstance(reads, list) or not 1 <= len(reads) <= 10:
        errors["reads"] = [_("Give 1 to 10 plate reads.")]
    else:
        for i, raw in enumerate(reads):
            plate = raw.get("plate") if isinstance(raw, dict) else None
            confidence = raw.get("confidence", 1.0) if isinstance(raw, dict) else None
            if not isinstance(plate, str) or not 1 <= len(plate.strip()) <= 20:
                errors[f"reads[{i}].plate"] = [_("Give the plate as read, 1 to 20 characters.")]
            elif not isinstance(confidence, int | float) or not 0 <= confidence <= 1:
                errors[f"reads[{i}].confidence"] = [_("Give a confidence from 0 to 1.")]
            else:
                parsed.append(Read(plate.strip(), float(confidence)))
    if errors:
        raise InvalidInput(_("The event has errors; see each field."), fields=errors)
    return {"event_id": event_id, "at": at, "reads": parsed}


_device_cache: dict[str, tuple[float, Device | None]] = {}
DEVICE_CACHE_SECONDS = 30.0


def _device(code: str) -> Device | None:
    """Devices change rarely and post often: keep them for half a minute per process."""
    now = timezone.now().timestamp()
    hit = _device_cache.get(code)
    if hit is not None and now - hit[0] < DEVICE_CACHE_SECONDS:
        return hit[1]
    device = Device.objects.select_related("gate", "yard").filter(code=code, is_active=True).first()
    _device_cache[code] = (now, device)
    return device


def ingest_device_event(
    *, device_code: str, timestamp: str, signature: str, body: bytes
) -> Ingested:
    """Accept a camera's post once: signature, clock, then the event id makes replays harmless."""
    device = _device(device_code)
    if device is None:
        raise DeviceRefused(_("Unknown or inactive device."))
    check_signed(
        secret=device.secret,
        timestamp=timestamp,
        signature=signature,
        body=body,
        max_skew=settings.CUAKHAU_DEVICE_MAX_SKEW_SECONDS,
        refused=DeviceRefused,
    )
    data = _parse_event(body)
    values = {
        "device_id": device.pk,
        "event_id": data["event_id"],
        "gate_id": device.gate_id,
        "kind": device.kind,
        "at": data["at"],
        "reads": [{"plate": r.plate, "confidence": r.confidence} for r in data["reads"]],
        "status": EventStatus.RECEIVED,
        "note": "",
        "received_at": timezone.now(),
    }
    return Ingested(data["event_id"], _insert_once(values))


def _insert_once(values: dict[str, Any]) -> int | None:
    """One ``INSERT … ON CONFLICT DO NOTHING RETURNING id`` (PostgreSQL and SQLite alike): the
    unique (device, event id) constraint makes a replay harmless however many copies race in,
    without an error that would spoil a surrounding transaction. ``None`` for a replay."""
    meta = PlateEvent._meta
    columns, params = [], []
    for name, value in values.items():
        field = meta.get_field(
            name.removesuffix("_id") if name in ("device_id", "gate_id") else name
        )
        assert isinstance(field, models.Field) and field.column  # noqa: S101 - concrete columns
        columns.append(connection.ops.quote_name(field.column))
        params.append(field.get_db_prep_save(value, connection))
    table = connection.ops.quote_name(meta.db_table)
    sql = (
        f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join(['%s'] * len(columns))}) "  # noqa: S608 - names from the model, values bound
        "ON CONFLICT (device_id, event_id) DO NOTHING RETURNING id"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    return int(row[0]) if row else None


def process_events(*, limit: int = 500) -> int:
    """Reconcile and apply received camera events, oldest reading first (``cuakhau dispatch``
    runs this on every pass). Each event in its own transaction; a failing one is marked for a
    person and the rest go on."""
    done = 0
    while done < limit:
        with transaction.atomic():
            queue = PlateEvent.objects.filter(status=EventStatus.RECEIVED).order_by("at", "pk")
            if connection.features.has_select_for_update_skip_locked:
                # Two workers never process the same event.
                queue = queue.select_for_update(skip_locked=True, of=("self",))
            else:
                queue = queue.select_for_update()
            event = queue.select_related("device", "gate").first()
            if event is None:
                break
            reads = [
                Read(str(r.get("plate", "")), float(r.get("confidence", 0))) for r in event.reads
            ]
            label = f"device:{event.device.code}" if event.device else SYSTEM
            try:
                with transaction.atomic():
                    _match_and_apply(
                        event, reads, event.device.yard_id if event.device else None, label
                    )
            except DomainError as exc:
                # The truck cannot take this step (e.g. cancelled meanwhile): a person decides.
                event.status = EventStatus.UNMATCHED
                event.note = str(exc.message)[:300]
                event.save(update_fields=["status", "note"])
            except Exception as exc:
                # Never let one bad event block the queue behind it: log it, hand it to a person.
                log.exception("yard event %s could not be applied", event.pk)
                event.status = EventStatus.UNMATCHED
                event.note = f"processing failed: {exc.__class__.__name__}"[:300]
                event.save(update_fields=["status", "note"])
            else:
                if event.status == EventStatus.RECEIVED:
                    event.status = EventStatus.UNMATCHED
                    event.save(update_fields=["status"])
        done += 1
    return done


def expected_trips(
    *, gate_id: int, kind: str, keys: Iterable[str], at: datetime
) -> list[Candidate]:
    """The open trips at a gate that an event of ``kind`` with these plate keys may be about.

    One vehicle often has two open trips at one gate (the next trip is declared before this one
    crosses). Each candidate's rank says which trip the event is about: at gate-in the admitted
    trip (it holds the slot) before one only declared, then the planned arrival nearest the read;
    at gate-out the trip still in the yard.
    """
    rows = Declaration.objects.filter(
        gate_id=gate_id, state__in=EXPECTED_STATES[kind], vehicle__ocr_key__in=list(keys)
    ).values_list("pk", "vehicle__plate", "state", "planned_arrival")
    in_yard = set(
        YardVisit.objects.filter(
            declaration_id__in=[row[0] for row in rows], exited_at__isnull=True
        ).values_list("declaration_id", flat=True)
    )
    order = {state: i for i, state in enumerate(EXPECTED_STATES[kind])}
    candidates = []
    for pk, plate, state, planned in rows:
        distance = abs((planned - at).total_seconds()) if planned else float("inf")
        if kind == EventKind.GATE_IN:
            rank: tuple[float, ...] = (order[state], distance)
        else:
            rank = (0 if pk in in_yard else 1, order[state], distance)
        candidates.append(Candidate(pk, plate, rank))
    return candidates


def _match_and_apply(
    event: PlateEvent, reads: Sequence[Read], yard_id: int | None, label: str
) -> None:
    keys = {ocr_key(r.plate) for r in reads}
    candidates = expected_trips(gate_id=event.gate_id, kind=event.kind, keys=keys, at=event.at)
    match = reconcile(reads, candidates)
    if match.declaration_id is None:
        event.note = match.reason
        event.save(update_fields=["note"])
        return
    _apply(event, match.declaration_id, yard_id, label)
    event.status = EventStatus.MATCHED
    event.declaration_id = match.declaration_id
    event.save(update_fields=["status", "declaration", "note"])


def _apply(event: PlateEvent, declaration_id: int, yard_id: int | None, label: str) -> None:
    """What a matched event means for the truck: in the yard, out of it, across the border."""
    declaration = Declaration.objects.select_for_update().get(pk=declaration_id)
    board.forget(event.gate.code)
    if event.kind == EventKind.GATE_IN:
        _refuse_second_visit(declaration)
        walk_in = not Booking.objects.filter(
            declaration=declaration, status=BookingStatus.ACTIVE
        ).update(status=BookingStatus.USED, closed_at=event.at)
        if declaration.state == TruckState.DECLARED:
            shipments.do_transition(
                declaration_id=declaration.pk,
                transition="admit",
                actor=None,
                actor_label=f"{SYSTEM} (walk-in)",
                reason=_("Arrived without a booking: walk-in."),
                at=event.at,
            )
        if not YardVisit.objects.filter(declaration=declaration, exited_at__isnull=True).exists():
            YardVisit.objects.create(
                declaration=declaration,
                gate_id=event.gate_id,
                yard_id=yard_id,
                entered_at=event.at,
                walk_in=walk_in,
            )
        if declaration.state in (TruckState.DECLARED, TruckState.ADMITTED):
            shipments.do_transition(
                declaration_id=declaration.pk,
                transition="arrive",
                actor=None,
                actor_label=label,
                location=event.gate.name if event.gate_id else "",
                at=max(event.at, declaration.state_changed_at),
            )
    elif event.kind == EventKind.GATE_OUT:
        YardVisit.objects.filter(declaration=declaration, exited_at__isnull=True).update(
            exited_at=event.at
        )
    elif event.kind == EventKind.CROSSING:
        YardVisit.objects.filter(declaration=declaration, exited_at__isnull=True).update(
            exited_at=event.at
        )
        if declaration.state == TruckState.CALLED:
            shipments.do_transition(
                declaration_id=declaration.pk,
                transition="cross",
                actor=None,
                actor_label=label,
                at=max(event.at, declaration.state_changed_at),
            )


def _refuse_second_visit(declaration: Declaration) -> None:
    """A truck is in one yard once: a gate-in for another trip of a vehicle already inside is
    refused, naming the trip it is in (a camera's read goes to the operator's list with that
    reason). The vehicle's row is locked so two gate-ins at once cannot both pass."""
    Vehicle.objects.select_for_update().filter(pk=declaration.vehicle_id).first()
    inside = (
        YardVisit.objects.filter(
            declaration__vehicle_id=declaration.vehicle_id, exited_at__isnull=True
        )
        .exclude(declaration=declaration)
        .select_related("declaration", "declaration__vehicle", "gate")
        .first()
    )
    if inside is None:
        return
    raise Conflict(
        _(
            "Truck %(plate)s is already in the yard at %(gate)s for trip %(reference)s since "
            "%(since)s: record its gate-out or crossing first."
        )
        % {
            "plate": inside.declaration.vehicle.plate,
            "gate": inside.gate.name,
            "reference": inside.declaration.reference,
            "since": timezone.localtime(inside.entered_at).strftime("%d/%m/%Y %H:%M"),
        },
        code="already_in_yard",
        fields={"plate": [_("This truck is already in a yard.")]},
    )


def _yard_staff(actor: User, gate: Gate) -> None:
    if not policy.allows(actor, rules.WORK_YARD, gate):
        # Gates are public: say who may, rather than "not found".
        raise NotAllowed(_("Only yard operators at %s record yard events.") % gate.name)


def do_record_yard_event(
    *, actor: User, gate_code: str, kind: str, plate: str, reference: str = ""
) -> PlateEvent:
    """A yard operator records a gate-in or gate-out by hand, from the plate they see.

    When the truck has several open trips at the gate and the rules cannot tell which one the
    event is about, the error names them and the operator picks one (``reference``).
    """
    gate = Gate.objects.filter(code=gate_code).first()
    if gate is None:
        raise NotFound(_("No such gate."))
    _yard_staff(actor, gate)
    errors: dict[str, list[str]] = {}
    if kind not in (EventKind.GATE_IN, EventKind.GATE_OUT):
        errors["kind"] = [_("Choose gate-in or gate-out.")]
    if not plate.strip():
        errors["plate"] = [_("Type the plate.")]
    if errors:
        raise InvalidInput(_("The yard event has errors; see each field."), fields=errors)
    now = timezone.now()
    with transaction.atomic():
        event = PlateEvent.objects.create(
            device=None,
            event_id=f"manual-{uuid.uuid4().hex}",
            gate=gate,
            kind=kind,
            at=now,
            reads=[{"plate": plate.strip(), "confidence": 1.0}],
            status=EventStatus.UNMATCHED,
            received_at=now,
            resolved_by=actor,
        )
        label = f"user:{actor.get_username()}"
        if reference.strip():
            chosen = [
                c
                for c in expected_trips(
                    gate_id=gate.pk, kind=kind, keys={ocr_key(plate.strip())}, at=now
                )
                if c.declaration_id
                in Declaration.objects.filter(reference=reference.strip().upper()).values_list(
                    "pk", flat=True
                )
            ]
            if not chosen:
                raise InvalidInput(
                    _("Trip %(reference)s is not expected at %(gate)s with plate %(plate)s.")
                    % {"reference": reference.strip(), "gate": gate.name, "plate": plate.strip()},
                    fields={"reference": [_("Choose one of the trips listed.")]},
                )
            _apply(event, chosen[0].declaration_id, None, label)
            event.status = EventStatus.MATCHED
            event.declaration_id = chosen[0].declaration_id
            event.save(update_fields=["status", "declaration"])
        else:
            _match_and_apply(event, [Read(plate.strip(), 1.0)], None, label)
        if event.status != EventStatus.MATCHED and event.note.startswith("several open trips"):
            raise InvalidInput(
                _("Truck %(plate)s has several open trips at %(gate)s: choose the trip.")
                % {"gate": gate.name, "plate": plate.strip()},
                fields={"reference": [_("Choose the trip this truck came for.")]},
                code="choose_trip",
            )
        if event.status != EventStatus.MATCHED:
            raise InvalidInput(
                _("No truck expected at %(gate)s has plate %(plate)s.")
                % {"gate": gate.name, "plate": plate.strip()},
                fields={"plate": [_("Check the plate, or the truck's declaration.")]},
            )
        audit.record(
            action=f"yard.{kind}",
            obj=event,
            actor=actor,
            after={"plate": plate.strip(), "declaration": event.declaration_id},
            at=now,
        )
    return event


def _unmatched_event(actor: User, event_id: int) -> PlateEvent:
    """The read a person resolves, locked: in the actor's yard and still waiting for them."""
    event = (
        PlateEvent.objects.restrict(actor, Action.VIEW)
        .select_for_update()
        .filter(pk=event_id)
        .first()
    )
    if event is None:
        raise NotFound(_("No such event."))
    _yard_staff(actor, event.gate)
    if event.status != EventStatus.UNMATCHED:
        raise Conflict(_("This event is already resolved."), code="event_resolved")
    return event


#: A correction may name a truck whose plate is within this many character edits of a read
#: (on the OCR key, look-alike characters merged): a misread. A farther plate is another
#: truck, assigned only with a written reason.
MAX_MISREAD_EDITS = 2


def do_correct_event(*, actor: User, event_id: int, reference: str, reason: str = "") -> PlateEvent:
    """An operator resolves an unmatched read by naming the truck it was: one whose plate the
    camera could have misread, or any expected truck with a reason why."""
    with transaction.atomic():
        event = _unmatched_event(actor, event_id)
        declaration = (
            Declaration.objects.filter(
                reference=reference.strip(),
                gate=event.gate,
                state__in=EXPECTED_STATES[event.kind],
            )
            .select_related("vehicle")
            .first()
        )
        if declaration is None:
            raise InvalidInput(
                _("No truck expected here has that declaration."),
                fields={"reference": [_("Give the reference of a truck expected at this gate.")]},
            )
        distance = misread_edits(event.reads, declaration.vehicle.plate)
        if distance > MAX_MISREAD_EDITS and not reason.strip():
            read = ", ".join(str(r.get("plate", "")) for r in event.reads if isinstance(r, dict))
            problem = _(
                "Trip %(reference)s is truck %(plate)s, not what the camera read (%(read)s). "
                "If it is that truck, say why."
            ) % {
                "reference": declaration.reference,
                "plate": declaration.vehicle.plate,
                "read": read,
            }
            raise InvalidInput(problem, fields={"reason": [problem]})
        _apply(
            event,
            declaration.pk,
            event.device.yard_id if event.device else None,
            f"user:{actor.get_username()}",
        )
        event.status = EventStatus.CORRECTED
        event.declaration = declaration
        event.resolved_by = actor
        event.save(update_fields=["status", "declaration", "resolved_by"])
        audit.record(
            action="yard_event.corrected",
            obj=event,
            actor=actor,
            after={
                "declaration": declaration.reference,
                "plate": declaration.vehicle.plate,
                "reads": event.reads,
                "edits_from_read": distance,
                "reason": reason.strip()[:300],
            },
        )
    return event


def do_dismiss_event(*, actor: User, event_id: int, reason: str) -> PlateEvent:
    if not reason.strip():
        raise InvalidInput(_("Give a reason."), fields={"reason": [_("A reason is required.")]})
    with transaction.atomic():
        event = _unmatched_event(actor, event_id)
        event.status = EventStatus.DISMISSED
        event.note = reason.strip()[:300]
        event.resolved_by = actor
        event.save(update_fields=["status", "note", "resolved_by"])
        audit.record(
            action="yard_event.dismissed", obj=event, actor=actor, after={"reason": event.note}
        )
    return event


@dataclass(frozen=True)
class YardLoad:
    """One yard with a published capacity and its count (``flow.yards``): the figure the
    public board and admission control show."""

    code: str
    name: str
    in_yard: int
    capacity: int


@dataclass(frozen=True)
class YardStatus:
    gate: Gate
    #: Trucks in the gate's yards, every road and direction (as the public board counts them).
    in_yard: int
    yards: list[YardLoad]
    dwell_hours_now: float | None
    dwell_hours_today: float | None
    unmatched: int


def yard_status(gate: Gate) -> YardStatus:
    now = timezone.now()
    open_visits = YardVisit.objects.filter(gate=gate, exited_at__isnull=True)
    entered = list(open_visits.values_list("entered_at", flat=True))
    dwell_now = None
    if entered:
        dwell_now = sum((now - at).total_seconds() for at in entered) / len(entered) / 3600
    start = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)
    closed = list(
        YardVisit.objects.filter(gate=gate, exited_at__gte=start).values_list(
            "entered_at", "exited_at"
        )
    )
    dwell_today = (
        sum((b - a).total_seconds() for a, b in closed) / len(closed) / 3600 if closed else None
    )
    return YardStatus(
        gate=gate,
        in_yard=Declaration.objects.filter(gate=gate, state__in=yards.IN_YARD).count(),
        yards=[
            YardLoad(y.code, y.yard.name, y.in_yard(), y.capacity)
            for y in yards.yard_counts(gate)
            if y.capacity is not None
        ],
        dwell_hours_now=dwell_now,
        dwell_hours_today=dwell_today,
        unmatched=PlateEvent.objects.filter(gate=gate, status=EventStatus.UNMATCHED).count(),
    )
