"""Importing past trips in bulk (history, demo), each step checked against the lifecycle."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from types import SimpleNamespace

from django.db import transaction

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
    Declaration,
    Driver,
    Enterprise,
    GoodsLine,
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
                customs_declaration_number=trip.customs_declaration_number,
                customs_channel=trip.customs_channel if trip.customs_declaration_number else "",
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
        audit.record_many(entries)
        # The demo builds a year in batches and recomputes the statistics once at the end.
        for hook in lifecycle.imported_hooks() if run_hooks else ():
            hook([d.pk for d in declarations])
    return len(declarations)
