"""Use cases for enterprises, vehicles, drivers and declarations.

``check_*`` functions validate and raise :class:`cuakhau.errors.DomainError` naming each bad
field; ``do_*`` functions own the transaction, change state, write the audit row and run the
hooks other apps registered in :mod:`shipments.lifecycle`. Arguments are keyword-only.
"""

from __future__ import annotations

import contextlib
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import policy
from accounts.choices import Role
from accounts.models import User
from accounts.scoping import Action
from audit import services as audit
from cuakhau.bulk import fast_insert
from cuakhau.errors import Conflict, InvalidInput, NotAllowed, NotFound
from cuakhau.numbers import NumberError, ascii_digits, format_decimal, parse_decimal
from gates.choices import Flow, TransportMode
from gates.models import Gate, Route
from shipments import lifecycle
from shipments import policy as rules
from shipments.choices import (
    FIXED_FLOW,
    ContainerSize,
    Delivery,
    Direction,
    TruckState,
    VehicleKind,
)
from shipments.models import (
    Commodity,
    Declaration,
    Driver,
    Enterprise,
    GoodsLine,
    StateChange,
    Vehicle,
)
from shipments.provinces import province_choices
from shipments.validators import (
    normalize_customs_number,
    normalize_hs_heading,
    normalize_plate,
    ocr_key,
)

MAX_LINES = 50
#: A declaration is made before the trip: at most this far ahead, and not in the past.
MAX_DAYS_AHEAD = 30
CLOCK_SKEW = timedelta(minutes=60)
_REFERENCE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


@dataclass
class LineInput:
    commodity: str = ""
    hs_heading: str = ""
    weight_kg: Any = None
    value_usd: Any = None
    description: str = ""


@dataclass
class DeclarationInput:
    direction: str = ""
    gate: str = ""
    route: str = ""
    flow: str = ""
    vehicle_plate: str = ""
    trailer_plate: str = ""
    driver: Any = None
    origin_province: Any = None
    planned_arrival: datetime | None = None
    customs_declaration_number: str = ""
    container: str = ""
    delivery: str = Delivery.BORDER
    lines: Sequence[LineInput] = field(default_factory=list)
    # How numbers in this input are written: a language code for what a person typed in a web
    # form ("15.000" is 15,000 in "vi"), None for the API's machine format.
    number_language: str | None = None
    #: The declarant confirms weights that look implausible (see ``unusual_weight``).
    confirm_unusual: bool = False


@dataclass
class AmendInput:
    """What a declarant may still change before the truck arrives; None keeps the value."""

    container: str | None = None
    delivery: str | None = None
    lines: Sequence[LineInput] | None = None
    planned_arrival: datetime | None = None
    driver: Any = None
    #: A plate sets or changes the trailer, "" removes it, None keeps it.
    trailer_plate: str | None = None
    number_language: str | None = None


#: What may change before arrival (``AmendInput``); everything else is fixed once declared
#: (a different gate, direction or truck is another trip: cancel and declare it).
AMENDABLE_FIELDS = ("container", "delivery", "lines", "planned_arrival", "driver", "trailer_plate")


@dataclass
class _CleanLine:
    commodity: Commodity
    hs_heading: str
    weight_kg: Decimal
    value_usd: Decimal
    description: str


@dataclass
class _CleanDeclaration:
    direction: str
    flow: str
    gate: Gate
    route: Route | None
    vehicle_plate: str
    vehicle_country: str
    trailer_plate: str
    trailer_country: str
    driver: Driver
    origin_province: int | None
    planned_arrival: datetime
    customs_declaration_number: str
    container: str
    delivery: str
    lines: list[_CleanLine]


class _Errors:
    def __init__(self) -> None:
        self.fields: dict[str, list[str]] = {}

    def add(self, name: str, message: Any) -> None:
        if isinstance(message, ValidationError):
            self.fields.setdefault(name, []).extend(str(m) for m in message.messages)
        else:
            self.fields.setdefault(name, []).append(str(message))

    def raise_if_any(self) -> None:
        if self.fields:
            raise InvalidInput(_("The declaration has errors; see each field."), fields=self.fields)


# A number that was given but could not be read: its field already has an error.
_INVALID = Decimal("NaN")


def _number(
    raw: Any, name: str, errors: _Errors, *, language: str | None, places: int
) -> Decimal | None:
    """Read ``raw`` as typed in ``language`` (None: machine format); errors go to ``name``."""
    if raw is None or raw == "":
        return None
    try:
        return parse_decimal(raw, language=language, places=places)
    except NumberError as exc:
        errors.add(name, exc.message)
        return _INVALID


