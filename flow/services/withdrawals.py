"""Trucks that gave up: withdrawn by their declarant before crossing, with the reason
(``Declaration.withdrawal_reason``). Counted per gate and direction for the board; the planning
adapter turns the ones that left the yard into the backlog forecast's daily leave rate
(``flow.planning.leave_rate``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext

from flow.planning import IN_YARD, leave_rate
from gates.choices import Flow
from gates.models import Gate
from shipments.choices import TruckState, WithdrawalReason
from shipments.models import Declaration, StateChange


@dataclass
class Withdrawals:
    gate: Gate
    flow: str
    #: Withdrawn before reaching the yard, and from the yard.
    before_yard: int = 0
    from_yard: int = 0
    #: Reason code ("" when none was given) → trucks.
    by_reason: dict[str, int] = field(default_factory=dict)
    #: Trucks due in the window, withdrawn or not: the share's denominator.
    due: int = 0
    #: Daily chance that a truck waiting in the yard gives up (what the forecast uses).
    daily_leave_rate: float = 0.0

    def get_flow_display(self) -> str:
        return str(Flow(self.flow).label)

    @property
    def total(self) -> int:
        return self.before_yard + self.from_yard

    @property
    def share(self) -> float | None:
        return self.total / self.due if self.due else None

    def reasons(self) -> list[tuple[str, int]]:
        """(label, trucks), most first; "not given" for cancellations without a reason code."""
        labels = {**dict(WithdrawalReason.choices), "": gettext("not given")}
        return sorted(
            ((str(labels.get(code, code)), n) for code, n in self.by_reason.items()),
            key=lambda pair: (-pair[1], pair[0]),
        )


def withdrawal_counts(*, days: int = 28) -> list[Withdrawals]:
    """Per road gate and direction, the trucks withdrawn in the last ``days`` days, by reason
    and by where they were, against the trucks due in that time."""
    now = timezone.now()
    since = now - timedelta(days=days)
    gates = {g.pk: g for g in Gate.objects.filter(is_active=True, mode="road")}
    rows: dict[tuple[int, str], Withdrawals] = {}

    def row(gate_id: int, flow: str) -> Withdrawals:
        if (gate_id, flow) not in rows:
            rows[(gate_id, flow)] = Withdrawals(gates[gate_id], flow)
        return rows[(gate_id, flow)]

    for change in (
        StateChange.objects.filter(
            to_state=TruckState.CANCELLED, at__gte=since, declaration__gate__in=gates
        )
        .values("declaration__gate", "declaration__flow", "declaration__withdrawal_reason")
        .annotate(n=Count("pk"))
        .values_list(
            "declaration__gate", "declaration__flow", "declaration__withdrawal_reason", "n"
        )
    ):
        gate_id, flow, reason, n = change
        target = row(gate_id, flow)
        target.by_reason[reason] = target.by_reason.get(reason, 0) + n
    for gate_id, flow, n in (
        StateChange.objects.filter(
            to_state=TruckState.CANCELLED,
            from_state__in=IN_YARD,
            at__gte=since,
            declaration__gate__in=gates,
        )
        .values("declaration__gate", "declaration__flow")
        .annotate(n=Count("pk"))
        .values_list("declaration__gate", "declaration__flow", "n")
    ):
        row(gate_id, flow).from_yard = n
    for gate_id, flow, n in (
        Declaration.objects.filter(
            planned_arrival__gte=since, planned_arrival__lte=now, gate__in=gates
        )
        .values("gate", "flow")
        .annotate(n=Count("pk"))
        .values_list("gate", "flow", "n")
    ):
        if (gate_id, flow) in rows:
            rows[(gate_id, flow)].due = n
    for target in rows.values():
        target.before_yard = sum(target.by_reason.values()) - target.from_yard
        target.daily_leave_rate = leave_rate(Q(gate=target.gate, flow=target.flow), now)
    return sorted(rows.values(), key=lambda r: (r.gate.sort_order, r.flow))
