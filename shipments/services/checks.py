"""Checking what a declarant types: the inputs, errors collected per field, declarations,
goods lines, weights and carriage."""

from __future__ import annotations

import contextlib
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import policy
from accounts.models import User
from accounts.scoping import Action
from cuakhau.errors import InvalidInput
from cuakhau.numbers import NumberError, format_decimal, parse_decimal
from gates.choices import Flow, TransportMode
from gates.models import Gate, Route, TwoWayDelivery
from gates.services import hours_on
from shipments import policy as rules
from shipments.choices import (
    FIXED_FLOW,
    ContainerSize,
    Delivery,
    Direction,
    FruitCodeKind,
    GoodsGroup,
    TruckState,
)
from shipments.models import (
    Commodity,
    Declaration,
    Driver,
    FruitCode,
    Vehicle,
)
from shipments.provinces import province_choices
from shipments.services.customs import (
    FLAT_NAMES,
    MAX_CUSTOMS_DECLARATIONS,
    CleanCustomsDeclaration,
    CustomsDeclarationInput,
    check_customs_declaration,
    item_names,
    trucks_reached_yard,
)
from shipments.validators import (
    normalize_hs_heading,
    normalize_plate,
)

MAX_LINES = 50
#: A declaration is made before the trip: at most this far ahead, and not in the past.
MAX_DAYS_AHEAD = 30
CLOCK_SKEW = timedelta(minutes=60)


@dataclass
class LineInput:
    commodity: str = ""
    hs_heading: str = ""
    weight_kg: Any = None
    value_usd: Any = None
    description: str = ""
    #: Fresh fruit exported to China: its registered growing-area and packing-house codes.
    puc_code: str = ""
    phc_code: str = ""


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
    #: The older flat shape of one customs declaration: its number, procedure code and the
    #: channel VNACCS assigned at registration (1, 2, 3), which needs the number beside it.
    customs_declaration_number: str = ""
    customs_channel: str = ""
    procedure_code: str = ""
    #: The VNACCS customs declarations whose goods the truck carries (several for a
    #: consolidated load); when given, the flat fields above must be empty.
    customs_declarations: Sequence[CustomsDeclarationInput] | None = None
    container: str = ""
    delivery: str = Delivery.BORDER
    #: Delivery into the other country's yard and back loaded, on a pilot route.
    two_way: bool = False
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
    puc_code: str = ""
    phc_code: str = ""


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
    customs_declarations: list[CleanCustomsDeclaration]
    container: str
    delivery: str
    lines: list[_CleanLine]
    two_way: bool = False
    #: The warning about the weight the declarant saw and confirmed ("" when none).
    weight_confirmed: str = ""


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


#: Closures that make a planned arrival a mistake: a dated notice, a public holiday of a gate
#: that closes on them, or the other side closed all day (a closed weekday is not: trucks plan
#: to wait over a weekend).
REFUSED_CLOSURES = frozenset({"notice", "holiday", "other_side"})