# States in which a trip is still going on: the next trip of the same truck is worth a warning.
OPEN_STATES = (
    TruckState.DECLARED,
    TruckState.ADMITTED,
    TruckState.ARRIVED,
    TruckState.CLEARED,
    TruckState.CALLED,
)
IN_YARD_STATES = (TruckState.ARRIVED, TruckState.CLEARED, TruckState.CALLED)


def plate_notice(*, actor: User, plate: str) -> dict[str, Any]:
    """What a declarant typing ``plate`` should know before declaring a trip with it.

    A plate registered by another enterprise is an error (which one is not said); a vehicle of
    the declarant's own with open trips gets them listed, so a second trip is declared knowingly
    (the yard needs to know which trip the truck comes for).
    """
    owner = Vehicle.objects.filter(plate=plate).values_list("enterprise_id", flat=True).first()
    if owner is not None and owner != actor.enterprise_id and not actor.has_full_access:
        return {"error": _("This plate is registered by another enterprise.")}
    open_trips = list(
        Declaration.objects.restrict(actor, Action.VIEW)
        .filter(vehicle__plate=plate, state__in=OPEN_STATES)
        .select_related("gate")
        .order_by("planned_arrival")[:5]
    )
    return {
        "known": owner is not None,
        "open_trips": open_trips,
        "in_yard": [d for d in open_trips if d.state in IN_YARD_STATES],
    }


def _check_driver(actor: User, raw: Any, errors: _Errors) -> Driver | None:
    driver = None
    with contextlib.suppress(TypeError, ValueError):
        driver = Driver.objects.restrict(actor, Action.CHANGE).filter(pk=int(raw)).first()
    if driver is None:
        errors.add("driver", _("Choose one of your enterprise's drivers."))
    return driver


def _check_arrival(arrival: datetime | None, errors: _Errors) -> None:
    now = timezone.now()
    if arrival is None:
        errors.add("planned_arrival", _("Give the planned arrival time."))
    elif timezone.is_naive(arrival):
        errors.add("planned_arrival", _("Give the time with its time zone."))
    elif arrival < now - CLOCK_SKEW:
        errors.add("planned_arrival", _("The planned arrival is in the past."))
    elif arrival > now + timedelta(days=MAX_DAYS_AHEAD):
        errors.add("planned_arrival", _("Declare at most %d days ahead.") % MAX_DAYS_AHEAD)


def check_declaration(*, actor: User, data: DeclarationInput) -> _CleanDeclaration:
    """Validate a declaration for ``actor``'s enterprise; raise naming every bad field."""
    policy.require(actor, rules.DECLARE)
    errors = _Errors()

    if data.direction not in Direction.values:
        errors.add("direction", _("Choose one of: %s.") % ", ".join(Direction.values))
    flow: str = (
        FIXED_FLOW.get(Direction(data.direction), "") if data.direction in Direction.values else ""
    )
    if data.direction in Direction.values and not flow:
        if data.flow not in Flow.values:
            errors.add(
                "flow", _("Say whether this trip leaves Vietnam (exit) or enters it (entry).")
            )
        flow = data.flow
    elif data.flow and flow and data.flow != flow:
        errors.add("flow", _("This direction always crosses as %s.") % Flow(flow).label)

    gate = Gate.objects.filter(code=data.gate, is_active=True).first()
    if gate is None:
        errors.add("gate", _("Unknown gate %r.") % data.gate)
    elif gate.mode == TransportMode.RAIL:
        errors.add(
            "gate",
            _("%s is a railway gate; truck declarations go through a road gate.") % gate.name,
        )
    route = None
    if data.route:
        route = Route.objects.filter(code=data.route, is_active=True).first()
        if route is None:
            errors.add("route", _("Unknown route %r.") % data.route)
        elif gate is not None and route.gate_id != gate.pk:
            errors.add(
                "route",
                _("Route %(route)s does not belong to gate %(gate)s.")
                % {"route": route.name, "gate": gate.name},
            )

    plate = country = trailer_plate = trailer_country = ""
    try:
        plate, country = normalize_plate(data.vehicle_plate)
    except ValidationError as exc:
        errors.add("vehicle_plate", exc)
    else:
        owner = Vehicle.objects.filter(plate=plate).values_list("enterprise_id", flat=True).first()
        if owner is not None and owner != actor.enterprise_id:
            errors.add("vehicle_plate", _("This plate is registered by another enterprise."))
    if data.trailer_plate:
        try:
            trailer_plate, trailer_country = normalize_plate(data.trailer_plate)
        except ValidationError as exc:
            errors.add("trailer_plate", exc)

    driver = _check_driver(actor, data.driver, errors)

    province = None
    if data.origin_province not in (None, ""):
        try:
            province = int(data.origin_province)
        except (TypeError, ValueError):
            province = -1
        if province not in dict(province_choices()):
            errors.add("origin_province", _("Unknown province code."))
    if province is None and flow == Flow.EXIT:
        errors.add("origin_province", _("Say which province the goods leave from."))

    arrival = data.planned_arrival
    _check_arrival(arrival, errors)

    customs_number = ""
    if data.customs_declaration_number:
        try:
            customs_number = normalize_customs_number(data.customs_declaration_number)
        except ValidationError as exc:
            errors.add("customs_declaration_number", exc)
        else:
            if Declaration.objects.filter(customs_declaration_number=customs_number).exists():
                errors.add("customs_declaration_number", _("This number is already used."))

    _check_carriage(data.container, data.delivery, data.direction, errors)
    lines = _check_lines(data.lines, errors, data.number_language)
    if lines and not errors.fields and not data.confirm_unusual:
        problem = unusual_weight(data.container, [line.weight_kg for line in lines])
        if problem:
            errors.add("lines[0].weight_kg", problem)
            errors.add("confirm_unusual", _("Check the weight, or confirm it is right."))
    errors.raise_if_any()
    assert gate is not None and driver is not None and arrival is not None  # noqa: S101
    return _CleanDeclaration(
        direction=data.direction,
        flow=flow,
        gate=gate,
        route=route,
        vehicle_plate=plate,
        vehicle_country=country,
        trailer_plate=trailer_plate,
        trailer_country=trailer_country,
        driver=driver,
        origin_province=province,
        planned_arrival=arrival,
        customs_declaration_number=customs_number,
        container=data.container,
        delivery=data.delivery,
        lines=lines,
    )


