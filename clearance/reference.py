"""Load the clearance rules shipped for Lạng Sơn from ``clearance/data/lang-son.json``.

Idempotent, and it never overwrites what the board or the customs administrator changed: rows
that exist are kept as they are; only missing ones are created (``cuakhau.reference``).
"""

from __future__ import annotations

import json
from collections import Counter
from decimal import Decimal
from pathlib import Path

from django.db import transaction

from clearance.models import (
    CheckRule,
    DocumentRequirement,
    ReferencePrice,
    SelectivityRule,
    TimeLimit,
)
from cuakhau.reference import ReferenceSync
from shipments.models import Commodity

DATA_FILE = Path(__file__).parent / "data" / "lang-son.json"


@transaction.atomic
def load_clearance_rules(sync: ReferenceSync | None = None) -> Counter[str]:
    data = json.loads(DATA_FILE.read_text(encoding="utf-8"))
    sync = sync or ReferenceSync()
    before = Counter(sync.counts)
    for row in data["check_rules"]:
        values = {k: v for k, v in row.items() if k != "code"}
        sync.row(CheckRule, {"code": row["code"]}, values)
    for row in data["document_requirements"]:
        values = {k: v for k, v in row.items() if k != "code"}
        sync.row(DocumentRequirement, {"code": row["code"]}, values)
    for row in data["time_limits"]:
        values = {k: v for k, v in row.items() if k != "kind"}
        sync.row(TimeLimit, {"kind": row["kind"]}, values)
    for row in data["selectivity_rules"]:
        values = {k: v for k, v in row.items() if k != "code"}
        values["rate"] = Decimal(values["rate"])
        sync.row(SelectivityRule, {"code": row["code"]}, values)
    commodities = {c.code: c for c in Commodity.objects.all()}
    for code, (low, high) in data["reference_prices"].items():
        if code in commodities:
            sync.row(
                ReferencePrice,
                {"commodity": commodities[code]},
                {
                    "min_usd_per_tonne": Decimal(low),
                    "max_usd_per_tonne": Decimal(high),
                    "source": "inferred from 2025 export prices; to be confirmed by customs",
                },
            )
    return sync.counts - before
