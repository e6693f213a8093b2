"""The board's list of registered fruit codes (PUC growing areas, PHC packing houses).

China turns back fresh fruit that does not carry a growing-area and a packing-house code it has
registered; the list grows by hundreds of codes a year (293 PUC / 115 PHC by May 2023). The
board imports it from a CSV file; declarations of fruit for China are checked against it
(``checks.needs_fruit_codes``).
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass

from django.db import transaction
from django.utils.translation import gettext as _

from accounts import policy
from accounts.models import User
from audit import services as audit
from cuakhau.errors import InvalidInput
from shipments import policy as rules
from shipments.choices import FruitCodeKind
from shipments.models import Commodity, FruitCode
from shipments.provinces import province_choices

#: The columns of the import file; ``commodity``, ``holder`` and ``province`` may be empty.
COLUMNS = ("kind", "code", "commodity", "holder", "province")
MAX_ROWS = 20_000
_CODE = re.compile(r"^[A-Z0-9][A-Z0-9./-]{2,39}$")


@dataclass(frozen=True)
class ImportResult:
    created: int
    updated: int
    unchanged: int


def do_import_fruit_codes(*, actor: User, content: bytes, source: str) -> ImportResult:
    """Create or update codes from CSV (UTF-8, a header row naming the columns). Every row is
    checked first: one bad row refuses the whole file, naming the row and the column."""
    policy.require(actor, rules.MANAGE_FRUIT_CODES)
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InvalidInput(
            _("The file is not UTF-8 text."), fields={"file": [_("Save the CSV as UTF-8.")]}
        ) from exc
    reader = csv.DictReader(io.StringIO(text))
    missing = [c for c in ("kind", "code") if c not in (reader.fieldnames or [])]
    if missing:
        raise InvalidInput(
            _("The file has errors; see each field."),
            fields={"file": [_("The header must name the columns: %s.") % ", ".join(COLUMNS)]},
        )
    catalogue = {c.code: c for c in Commodity.objects.all()}
    provinces = {code for code, _name in province_choices()}
    rows: list[dict[str, object]] = []
    problems: list[str] = []
    for number, raw in enumerate(reader, start=2):
        if len(rows) >= MAX_ROWS:
            problems.append(_("At most %d rows in one file.") % MAX_ROWS)
            break
        kind = (raw.get("kind") or "").strip().lower()
        code = re.sub(r"\s", "", raw.get("code") or "").upper()
        fruit = (raw.get("commodity") or "").strip()
        province = (raw.get("province") or "").strip()
        if kind not in FruitCodeKind.values:
            problems.append(_("Row %(row)d, kind: use puc or phc.") % {"row": number})
        if not _CODE.match(code):
            problems.append(
                _("Row %(row)d, code: 3 to 40 letters, digits, '-', '.' or '/'.") % {"row": number}
            )
        if fruit and fruit not in catalogue:
            problems.append(
                _("Row %(row)d, commodity: %(code)s is not in the catalogue.")
                % {"row": number, "code": fruit}
            )
        if province and (not province.isdigit() or int(province) not in provinces):
            problems.append(
                _("Row %(row)d, province: %(code)s is not a province code.")
                % {"row": number, "code": province}
            )
        rows.append(
            {
                "kind": kind,
                "code": code,
                "commodity": catalogue.get(fruit),
                "holder": (raw.get("holder") or "").strip()[:200],
                "province": int(province) if province.isdigit() else None,
            }
        )
        if len(problems) >= 20:
            break
    if problems:
        raise InvalidInput(_("The file has errors; see each field."), fields={"file": problems})
    if not rows:
        raise InvalidInput(
            _("The file has errors; see each field."), fields={"file": [_("The file has no rows.")]}
        )
    created = updated = unchanged = 0
    with transaction.atomic():
        existing = {(c.kind, c.code): c for c in FruitCode.objects.select_for_update()}
        for row in rows:
            key = (str(row["kind"]), str(row["code"]))
            current = existing.get(key)
            values = {
                "commodity": row["commodity"],
                "holder": row["holder"],
                "province": row["province"],
                "is_active": True,
                "source": source.strip()[:1000],
            }
            if current is None:
                existing[key] = FruitCode.objects.create(kind=key[0], code=key[1], **values)
                created += 1
            elif any(getattr(current, k) != v for k, v in values.items() if k != "source"):
                for name, value in values.items():
                    setattr(current, name, value)
                current.save()
                updated += 1
            else:
                unchanged += 1
        audit.record(
            action="shipments.fruit_codes_imported",
            object_type="shipments.fruitcode",
            object_id="list",
            actor=actor,
            after={
                "created": created,
                "updated": updated,
                "unchanged": unchanged,
                "source": source.strip()[:1000],
            },
        )
    return ImportResult(created, updated, unchanged)