def check_arrival_day(
    *,
    gate: Gate,
    route: Route | None,
    flow: str,
    arrival: datetime,
    registered_at: datetime,
    errors: _Errors,
) -> None:
    """A planned arrival on a day the gate is closed by a notice or a holiday, or open to
    pre-registered goods only when the trip was not registered by the deadline, is refused
    naming the day and the reason (the declarant moves it; the board's notice says why)."""
    day = timezone.localdate(arrival)
    hours = next((h for h in hours_on(gate, day, route=route) if h.flow == flow), None)
    if hours is None:
        return
    if not hours.is_open and hours.closed_by in REFUSED_CLOSURES:
        errors.add(
            "planned_arrival",
            _("%(gate)s is closed on %(day)s (%(reason)s): choose another day.")
            % {"gate": gate.name, "day": day.strftime("%d/%m/%Y"), "reason": hours.reason},
        )
    elif hours.registered_by is not None and registered_at >= hours.registered_by:
        errors.add(
            "planned_arrival",
            _(
                "On %(day)s %(gate)s takes only goods of trucks declared or booked by "
                "%(deadline)s (%(reason)s): choose another day."
            )
            % {
                "gate": gate.name,
                "day": day.strftime("%d/%m/%Y"),
                "deadline": timezone.localtime(hours.registered_by).strftime("%d/%m/%Y %H:%M"),
                "reason": hours.reason,
            },
        )


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
    if gate is not None and arrival is not None and flow and "planned_arrival" not in errors.fields:
        check_arrival_day(
            gate=gate,
            route=route,
            flow=flow,
            arrival=arrival,
            registered_at=timezone.now(),
            errors=errors,
        )

    customs = _check_customs_declarations(actor, data, flow, errors)

    _check_carriage(data.container, data.delivery, data.direction, errors)
    lines = _check_lines(data.lines, errors, data.number_language, data.direction)
    if data.two_way and arrival is not None:
        check_two_way(route, arrival, [line.commodity for line in lines], errors)
    weight_confirmed = ""
    if lines and not errors.fields:
        problem = unusual_weight(data.container, [line.weight_kg for line in lines])
        if problem and not data.confirm_unusual:
            errors.add("lines[0].weight_kg", problem)
            errors.add("confirm_unusual", _("Check the weight, or confirm it is right."))
        weight_confirmed = problem
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
        customs_declarations=customs,
        container=data.container,
        delivery=data.delivery,
        lines=lines,
        two_way=bool(data.two_way),
        weight_confirmed=weight_confirmed,
    )


def _check_customs_declarations(
    actor: User, data: DeclarationInput, flow: str, errors: _Errors
) -> list[CleanCustomsDeclaration]:
    """The trip's customs declarations, each checked (``customs.check_customs_declaration``), in
    the list shape or the older flat one; a declarant records a channel only where none is
    recorded and no truck under it has reached the yard."""
    flat = CustomsDeclarationInput(
        number=data.customs_declaration_number,
        procedure_code=data.procedure_code,
        channel=data.customs_channel,
    )
    if data.customs_declarations is not None:
        if any((flat.number, flat.procedure_code, flat.channel)):
            errors.add(
                "customs_declarations",
                _("Give the customs declarations as a list or as one number, not both."),
            )
            return []
        items = [(item, item_names(i)) for i, item in enumerate(data.customs_declarations)]
    else:
        items = [(flat, FLAT_NAMES)]
    if len(items) > MAX_CUSTOMS_DECLARATIONS:
        errors.add(
            "customs_declarations",
            _("A truck carries at most %d customs declarations.") % MAX_CUSTOMS_DECLARATIONS,
        )
        return []
    clean: list[CleanCustomsDeclaration] = []
    for item, names in items:
        checked, problems = check_customs_declaration(
            item,
            enterprise_id=actor.enterprise_id,
            direction=data.direction,
            flow=flow,
            names=names,
        )
        for name, messages in problems.items():
            for message in messages:
                if message not in errors.fields.get(name, []):
                    errors.add(name, message)
        if checked is None:
            continue
        if any(c.number == checked.number for c in clean):
            errors.add(names["number"], _("This customs declaration is listed twice."))
            continue
        existing = checked.existing
        if existing is not None and checked.channel:
            if existing.channel and existing.channel != checked.channel:
                errors.add(
                    names["channel"],
                    _(
                        "Customs declaration %(number)s has channel %(channel)s recorded; only "
                        "customs changes a recorded channel."
                    )
                    % {"number": existing.number, "channel": existing.get_channel_display()},
                )
            elif not existing.channel and trucks_reached_yard(existing):
                errors.add(
                    names["channel"],
                    _(
                        "A truck under this customs declaration is at the yard: customs records "
                        "its channel."
                    ),
                )
        clean.append(checked)
    return clean


def two_way_rule(route: Route | None, when: datetime) -> TwoWayDelivery | None:
    """The two-way delivery rule in force on ``route`` on the day of ``when``, if any."""
    if route is None:
        return None
    day = timezone.localdate(when)
    return next(
        (rule for rule in route.two_way_rules.order_by("-starts_on") if rule.in_force(day)),
        None,
    )