def _check_carriage(container: str, delivery: str, direction: str, errors: _Errors) -> None:
    if container not in ContainerSize.values:
        errors.add(
            "container",
            _("Choose one of: %s.") % ", ".join(v or _("none") for v in ContainerSize.values),
        )
    if delivery not in Delivery.values:
        errors.add("delivery", _("Choose one of: %s.") % ", ".join(Delivery.values))
    elif delivery == Delivery.INLAND and direction not in (
        Direction.IMPORT,
        Direction.TEMP_EXPORT_REIMPORT,
    ):
        errors.add("delivery", _("Only imported goods are delivered inland by the same vehicle."))


#: Weights that are almost certainly a typing slip (a Vietnamese "15.000" read as 15, or a value
#: typed in the weight): less than a tonne in a container, or more than a container or a
#: Vietnamese road train can carry. ISO 668 caps a 20 ft or 40 ft container at 30,480 kg gross;
#: Circular 46/2015/TT-BGTVT caps a tractor with semi-trailer at 48 t gross (docs/sources.md).
MIN_CONTAINER_LOAD_KG = Decimal(1000)
MAX_CONTAINER_GROSS_KG = Decimal(30480)
MAX_TRUCK_LOAD_KG = Decimal(48000)


def unusual_weight(container: str, weights: Sequence[Decimal]) -> str:
    """Why these goods weights look like a slip for this carriage, or "" when they do not."""
    total = sum(weights, Decimal(0))
    if container and total < MIN_CONTAINER_LOAD_KG:
        return _("%(kg)s kg in a %(size)s is unusually light: check the weight.") % {
            "kg": format_decimal(total),
            "size": ContainerSize(container).label,
        }
    if container and total > MAX_CONTAINER_GROSS_KG:
        return _("%(kg)s kg is more than a container can hold (%(max)s kg gross).") % {
            "kg": format_decimal(total),
            "max": format_decimal(MAX_CONTAINER_GROSS_KG),
        }
    if total > MAX_TRUCK_LOAD_KG:
        return _("%(kg)s kg is more than a truck may carry on Vietnamese roads (%(max)s kg).") % {
            "kg": format_decimal(total),
            "max": format_decimal(MAX_TRUCK_LOAD_KG),
        }
    return ""


