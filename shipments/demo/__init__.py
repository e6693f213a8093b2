"""Demo accounts and traffic calibrated to Lạng Sơn's published figures.

Volumes come from the mid-2025 trucks per day per gate and direction in the reference data
(``observed_daily_trucks``); the commodity mix per gate follows docs/sources.md (fruit through
Tân Thanh, seafood through Cốc Nam, electronics and machinery imported through Hữu Nghị, mostly
imports and medicinal herbs at Chi Ma). Traffic dips on Sundays, swells in the lychee season
(June) and nearly stops around Tết / Spring Festival. Everything derives from one seeded RNG, so
the same ``--seed`` and ``--end`` give the same data.

History goes in through :func:`shipments.services.import_history`, which checks every step
against the lifecycle table and writes the same state-change and audit rows as live moves.

One module per part: ``traffic`` (calibration), ``accounts``, ``names`` (names, tax codes,
plates) and ``builder``; this package builds the demo and re-exports what callers use.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from accounts.models import User
from clearance.services import open_backlog
from fees.demo import build_fees_demo
from flow.demo import build_flow_demo
from shipments.demo.accounts import ACCOUNTS, DemoAccount
from shipments.demo.builder import DEMO_FRUIT_CODES, DemoBuilder, demo_fruit_codes
from shipments.demo.traffic import DEMO_LABEL, day_factor, tet_days
from shipments.models import Declaration
from shipments.services import HistoricTrip, import_history
from tradestats.rollups import rebuild as rebuild_trade_statistics


def demo_exists() -> bool:
    return User.objects.filter(username="declarant").exists()


def build_demo(
    *,
    seed: int = 1,
    days: int = 30,
    end: date | None = None,
    scale: float = 1.0,
    progress: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """Build the demo; ``progress`` is told what is being built as it goes (``make run`` shows
    it, since the whole build takes a minute or more)."""
    say = progress or (lambda message: None)
    builder = DemoBuilder(seed=seed, days=days, end=end or timezone.localdate(), scale=scale)
    if not builder.catalogue or not builder.gates:
        raise RuntimeError("Load the reference data first (cuakhau load-reference)")
    with transaction.atomic():
        enterprises = builder.enterprises()
        demo_fruit_codes()
        fleet = builder.fleet(enterprises, size=max(60, int(2400 * scale)))
        own = next(
            d for v, d in fleet if v.enterprise_id == enterprises[0].pk and v.country == "VN"
        )
        accounts = builder.accounts(enterprises, own)
    say(f"{len(enterprises)} enterprises, {len(fleet)} trucks and the demo accounts")
    created = 0
    batch: list[HistoricTrip] = []
    references: set[str] = set()
    for trip in builder.trips(fleet):
        if trip.reference in references:
            continue
        references.add(trip.reference)
        batch.append(trip)
        if len(batch) >= 2000:
            created += import_history(trips=batch, actor_label=DEMO_LABEL, run_hooks=False)
            batch = []
            if created % 10000 == 0:
                say(f"{created:,} declarations with their history")
    created += import_history(trips=batch, actor_label=DEMO_LABEL, run_hooks=False)
    say(f"{created:,} declarations with their history; opening checks in the yards")
    # Trucks already in the yard get their channel and agency checks, as a live arrival would.
    checks_opened = open_backlog()
    say("slots, bookings, yard visits and camera reads")
    flow = build_flow_demo(seed=seed)
    say("fees: assessments, payments, receipts and yard charges")
    fees = build_fees_demo(seed=seed)
    say("trade statistics")
    counted = rebuild_trade_statistics()
    by_state = dict(
        Declaration.objects.order_by()
        .values_list("state")
        .annotate(n=Count("pk"))
        .values_list("state", "n")
    )
    return {
        "accounts": accounts,
        "declarations": created,
        "by_state": by_state,
        "clearances_opened": checks_opened,
        "trade_statistics_trips": counted,
        **flow,
        **fees,
    }


__all__ = [
    "ACCOUNTS",
    "DEMO_FRUIT_CODES",
    "DEMO_LABEL",
    "DemoAccount",
    "DemoBuilder",
    "build_demo",
    "day_factor",
    "demo_exists",
    "demo_fruit_codes",
    "tet_days",
]
