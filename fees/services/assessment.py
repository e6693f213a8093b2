"""Assessment."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.utils import timezone

from accounts.models import User
from audit import services as audit
from fees import tariff
from fees.choices import (
    AssessmentStatus,
    ChargeKind,
    ChargeStatus,
    RefundReason,
)
from fees.models import (
    Assessment,
    Charge,
    FeeSchedule,
)
from fees.services.ledger import _settle
from fees.services.schedules import schedule_in_force, table_of
from shipments.lifecycle import Transition
from shipments.models import Declaration


@dataclass(frozen=True)
class TripBasis:
    trip: tariff.Trip
    tonnage_source: str

    def as_json(self) -> dict[str, Any]:
        return {
            "day": self.trip.day.isoformat(),
            "direction": self.trip.direction,
            "delivery": self.trip.delivery,
            "container": self.trip.container,
            "tonnage_kg": str(self.trip.tonnage_kg),
            "tonnage_source": self.tonnage_source,
            "goods_groups": sorted(self.trip.goods_groups),
        }


def trip_basis(declaration: Declaration) -> TripBasis:
    """What the fee depends on: the day of arrival, regime, delivery, container, tonnage, goods.

    The tonnage band is the vehicle's registered payload where it is known (the legal basis),
    otherwise the declared weight of the goods.
    """
    lines = list(declaration.lines.select_related("commodity"))
    payload = declaration.vehicle.payload_kg
    if payload:
        tonnage, source = Decimal(payload), "payload"
    else:
        tonnage, source = sum((ln.weight_kg for ln in lines), Decimal(0)), "goods"
    return TripBasis(
        tariff.Trip(
            day=timezone.localdate(declaration.planned_arrival),
            direction=declaration.direction,
            delivery=declaration.delivery,
            container=declaration.container,
            tonnage_kg=tonnage,
            goods_groups=frozenset(ln.commodity.goods_group for ln in lines),
            group_values=tuple(sorted(_values_by_group(lines).items())),
        ),
        source,
    )


def _values_by_group(lines: Any) -> dict[str, Decimal]:
    """Declared value of each goods group of the load (USD, summed over its lines)."""
    values: dict[str, Decimal] = {}
    for line in lines:
        group = line.commodity.goods_group
        values[group] = values.get(group, Decimal(0)) + Decimal(line.value_usd)
    return values


def compute(
    schedule: FeeSchedule | None, table: tariff.Table | None, basis: TripBasis
) -> dict[str, Any]:
    """The fields of an assessment for ``basis`` (no database writes)."""
    if schedule is None or table is None:
        return {
            "schedule": None,
            "status": AssessmentStatus.UNRATED,
            "amount_vnd": None,
            "goods_group": "",
            "explanation": {"missing": "schedule"},
        }
    try:
        result = tariff.assess(table, basis.trip)
    except tariff.NoRate as exc:
        return {
            "schedule": schedule,
            "status": AssessmentStatus.UNRATED,
            "amount_vnd": None,
            "goods_group": "",
            "explanation": {"missing": "rate", "keys": [list(k) for k in exc.missing]},
        }
    multipliers = {m.id: m for m in table.multipliers}
    reductions = {r.id: r for r in table.reductions}
    return {
        "schedule": schedule,
        "status": AssessmentStatus.ASSESSED,
        "amount_vnd": result.amount_vnd,
        "goods_group": result.chosen.goods_group,
        "explanation": {
            "schedule": {"id": schedule.pk, "code": schedule.code, "name": schedule.name},
            "vehicle_class": result.vehicle_class,
            "candidates": [
                {
                    "goods_group": c.goods_group,
                    "rate_id": c.rate_id,
                    "base_vnd": c.base_vnd,
                    "confirmed": c.confirmed,
                    "multipliers": [
                        {
                            "id": i,
                            "code": multipliers[i].code,
                            "factor": str(multipliers[i].factor),
                        }
                        for i in c.multiplier_ids
                    ],
                    "amount": str(c.amount),
                    "chosen": c is result.chosen,
                }
                for c in result.candidates
            ],
            "cap_vnd": table.cap_vnd,
            "capped": result.capped,
            "cap_confirmed": schedule.cap_confirmed,
            "reduction": (
                {
                    "id": result.reduction_id,
                    "code": reductions[result.reduction_id].code,
                    "percent": str(result.reduction_percent),
                }
                if result.reduction_id is not None
                else None
            ),
            "amount_vnd": result.amount_vnd,
            "confirmed": result.confirmed,
        },
    }


def assess_declaration(declaration: Declaration, *, actor_label: str) -> Assessment:
    """Assess (or reassess) a trip and bring its fee charge in line; call inside a transaction."""
    basis = trip_basis(declaration)
    schedule = schedule_in_force(basis.trip.day)
    fields = compute(schedule, table_of(schedule) if schedule else None, basis)
    now = timezone.now()
    Assessment.objects.filter(declaration=declaration, is_current=True).update(is_current=False)
    assessment = Assessment.objects.create(
        declaration=declaration,
        basis=basis.as_json(),
        is_current=True,
        assessed_at=now,
        actor_label=actor_label,
        **fields,
    )
    charge = Charge.objects.filter(declaration=declaration, kind=ChargeKind.INFRASTRUCTURE).first()
    amount = assessment.amount_vnd
    if amount is None:
        # Unrated: nothing is due until the board sets the rate (the trip is reassessed then).
        if charge is not None and charge.status == ChargeStatus.OPEN:
            charge.status, charge.voided_at, charge.assessment = ChargeStatus.VOID, now, assessment
            charge.save(update_fields=["status", "voided_at", "assessment"])
    elif charge is None:
        Charge.objects.create(
            declaration=declaration,
            kind=ChargeKind.INFRASTRUCTURE,
            amount_vnd=amount,
            goods_group=assessment.goods_group,
            assessment=assessment,
            created_at=now,
        )
    else:
        charge.amount_vnd, charge.goods_group, charge.assessment = (
            amount,
            assessment.goods_group,
            assessment,
        )
        charge.status, charge.voided_at = ChargeStatus.OPEN, None
        charge.save(
            update_fields=["amount_vnd", "goods_group", "assessment", "status", "voided_at"]
        )
    audit.record(
        action="fees.assessed",
        obj=declaration,
        actor_label=actor_label,
        after={
            "assessment": assessment.pk,
            "schedule": schedule.pk if schedule else None,
            "status": assessment.status,
            "amount_vnd": assessment.amount_vnd,
        },
        at=now,
    )
    _settle(declaration, now)
    return assessment


def on_declared(declaration: Declaration, actor: User | None) -> None:
    """Hook run when a declaration is made or amended."""
    assess_declaration(declaration, actor_label=audit.actor_label_for(actor, "system:fees"))


def on_leave(declaration: Declaration, move: Transition, actor: User | None) -> None:
    """A cancelled or rejected trip owes no infrastructure fee: void it and refund what was paid.

    Yard stays it already made remain due.
    """
    now = timezone.now()
    voided = Charge.objects.filter(
        declaration=declaration, kind=ChargeKind.INFRASTRUCTURE, status=ChargeStatus.OPEN
    ).update(status=ChargeStatus.VOID, voided_at=now)
    if voided:
        _settle(declaration, now, reason=RefundReason.CANCELLED)
