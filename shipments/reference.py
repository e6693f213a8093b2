"""Load the commodity catalogue from ``shipments/data/commodities.json``.

Idempotent, and it never overwrites the board's edits (``cuakhau.reference.ReferenceSync``)."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

from django.db import transaction

from cuakhau.reference import ReferenceSync
from shipments.models import Commodity

DATA_FILE = Path(__file__).parent / "data" / "commodities.json"


@transaction.atomic
def load_commodities(sync: ReferenceSync | None = None) -> Counter[str]:
    data = json.loads(DATA_FILE.read_text(encoding="utf-8"))
    sync = sync or ReferenceSync()
    before = Counter(sync.counts)
    for row in data["commodities"]:
        values = {k: v for k, v in row.items() if k != "code"}
        values.setdefault("source", data["_about"])
        sync.row(Commodity, {"code": row["code"]}, values)
    return sync.counts - before
