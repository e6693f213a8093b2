"""Admission decisions move from a gate to its yard (flow 0003): the decisions a database holds,
the board's written ones included, belong to the gate's own yard afterwards."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from cuakhau.testing import migrate_to, migrate_to_latest

BEFORE = [("flow", "0002_overflow_alerts"), ("gates", "0007_yard_capacity_as_of")]
AFTER = [("flow", "0005_admission_yard_required")]


@pytest.mark.django_db(transaction=True)
def test_decisions_move_to_the_gates_own_yard() -> None:
    apps = migrate_to(BEFORE)
    try:
        Gate = apps.get_model("gates", "Gate")
        Route = apps.get_model("gates", "Route")
        Yard = apps.get_model("gates", "Yard")
        Decision = apps.get_model("flow", "AdmissionDecision")
        gate = Gate.objects.create(code="g", name_vi="G", kind="international", mode="road")
        route = Route.objects.create(gate=gate, code="r", name_vi="R")
        Yard.objects.create(gate=gate, code="a-holding", name="H", kind="holding_area")
        Yard.objects.create(gate=gate, route=route, code="b-route", name="R", kind="yard")
        own = Yard.objects.create(gate=gate, code="c-own", name="O", kind="yard")
        for day, reason in ((date(2026, 12, 1), ""), (date(2026, 12, 2), "agreed")):
            Decision.objects.create(
                gate=gate,
                flow="exit",
                day=day,
                status="held",
                expected_queue=1,
                expected_queue_high=2,
                probability_full=0.9,
                yard_capacity=450,
                capacity=10,
                computed_at=datetime(2026, 11, 30, tzinfo=UTC),
                override_reason=reason,
            )
        apps = migrate_to(AFTER)
        Decision = apps.get_model("flow", "AdmissionDecision")
        rows = list(Decision.objects.order_by("day").values_list("yard_id", "override_reason"))
        assert rows == [(own.pk, ""), (own.pk, "agreed")]
    finally:
        migrate_to_latest()
