"""Load the commodity catalogue (``shipments/data/commodities.json``) and the VNACCS procedure
codes (``shipments/data/procedure_codes.json``).

Idempotent, and it never overwrites the board's edits (``cuakhau.reference.ReferenceSync``)."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

from django.db import transaction

from cuakhau.reference import ReferenceSync
from shipments.models import Commodity, ProcedureCode

DATA_FILE = Path(__file__).parent / "data" / "commodities.json"
PROCEDURE_CODES_FILE = Path(__file__).parent / "data" / "procedure_codes.json"


def _load(
    model: type[Commodity] | type[ProcedureCode],
    path: Path,
    rows: str,
    sync: ReferenceSync | None,
) -> Counter[str]:
    data = json.loads(path.read_text(encoding="utf-8"))
    sync = sync or ReferenceSync()
    before = Counter(sync.counts)
    for row in data[rows]:
        values = {k: v for k, v in row.items() if k != "code"}
        values.setdefault("source", data["_about"])
        sync.row(model, {"code": row["code"]}, values)
    return sync.counts - before


@transaction.atomic
def load_commodities(sync: ReferenceSync | None = None) -> Counter[str]:
    return _load(Commodity, DATA_FILE, "commodities", sync)


@transaction.atomic
def load_procedure_codes(sync: ReferenceSync | None = None) -> Counter[str]:
    return _load(ProcedureCode, PROCEDURE_CODES_FILE, "codes", sync)
