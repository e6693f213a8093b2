"""Importing past trips in bulk (history, demo), each step checked against the lifecycle."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from types import SimpleNamespace

from django.db import transaction
from django.utils import timezone

from audit import services as audit
from cuakhau.bulk import fast_insert
from gates.models import Gate, Route
from shipments import lifecycle
from shipments.choices import (
    Delivery,
    TruckState,
)
from shipments.models import (
    Commodity,
    CustomsDeclaration,
    CustomsDeclarationTrip,
    Declaration,
    Driver,
    Enterprise,
    GoodsLine,
    ProcedureCode,
    StateChange,
    Vehicle,
)
from shipments.services.checks import LineInput


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
    customs_channel: str = ""  # VNACCS code 1/2/3, with a customs declaration number
    procedure_code: str = ""  # VNACCS procedure code of that declaration (A11, B11…)
    #: Further customs declarations the truck carried: (number, procedure code, channel). A
    #: number may recur on several trips (one declaration on several trucks).
    more_customs_declarations: Sequence[tuple[str, str, str]] = ()
    two_way: bool = False
    withdrawal_reason: str = ""  # why a cancelled trip left the queue (WithdrawalReason)


def import_history(
    *, trips: Sequence[HistoricTrip], actor_label: str, run_hooks: bool = True
) -> int:
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
        if trip.withdrawal_reason and state != TruckState.CANCELLED:
            raise ValueError(f"{trip.reference}: a withdrawal reason on a trip not cancelled")
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
                origin_province=trip.origin_province,
                container=trip.container,
                delivery=trip.delivery,
                two_way=trip.two_way,
                withdrawal_reason=trip.withdrawal_reason,
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
                        puc_code=line.puc_code,
                        phc_code=line.phc_code,
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
        _import_customs_declarations(trips, [d.pk for d in declarations])
        audit.record_many(entries)
        # The demo builds a year in batches and recomputes the statistics once at the end.
        for hook in lifecycle.imported_hooks() if run_hooks else ():
            hook([d.pk for d in declarations])
    return len(declarations)


def _import_customs_declarations(trips: Sequence[HistoricTrip], keys: Sequence[int]) -> None:
    """The trips' customs declarations, created where new and linked to every trip under them."""
    wanted: dict[str, tuple[int, str, str, datetime]] = {}
    links: list[tuple[str, int, datetime]] = []
    for trip, pk in zip(trips, keys, strict=True):
        listed = [(trip.customs_declaration_number, trip.procedure_code, trip.customs_channel)]
        for number, code, channel in [*listed, *trip.more_customs_declarations]:
            if not number:
                continue
            wanted.setdefault(number, (trip.enterprise.pk, code, channel, trip.created_at))
            links.append((number, pk, trip.created_at))
    if not wanted:
        return
    codes = dict(ProcedureCode.objects.values_list("code", "pk"))
    existing: dict[str, int] = {}
    numbers = list(wanted)
    for start in range(0, len(numbers), 5000):
        existing.update(
            CustomsDeclaration.objects.filter(number__in=numbers[start : start + 5000]).values_list(
                "number", "pk"
            )
        )
    fast_insert(
        CustomsDeclaration,
        [
            SimpleNamespace(
                number=number,
                enterprise_id=enterprise,
                procedure_code_id=codes.get(code),
                registered_on=timezone.localdate(at),
                customs_office="",
                channel=channel,
                channel_recorded_at=at if channel else None,
                channel_recorded_by_id=None,
                channel_recorded_by_label="VNACCS (imported)" if channel else "",
                created_at=at,
            )
            for number, (enterprise, code, channel, at) in wanted.items()
            if number not in existing
        ],
    )
    new = [n for n in numbers if n not in existing]
    for start in range(0, len(new), 5000):
        existing.update(
            CustomsDeclaration.objects.filter(number__in=new[start : start + 5000]).values_list(
                "number", "pk"
            )
        )
    fast_insert(
        CustomsDeclarationTrip,
        [
            SimpleNamespace(customs_declaration_id=existing[number], trip_id=pk, added_at=at)
            for number, pk, at in dict.fromkeys(links)
        ],
    )