def _check_lines(
    lines: Sequence[LineInput], errors: _Errors, language: str | None = None
) -> list[_CleanLine]:
    if not lines:
        errors.add("lines", _("Declare at least one goods line."))
        return []
    if len(lines) > MAX_LINES:
        errors.add("lines", _("Declare at most %d goods lines.") % MAX_LINES)
        return []
    catalogue = {c.code: c for c in Commodity.objects.filter(is_active=True)}
    clean: list[_CleanLine] = []
    for index, line in enumerate(lines):
        prefix = f"lines[{index}]"
        heading = ""
        if line.hs_heading:
            try:
                heading = normalize_hs_heading(line.hs_heading)
            except ValidationError as exc:
                errors.add(f"{prefix}.hs_heading", exc)
        commodity = catalogue.get(line.commodity) if line.commodity else None
        if line.commodity and commodity is None:
            errors.add(f"{prefix}.commodity", _("Unknown commodity %r.") % line.commodity)
        elif commodity is None and heading:
            matches = [c for c in catalogue.values() if c.hs_heading == heading]
            if len(matches) == 1:
                commodity = matches[0]
            elif matches:
                errors.add(
                    f"{prefix}.commodity",
                    _("Heading %(heading)s covers several goods; choose one of: %(codes)s.")
                    % {"heading": heading, "codes": ", ".join(sorted(c.code for c in matches))},
                )
            else:
                errors.add(
                    f"{prefix}.hs_heading",
                    _("Heading %s is not in the commodity catalogue.") % heading,
                )
        elif commodity is None and not line.hs_heading:
            errors.add(f"{prefix}.commodity", _("Choose the goods."))
        if commodity is not None and heading and commodity.hs_heading != heading:
            errors.add(
                f"{prefix}.hs_heading",
                _("%(name)s is declared under heading %(heading)s.")
                % {"name": commodity.name, "heading": commodity.hs_heading},
            )
        weight = _number(line.weight_kg, f"{prefix}.weight_kg", errors, language=language, places=1)
        if weight is None or (weight.is_finite() and not 0 < weight < Decimal("1e9")):
            errors.add(f"{prefix}.weight_kg", _("Give the weight in kilograms, more than 0."))
        value = _number(line.value_usd, f"{prefix}.value_usd", errors, language=language, places=2)
        if value is None or (value.is_finite() and not 0 <= value < Decimal("1e12")):
            errors.add(f"{prefix}.value_usd", _("Give the value in US dollars, 0 or more."))
        if (
            commodity is not None
            and weight is not None
            and weight.is_finite()
            and value is not None
            and value.is_finite()
        ):
            clean.append(
                _CleanLine(
                    commodity,
                    commodity.hs_heading,
                    weight.quantize(Decimal("0.1")),
                    value,
                    (line.description or "")[:255],
                )
            )
    return clean


def new_reference(at: datetime) -> str:
    suffix = "".join(secrets.choice(_REFERENCE_ALPHABET) for _ in range(6))
    return f"{timezone.localtime(at):%y%m%d}-{suffix}"


def declaration_snapshot(declaration: Declaration) -> dict[str, Any]:
    return {
        "reference": declaration.reference,
        "enterprise": declaration.enterprise_id,
        "direction": declaration.direction,
        "flow": declaration.flow,
        "gate": declaration.gate_id,
        "route": declaration.route_id,
        "vehicle": declaration.vehicle_id,
        "trailer": declaration.trailer_id,
        "driver": declaration.driver_id,
        "customs_declaration_number": declaration.customs_declaration_number,
        "origin_province": declaration.origin_province,
        "container": declaration.container,
        "delivery": declaration.delivery,
        "planned_arrival": declaration.planned_arrival,
        "state": declaration.state,
        "lines": [
            {
                "commodity": line.commodity_id,
                "hs_heading": line.hs_heading,
                "weight_kg": line.weight_kg,
                "value_usd": line.value_usd,
            }
            for line in declaration.lines.all()
        ],
    }


def _vehicle_for(
    *, actor: User, plate: str, country: str, kind: str, field: str = "vehicle_plate"
) -> Vehicle:
    vehicle = Vehicle.objects.filter(plate=plate).first()
    if vehicle is None:
        try:
            with transaction.atomic():
                vehicle = Vehicle.objects.create(
                    plate=plate, country=country, kind=kind, enterprise_id=actor.enterprise_id
                )
        except IntegrityError:
            # Registered by a concurrent request a moment ago: use that row.
            vehicle = Vehicle.objects.get(plate=plate)
            if vehicle.enterprise_id == actor.enterprise_id:
                return vehicle
            raise InvalidInput(
                _("This plate is registered by another enterprise."),
                fields={field: [_("This plate is registered by another enterprise.")]},
            ) from None
        audit.record(
            action="vehicle.registered",
            obj=vehicle,
            actor=actor,
            after={"plate": plate, "kind": kind, "enterprise": actor.enterprise_id},
        )
    elif vehicle.enterprise_id != actor.enterprise_id:
        raise InvalidInput(
            _("This plate is registered by another enterprise."),
            fields={field: [_("This plate is registered by another enterprise.")]},
        )
    return vehicle


