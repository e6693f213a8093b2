"""Load the fee schedules shipped for Lạng Sơn from ``fees/data/lang-son.json``.

Idempotent, and it never overwrites the board's edits: a schedule that exists (by code) is kept
with everything in it; only missing schedules are created, with their rates, multipliers and
yard rates.
"""

from __future__ import annotations

import json
from collections import Counter
from datetime import date
from decimal import Decimal
from pathlib import Path

from django.db import transaction

from cuakhau.reference import ReferenceSync
from fees.models import FeeMultiplier, FeeRate, FeeSchedule, YardRate
from gates.models import YardOperator

DATA_FILE = Path(__file__).parent / "data" / "lang-son.json"


@transaction.atomic
def load_fee_schedules(sync: ReferenceSync | None = None) -> Counter[str]:
    """Schedules are kept whole once they exist (a schedule is a legal text with its rates):
    ``--update`` does not rewrite them; the board edits rates in its fee pages."""
    data = json.loads(DATA_FILE.read_text(encoding="utf-8"))
    counts: Counter[str] = Counter()
    for row in data["schedules"]:
        if FeeSchedule.objects.filter(code=row["code"]).exists():
            counts["feeschedule.kept"] += 1
            continue
        schedule = FeeSchedule.objects.create(
            code=row["code"],
            name=row["name"],
            legal_basis=row["legal_basis"],
            valid_from=date.fromisoformat(row["valid_from"]),
            valid_to=date.fromisoformat(row["valid_to"]) if row["valid_to"] else None,
            cap_vnd=row["cap_vnd"],
            band_limits_kg=row["band_limits_kg"],
            center_share_percent=Decimal(row["center_share_percent"]),
            source=row["source"],
        )
        counts["feeschedule.created"] += 1
        for group in row["rates"]:
            for klass, amount in group["amounts"].items():
                FeeRate.objects.create(
                    schedule=schedule,
                    directions=group["directions"],
                    goods_groups=group["goods_groups"],
                    vehicle_class=klass,
                    amount_vnd=amount,
                    confirmed=klass in group["confirmed"],
                    note="" if klass in group["confirmed"] else "to be confirmed by the board",
                )
                counts["feerate.created"] += 1
        for multiplier in row["multipliers"]:
            FeeMultiplier.objects.create(
                schedule=schedule, **{**multiplier, "factor": Decimal(multiplier["factor"])}
            )
            counts["feemultiplier.created"] += 1
        for yard in row.get("yard_rates", []):
            YardRate.objects.create(schedule=schedule, **yard)
            counts["yardrate.created"] += 1
    # Parking: each yard operator's own price list, outside the resolution and its split.
    operators = {o.code: o for o in YardOperator.objects.all()}
    for code, rates in data["operator_yard_rates"].items():
        if code.startswith("_") or code not in operators:
            continue
        for yard in rates:
            _, created = YardRate.objects.get_or_create(
                operator=operators[code], vehicle_class=yard["vehicle_class"], defaults=yard
            )
            counts[f"yardrate.{'created' if created else 'kept'}"] += 1
    if sync is not None:
        sync.counts.update(counts)
    return counts
