"""Load the clearance rules shipped for Lạng Sơn from ``clearance/data/lang-son.json``.

Idempotent, and it never overwrites what the board or the customs administrator changed: rows
that exist are kept as they are; only missing ones are created.
"""

from __future__ import annotations

import json
from collections import Counter
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.db import transaction

from clearance.models import (
    CheckRule,
    DocumentRequirement,
    ReferencePrice,
    SelectivityRule,
    TimeLimit,
)
from shipments.models import Commodity

DATA_FILE = Path(__file__).parent / "data" / "lang-son.json"


def _create_missing(
    model: Any, counts: Counter[str], lookup: dict[str, Any], values: dict[str, Any]
) -> None:
    _obj, created = model.objects.get_or_create(defaults=values, **lookup)
    counts[f"{model._meta.model_name}.{'created' if created else 'kept'}"] += 1


@transaction.atomic
def load_clearance_rules() -> Counter[str]:
    data = json.loads(DATA_FILE.read_text(encoding="utf-8"))
    counts: Counter[str] = Counter()
    for row in data["check_rules"]:
        values = {k: v for k, v in row.items() if k != "code"}
        _create_missing(CheckRule, counts, {"code": row["code"]}, values)
    for row in data["document_requirements"]:
        values = {k: v for k, v in row.items() if k != "code"}
        _create_missing(DocumentRequirement, counts, {"code": row["code"]}, values)
    for row in data["time_limits"]:
        values = {k: v for k, v in row.items() if k != "kind"}
        _create_missing(TimeLimit, counts, {"kind": row["kind"]}, values)
    for row in data["selectivity_rules"]:
        values = {k: v for k, v in row.items() if k != "code"}
        values["rate"] = Decimal(values["rate"])
        _create_missing(SelectivityRule, counts, {"code": row["code"]}, values)
    commodities = {c.code: c for c in Commodity.objects.all()}
    for code, (low, high) in data["reference_prices"].items():
        if code in commodities:
            _create_missing(
                ReferencePrice,
                counts,
                {"commodity": commodities[code]},
                {
                    "min_usd_per_tonne": Decimal(low),
                    "max_usd_per_tonne": Decimal(high),
                    "source": "inferred from 2025 export prices; to be confirmed by customs",
                },
            )
    return counts