def do_create_declaration(*, actor: User, data: DeclarationInput) -> Declaration:
    clean = check_declaration(actor=actor, data=data)
    with transaction.atomic():
        vehicle = _vehicle_for(
            actor=actor,
            plate=clean.vehicle_plate,
            country=clean.vehicle_country,
            kind=VehicleKind.TRUCK,
        )
        trailer = None
        if clean.trailer_plate:
            trailer = _vehicle_for(
                actor=actor,
                plate=clean.trailer_plate,
                country=clean.trailer_country,
                kind=VehicleKind.TRAILER,
                field="trailer_plate",
            )
        perishable = [ln.commodity for ln in clean.lines if ln.commodity.perishable]
        now = timezone.now()
        declaration = Declaration(
            enterprise=clean.driver.enterprise,
            direction=clean.direction,
            flow=clean.flow,
            gate=clean.gate,
            route=clean.route,
            vehicle=vehicle,
            trailer=trailer,
            driver=clean.driver,
            customs_declaration_number=clean.customs_declaration_number,
            origin_province=clean.origin_province,
            container=clean.container,
            delivery=clean.delivery,
            planned_arrival=clean.planned_arrival,
            perishable=bool(perishable),
            shelf_life_hours=min((c.shelf_life_hours or 0) for c in perishable)
            if perishable
            else None,
            state=TruckState.DECLARED,
            state_changed_at=now,
            created_at=now,
            created_by=actor,
        )
        # 32^6 references a day: a clash is rare, and the unique constraint backs this check.
        for _attempt in range(5):
            declaration.reference = new_reference(now)
            if not Declaration.objects.filter(reference=declaration.reference).exists():
                break
        declaration.save()
        _save_lines(declaration, clean.lines)
        audit.record(
            action="declaration.created",
            obj=declaration,
            actor=actor,
            after=declaration_snapshot(declaration),
            at=now,
        )
        for hook in lifecycle.declared_hooks():
            hook(declaration, actor)
    return declaration


def _save_lines(declaration: Declaration, lines: Sequence[_CleanLine]) -> None:
    GoodsLine.objects.bulk_create(
        GoodsLine(
            declaration=declaration,
            line_no=i + 1,
            commodity=ln.commodity,
            hs_heading=ln.hs_heading,
            weight_kg=ln.weight_kg,
            value_usd=ln.value_usd,
            description=ln.description,
        )
        for i, ln in enumerate(lines)
    )


#: A declaration can be amended until the truck reaches the yard.
AMENDABLE_STATES = frozenset({TruckState.DECLARED, TruckState.ADMITTED})


def do_amend_declaration(*, actor: User, reference: str, data: AmendInput) -> Declaration:
    """Change the container, delivery or goods before arrival; hooks re-run (fees reassess)."""
    policy.require(actor, rules.AMEND)
    with transaction.atomic():
        declaration = (
            Declaration.objects.restrict(actor, Action.CHANGE)
            .select_for_update(of=("self",))
            .filter(reference=reference)
            .first()
        )
        if declaration is None:
            raise NotFound(_("No such declaration."))
        if declaration.state not in AMENDABLE_STATES:
            raise Conflict(
                _("A declaration that is %s can no longer be amended.")
                % TruckState(declaration.state).label,
                code="not_amendable",
            )
        arrival = data.planned_arrival
        if arrival is not None and abs(arrival - declaration.planned_arrival) < timedelta(
            minutes=1
        ):
            arrival = None  # the time it already has (a form sends back the one it showed)
        if arrival is not None and declaration.state != TruckState.DECLARED:
            # An admitted trip's arrival is its booked slot: move the booking instead.
            raise Conflict(
                _("The trip has a slot: move the booking to change when the truck comes."),
                code="not_amendable",
                fields={"planned_arrival": [_("Move the booking instead.")]},
            )
        if data.lines is not None and declaration.state != TruckState.DECLARED:
            # The goods decide the lane a slot was booked in (perishables: green lane).
            raise Conflict(
                _("The goods can be changed only until the trip is admitted."),
                code="not_amendable",
                fields={"lines": [_("The goods can be changed only until the trip is admitted.")]},
            )
        errors = _Errors()
        container = declaration.container if data.container is None else data.container
        delivery = declaration.delivery if data.delivery is None else data.delivery
        _check_carriage(container, delivery, declaration.direction, errors)
        lines = (
            None if data.lines is None else _check_lines(data.lines, errors, data.number_language)
        )
        if arrival is not None:
            _check_arrival(arrival, errors)
        driver = None if data.driver is None else _check_driver(actor, data.driver, errors)
        trailer_plate = trailer_country = ""
        if data.trailer_plate:
            try:
                trailer_plate, trailer_country = normalize_plate(data.trailer_plate)
            except ValidationError as exc:
                errors.add("trailer_plate", exc)
        errors.raise_if_any()
        before = declaration_snapshot(declaration)
        declaration.container = container
        declaration.delivery = delivery
        if arrival is not None:
            declaration.planned_arrival = arrival
        if driver is not None:
            declaration.driver = driver
        if data.trailer_plate is not None:
            declaration.trailer = (
                _vehicle_for(
                    actor=actor,
                    plate=trailer_plate,
                    country=trailer_country,
                    kind=VehicleKind.TRAILER,
                    field="trailer_plate",
                )
                if trailer_plate
                else None
            )
        if lines is not None:
            declaration.lines.all().delete()
            _save_lines(declaration, lines)
            perishable = [ln.commodity for ln in lines if ln.commodity.perishable]
            declaration.perishable = bool(perishable)
            declaration.shelf_life_hours = (
                min((c.shelf_life_hours or 0) for c in perishable) if perishable else None
            )
        declaration.save(
            update_fields=[
                "container",
                "delivery",
                "perishable",
                "shelf_life_hours",
                "planned_arrival",
                "driver",
                "trailer",
            ]
        )
        after = declaration_snapshot(declaration)
        if after == before:
            return declaration
        audit.record(
            action="declaration.amended",
            obj=declaration,
            actor=actor,
            before=before,
            after=after,
        )
        for hook in lifecycle.declared_hooks():
            hook(declaration, actor)
    return declaration