def check_two_way(
    route: Route | None, arrival: datetime, goods: Sequence[Commodity], errors: _Errors
) -> None:
    """A two-way truck uses a pilot route and carries one kind of goods. One owner's goods is
    met by construction: a declaration is one enterprise's."""
    rule = two_way_rule(route, arrival)
    if rule is None:
        pilot = TwoWayDelivery.objects.select_related("route")
        names = sorted({r.route.name for r in pilot if r.in_force(timezone.localdate(arrival))})
        errors.add(
            "route" if route is None else "two_way",
            _("Two-way delivery runs only on the pilot's routes: %s.") % ", ".join(names)
            if names
            else _("No route is in the two-way delivery pilot on that day."),
        )
        return
    kinds = {commodity.pk: commodity.name for commodity in goods}
    if rule.one_kind_of_goods and len(kinds) > 1:
        errors.add(
            "two_way",
            _(
                "A two-way truck carries one kind of goods, and this load mixes %s: declare "
                "one truck per kind, or deliver at the border."
            )
            % ", ".join(sorted(kinds.values())),
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
#: Without a container: a whole truck crossing with under 100 kg of goods is almost surely a
#: slip (15 kg of dragon fruit for "15.000"); inferred, no source gives a minimum load.
MIN_TRUCK_LOAD_KG = Decimal(100)
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
    if not container and total < MIN_TRUCK_LOAD_KG:
        return _("%(kg)s kg for a whole truck is unusually light: check the weight.") % {
            "kg": format_decimal(total)
        }
    if total > MAX_TRUCK_LOAD_KG:
        return _("%(kg)s kg is more than a truck may carry on Vietnamese roads (%(max)s kg).") % {
            "kg": format_decimal(total),
            "max": format_decimal(MAX_TRUCK_LOAD_KG),
        }
    return ""


def needs_fruit_codes(direction: str, commodity: Commodity) -> bool:
    """China turns back fresh fruit without registered growing-area and packing-house codes
    (durian since September 2022; docs/sources.md, "Working hours")."""
    return direction in (Direction.EXPORT, Direction.TEMP_IMPORT_REEXPORT) and (
        commodity.goods_group == GoodsGroup.FRESH_FRUIT
    )


def _check_fruit_codes(
    line: LineInput, commodity: Commodity, prefix: str, errors: _Errors
) -> tuple[str, str]:
    codes = []
    for kind, name in ((FruitCodeKind.PUC, "puc_code"), (FruitCodeKind.PHC, "phc_code")):
        raw = re.sub(r"\s", "", str(getattr(line, name) or "")).upper()
        label = FruitCodeKind(kind).label
        if not raw:
            errors.add(
                f"{prefix}.{name}",
                _(
                    "Give the %(kind)s code registered for %(fruit)s: China turns fruit back "
                    "without it."
                )
                % {"kind": label, "fruit": commodity.name},
            )
        else:
            found = FruitCode.objects.filter(kind=kind, code=raw, is_active=True).first()
            if found is None:
                errors.add(
                    f"{prefix}.{name}",
                    _("%(code)s is not a registered %(kind)s code in the board's list.")
                    % {"code": raw, "kind": label},
                )
            elif found.commodity_id is not None and found.commodity_id != commodity.pk:
                errors.add(
                    f"{prefix}.{name}",
                    _("%(code)s is registered for %(fruit)s, not for %(this)s.")
                    % {"code": raw, "fruit": found.commodity, "this": commodity.name},
                )
        codes.append(raw)
    return codes[0], codes[1]


def _check_lines(
    lines: Sequence[LineInput],
    errors: _Errors,
    language: str | None = None,
    direction: str = "",
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
        puc = phc = ""
        if commodity is not None and needs_fruit_codes(direction, commodity):
            puc, phc = _check_fruit_codes(line, commodity, prefix, errors)
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
                    puc,
                    phc,
                )
            )
    return clean
