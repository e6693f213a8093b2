"""Load the commodity catalogue from ``shipments/data/commodities.json``, idempotently."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

from django.db import transaction

from shipments.models import Commodity

DATA_FILE = Path(__file__).parent / "data" / "commodities.json"


@transaction.atomic
def load_commodities() -> Counter[str]:
    data = json.loads(DATA_FILE.read_text(encoding="utf-8"))
    counts: Counter[str] = Counter()
    for row in data["commodities"]:
        values = {k: v for k, v in row.items() if k != "code"}
        values.setdefault("source", data["_about"])
        _obj, created = Commodity.objects.update_or_create(code=row["code"], defaults=values)
        counts[f"commodity.{'created' if created else 'kept'}"] += 1
    return counts