def check_transition(
    *, declaration: Declaration, transition: str, actor: User | None, reason: str
) -> lifecycle.Transition:
    move = lifecycle.TRANSITIONS.get(transition)
    if move is None:
        raise InvalidInput(
            _("Unknown transition %r.") % transition,
            fields={"transition": [_("Choose one of: %s.") % ", ".join(lifecycle.TRANSITIONS)]},
        )
    if actor is not None and not (actor.has_full_access or actor.role in move.roles):
        raise NotAllowed(_("Your role cannot do this: %s.") % move.label)
    if declaration.state not in move.sources:
        raise Conflict(
            _("A declaration that is %(state)s cannot move to %(target)s.")
            % {
                "state": TruckState(declaration.state).label,
                "target": TruckState(move.target).label,
            },
            code="invalid_transition",
        )
    if move.needs_reason and not reason.strip():
        raise InvalidInput(_("Give a reason."), fields={"reason": [_("A reason is required.")]})
    for guard in lifecycle.guards_for(transition):
        guard(declaration, move, actor)
    return move


def do_transition(
    *,
    declaration_id: int,
    transition: str,
    actor: User | None,
    actor_label: str = "",
    reason: str = "",
    location: str = "",
    at: datetime | None = None,
) -> Declaration:
    """Move a declaration one step. ``actor`` None means a system or device named by the label."""
    with transaction.atomic():
        # Lock the declaration: two officers acting at once must not both move it from the
        # same state (one would overwrite the other's transition).
        queryset = Declaration.objects.select_for_update()
        if actor is not None:
            queryset = queryset.restrict(actor, Action.VIEW)
        declaration = queryset.filter(pk=declaration_id).first()
        if declaration is None:
            raise NotFound(_("No such declaration."))
        move = check_transition(
            declaration=declaration, transition=transition, actor=actor, reason=reason
        )
        label = audit.actor_label_for(actor, actor_label)
        when = at or timezone.now()
        before = declaration.state
        declaration.state = move.target
        declaration.state_changed_at = when
        declaration.save(update_fields=["state", "state_changed_at"])
        StateChange.objects.create(
            declaration=declaration,
            transition=move.name,
            from_state=before,
            to_state=move.target,
            at=when,
            actor=actor,
            actor_label=label,
            location=location,
            reason=reason.strip(),
        )
        for effect in lifecycle.effects_for(transition):
            effect(declaration, move, actor)
        # The audit head is locked last, after the effects' rows (a cancelled trip's slot):
        # taking it first while a booking holds the slot and waits for the head deadlocked.
        audit.record(
            action=f"declaration.{move.name}",
            obj=declaration,
            actor=actor,
            actor_label=label,
            before={"state": before},
            after={"state": move.target, "reason": reason.strip(), "location": location},
            at=when,
        )
    return declaration


def search(queryset: QuerySet[Declaration], text: str) -> QuerySet[Declaration]:
    """Declarations matching what a person typed: a reference (or its start), a plate however
    written or misread (compared on the camera key, so "29c 12345", "29C-123.45" and
    "29C12345" find the same truck), an enterprise's name or a customs declaration number.

    Plates and enterprises are looked up first in their own small tables, and the declarations
    then through their indexed foreign keys, which keeps a search fast on 60,000 trips.
    """
    query = ascii_digits(text or "").strip()
    if not query:
        return queryset
    match = Q(reference__istartswith=query) | Q(customs_declaration_number=query)
    key = ocr_key(query)
    if len(key) >= 3:
        vehicles = Vehicle.objects.filter(ocr_key__contains=key).values("pk")
        match |= Q(vehicle_id__in=vehicles) | Q(trailer_id__in=vehicles)
    if len(query) >= 3:
        match |= Q(enterprise_id__in=Enterprise.objects.filter(name__icontains=query).values("pk"))
    return queryset.filter(match)


