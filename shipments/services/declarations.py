"""Creating and amending declarations: references, audit snapshots, goods lines."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts import policy
from accounts.models import User
from accounts.scoping import Action
from audit import services as audit
from audit.models import AuditEvent
from cuakhau.errors import Conflict, InvalidInput, NotFound
from shipments import lifecycle
from shipments import policy as rules
from shipments.choices import (
    TruckState,
    VehicleKind,
)
from shipments.models import (
    CustomsDeclaration,
    Declaration,
    GoodsLine,
    Vehicle,
)
from shipments.services.checks import (
    AmendInput,
    DeclarationInput,
    _check_arrival,
    _check_carriage,
    _check_driver,
    _check_lines,
    _CleanLine,
    _Errors,
    check_arrival_day,
    check_declaration,
    check_two_way,
)
from shipments.services.customs import (
    attach_customs_declaration,
    customs_declarations_of,
    customs_snapshot,
)
from shipments.validators import (
    normalize_plate,
)

_REFERENCE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


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
        "customs_declarations": [
            customs_snapshot(cd) for cd in customs_declarations_of(declaration)
        ],
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
            origin_province=clean.origin_province,
            container=clean.container,
            delivery=clean.delivery,
            two_way=clean.two_way,
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
        for customs in clean.customs_declarations:
            attach_customs_declaration(trip=declaration, clean=customs, actor=actor, at=now)
        after = declaration_snapshot(declaration)
        if clean.weight_confirmed:
            # The declarant was warned the weight looks like a slip and confirmed it.
            after["weight_confirmed"] = clean.weight_confirmed
        audit.record(
            action="declaration.created",
            obj=declaration,
            actor=actor,
            after=after,
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
            puc_code=ln.puc_code,
            phc_code=ln.phc_code,
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
            None
            if data.lines is None
            else _check_lines(data.lines, errors, data.number_language, declaration.direction)
        )
        if arrival is not None:
            _check_arrival(arrival, errors)
            if "planned_arrival" not in errors.fields:
                check_arrival_day(
                    gate=declaration.gate,
                    route=declaration.route,
                    flow=declaration.flow,
                    arrival=arrival,
                    registered_at=declaration.created_at,
                    errors=errors,
                )
        if declaration.two_way and (lines is not None or arrival is not None):
            check_two_way(
                declaration.route,
                arrival or declaration.planned_arrival,
                [
                    line.commodity
                    for line in (lines if lines is not None else declaration.lines.all())
                ],
                errors,
            )
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


@dataclass(frozen=True)
class TimelineEntry:
    """One line of a truck's history on its page: a step of its life, an amendment, or a
    customs channel recorded for a customs declaration it carries."""

    at: datetime
    step: str
    by: str
    where: str = ""
    reason: str = ""


#: The fields an amendment changes, as the page names them.
_AMENDED = {
    "container": gettext_lazy("container"),
    "delivery": gettext_lazy("delivery"),
    "planned_arrival": gettext_lazy("planned arrival"),
    "driver": gettext_lazy("driver"),
    "trailer": gettext_lazy("trailer"),
    "lines": gettext_lazy("goods"),
}


def timeline(declaration: Declaration) -> list[TimelineEntry]:
    """The truck's history: its steps (``StateChange``), its amendments and the channels
    recorded for its customs declarations (from the audit chain), in time order."""
    entries = [
        TimelineEntry(
            at=h.at,
            step=f"{h.get_from_state_display()} → {h.get_to_state_display()}",
            by=h.actor_label,
            where=h.location,
            reason=h.reason,
        )
        for h in declaration.history.order_by("at", "pk")
    ]
    amendments = AuditEvent.objects.filter(
        object_type=Declaration._meta.label_lower,
        object_id=str(declaration.pk),
        action="declaration.amended",
    ).order_by("seq")
    for event in amendments:
        before, after = event.before or {}, event.after or {}
        changed = [
            str(label) for key, label in _AMENDED.items() if before.get(key) != after.get(key)
        ]
        entries.append(
            TimelineEntry(
                at=event.at,
                step=_("Amended: %s") % ", ".join(changed) if changed else _("Amended"),
                by=event.actor_label,
            )
        )
    records = {str(cd.pk): cd.number for cd in declaration.customs_declarations.all()}
    channels = AuditEvent.objects.filter(
        object_type=CustomsDeclaration._meta.label_lower,
        object_id__in=list(records),
        action="customs_declaration.channel",
    ).order_by("seq")
    for event in channels:
        after = event.after or {}
        if declaration.reference not in after.get("trips", [declaration.reference]):
            continue
        entries.append(
            TimelineEntry(
                at=event.at,
                step=_("Customs declaration %(number)s: channel %(channel)s")
                % {"number": records[event.object_id], "channel": after.get("channel", "")},
                by=event.actor_label,
                reason=str(after.get("reason", "")),
            )
        )
    return sorted(entries, key=lambda e: e.at)