def visible_declaration(*, actor: User, reference: str) -> Declaration:
    declaration = (
        Declaration.objects.restrict(actor, Action.VIEW)
        .select_related("enterprise", "gate", "route", "vehicle", "trailer", "driver")
        .filter(reference=reference)
        .first()
    )
    if declaration is None:
        raise NotFound(_("No such declaration."))
    return declaration


def _enterprise_for(actor: User, enterprise_id: Any) -> Enterprise:
    if actor.role == Role.DECLARANT:
        if actor.enterprise_id is None:
            raise NotAllowed(_("Your account belongs to no enterprise."))
        return Enterprise.objects.get(pk=actor.enterprise_id)
    enterprise = Enterprise.objects.restrict(actor, Action.VIEW).filter(pk=enterprise_id).first()
    if enterprise is None:
        raise InvalidInput(
            _("Choose the enterprise."), fields={"enterprise": [_("Unknown enterprise.")]}
        )
    return enterprise


def do_register_vehicle(
    *, actor: User, plate: str, kind: str, payload_kg: int | None = None, enterprise_id: Any = None
) -> Vehicle:
    policy.require(actor, rules.REGISTER_FLEET)
    try:
        canonical, country = normalize_plate(plate)
    except ValidationError as exc:
        raise InvalidInput(exc.messages[0], fields={"plate": exc.messages}) from exc
    if kind not in VehicleKind.values:
        raise InvalidInput(
            _("Unknown vehicle kind."),
            fields={"kind": [_("Choose one of: %s.") % ", ".join(VehicleKind.values)]},
        )
    enterprise = _enterprise_for(actor, enterprise_id)
    with transaction.atomic():
        if Vehicle.objects.filter(plate=canonical).exists():
            raise Conflict(
                _("Plate %s is already registered.") % canonical,
                fields={"plate": [_("This plate is already registered.")]},
            )
        vehicle = Vehicle.objects.create(
            plate=canonical,
            country=country,
            kind=kind,
            payload_kg=payload_kg,
            enterprise=enterprise,
        )
        audit.record(
            action="vehicle.registered",
            obj=vehicle,
            actor=actor,
            after={"plate": canonical, "kind": kind, "enterprise": enterprise.pk},
        )
    return vehicle


def do_register_driver(
    *,
    actor: User,
    full_name: str,
    id_document_type: str,
    id_document_number: str,
    phone: str,
    preferred_language: str,
    enterprise_id: Any = None,
) -> Driver:
    policy.require(actor, rules.REGISTER_FLEET)
    enterprise = _enterprise_for(actor, enterprise_id)
    with transaction.atomic():
        if Driver.objects.filter(
            id_document_type=id_document_type, id_document_number=id_document_number
        ).exists():
            raise Conflict(
                _("A driver with this identity document is already registered."),
                fields={"id_document_number": [_("Already registered.")]},
            )
        driver = Driver.objects.create(
            full_name=full_name,
            id_document_type=id_document_type,
            id_document_number=id_document_number,
            phone=phone,
            preferred_language=preferred_language,
            enterprise=enterprise,
        )
        audit.record(
            action="driver.registered",
            obj=driver,
            actor=actor,
            after={
                "full_name": full_name,
                "enterprise": enterprise.pk,
                "id_document_type": id_document_type,
            },
        )
    return driver


def do_register_enterprise(
    *, actor: User, name: str, country: str, tax_code: str, compliance_class: str, address: str = ""
) -> Enterprise:
    policy.require(actor, rules.REGISTER_ENTERPRISE)
    with transaction.atomic():
        if Enterprise.objects.filter(tax_code=tax_code).exists():
            raise Conflict(
                _("An enterprise with this tax code is already registered."),
                fields={"tax_code": [_("Already registered.")]},
            )
        enterprise = Enterprise.objects.create(
            name=name,
            country=country,
            tax_code=tax_code,
            compliance_class=compliance_class,
            address=address,
        )
        audit.record(
            action="enterprise.registered",
            obj=enterprise,
            actor=actor,
            after={
                "name": name,
                "country": country,
                "tax_code": tax_code,
                "compliance_class": compliance_class,
            },
        )
    return enterprise


@dataclass
class HistoricTrip:
    """A trip that already happened, with its steps, for bulk import (history, demo)."""

    reference: str
    enterprise: Enterprise
    direction: str
    flow: str
    gate: Gate
    route: Route | None
    vehicle: Vehicle
    driver: Driver
    origin_province: int | None
    planned_arrival: datetime
    customs_declaration_number: str
    created_at: datetime
    lines: Sequence[LineInput]
    steps: Sequence[tuple[str, datetime, str]]  # (transition, at, actor label)
    container: str = ""
    delivery: str = Delivery.BORDER


def import_history(*, trips: Sequence[HistoricTrip], actor_label: str) -> int:
    """Write past trips in bulk, each step checked against the lifecycle table.

    Live moves go through :func:`do_transition` one at a time; importing a month of history that
    way would take minutes. This path writes the same rows (declaration, lines, state changes,
    chained audit events) in batches, and refuses a step the table does not allow. Guards and
    effects are not run: they act on the present (notify, book), not on history.
    """
    if not trips:
        return 0
    catalogue = {c.code: c for c in Commodity.objects.all()}
    declarations: list[SimpleNamespace] = []
    for trip in trips:
        state: str = TruckState.DECLARED
        at = trip.created_at
        for name, when, _label in trip.steps:
            move = lifecycle.TRANSITIONS[name]
            if state not in move.sources or when < at:
                raise ValueError(f"{trip.reference}: {name} not allowed from {state} at {when}")
            state, at = move.target, when
        perishable = [
            catalogue[ln.commodity] for ln in trip.lines if catalogue[ln.commodity].perishable
        ]
        declarations.append(
            SimpleNamespace(
                reference=trip.reference,
                enterprise_id=trip.enterprise.pk,
                direction=trip.direction,
                flow=trip.flow,
                gate_id=trip.gate.pk,
                route_id=trip.route.pk if trip.route else None,
                vehicle_id=trip.vehicle.pk,
                trailer_id=None,
                driver_id=trip.driver.pk,
                customs_declaration_number=trip.customs_declaration_number,
                origin_province=trip.origin_province,
                container=trip.container,
                delivery=trip.delivery,
                planned_arrival=trip.planned_arrival,
                perishable=bool(perishable),
                shelf_life_hours=min(c.shelf_life_hours or 0 for c in perishable)
                if perishable
                else None,
                state=state,
                state_changed_at=at,
                created_at=trip.created_at,
                created_by_id=None,
            )
        )
    object_type = Declaration._meta.label_lower
    with transaction.atomic():
        fast_insert(Declaration, declarations)
        references = [d.reference for d in declarations]
        keys: dict[str, int] = {}
        for start in range(0, len(references), 5000):
            keys.update(
                Declaration.objects.filter(
                    reference__in=references[start : start + 5000]
                ).values_list("reference", "pk")
            )
        lines: list[SimpleNamespace] = []
        changes: list[SimpleNamespace] = []
        entries: list[audit.Entry] = []
        for trip, declaration in zip(trips, declarations, strict=True):
            declaration.pk = keys[declaration.reference]
            object_id = str(declaration.pk)
            for number, line in enumerate(trip.lines, start=1):
                commodity = catalogue[line.commodity]
                lines.append(
                    SimpleNamespace(
                        declaration_id=declaration.pk,
                        line_no=number,
                        commodity_id=commodity.pk,
                        hs_heading=commodity.hs_heading,
                        weight_kg=line.weight_kg,
                        value_usd=line.value_usd,
                        description=line.description,
                    )
                )
            entries.append(
                audit.Entry(
                    action="declaration.created",
                    object_type=object_type,
                    object_id=object_id,
                    actor_label=actor_label,
                    after={"reference": trip.reference, "imported": True},
                    at=trip.created_at,
                )
            )
            state = TruckState.DECLARED
            for name, when, label in trip.steps:
                move = lifecycle.TRANSITIONS[name]
                reason = "demo" if move.needs_reason else ""
                changes.append(
                    SimpleNamespace(
                        declaration_id=declaration.pk,
                        transition=name,
                        from_state=state,
                        to_state=move.target,
                        at=when,
                        actor_id=None,
                        actor_label=label,
                        location=trip.gate.name_vi,
                        reason=reason,
                    )
                )
                entries.append(
                    audit.Entry(
                        action=f"declaration.{name}",
                        object_type=object_type,
                        object_id=object_id,
                        actor_label=label,
                        before={"state": state},
                        after={"state": move.target, "reason": reason},
                        at=when,
                    )
                )
                state = move.target
        fast_insert(GoodsLine, lines)
        fast_insert(StateChange, changes)
        audit.record_many(entries)
    return len(declarations)
