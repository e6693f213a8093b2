"""Rules as data."""

from __future__ import annotations

import hashlib
import hmac
from collections import defaultdict
from collections.abc import Sequence
from decimal import Decimal
from typing import TYPE_CHECKING

from django.conf import settings
from django.db.models import QuerySet

from clearance import selectivity
from clearance.models import (
    CheckRule,
    DocumentRequirement,
    ReferencePrice,
    SelectivityRule,
)
from shipments.models import Declaration, GoodsLine

if TYPE_CHECKING:
    pass


def _selectivity_secret() -> bytes:
    """A key for the draws derived from SECRET_KEY, so it is never the session key itself."""
    return hmac.new(
        settings.SECRET_KEY.encode(), b"cuakhau.clearance.selectivity", hashlib.sha256
    ).digest()


def _applies(
    rule: CheckRule | DocumentRequirement, direction: str, headings: Sequence[str]
) -> bool:
    if rule.directions and direction not in rule.directions:
        return False
    return not rule.hs_prefixes or any(h.startswith(tuple(rule.hs_prefixes)) for h in headings)


def required_check_rules(*, direction: str, headings: Sequence[str]) -> list[CheckRule]:
    rules = CheckRule.objects.filter(is_active=True).order_by("agency", "code")
    chosen: dict[str, CheckRule] = {}
    for rule in rules:
        # One check per agency, whichever of its rules asked for it first.
        if _applies(rule, direction, headings) and rule.agency not in chosen:
            chosen[rule.agency] = rule
    return list(chosen.values())


def required_documents(declaration: Declaration) -> list[DocumentRequirement]:
    headings = [line.hs_heading for line in declaration.lines.all()]
    return [
        requirement
        for requirement in DocumentRequirement.objects.filter(is_active=True)
        if _applies(requirement, declaration.direction, headings)
    ]


def price_ranges() -> dict[int, tuple[Decimal, Decimal]]:
    return {
        p.commodity_id: (p.min_usd_per_tonne, p.max_usd_per_tonne)
        for p in ReferencePrice.objects.all()
    }


def active_selectivity_rules() -> list[SelectivityRule]:
    return list(SelectivityRule.objects.filter(is_active=True).order_by("code"))


def facts_for(declarations: QuerySet[Declaration]) -> list[selectivity.DeclarationFacts]:
    """Selectivity's view of many declarations, in two queries whatever their number."""
    rows = list(
        declarations.order_by("pk").values_list(
            "pk", "reference", "direction", "enterprise__compliance_class", "origin_province"
        )
    )
    lines: dict[int, list[selectivity.LineFacts]] = defaultdict(list)
    keys = [row[0] for row in rows]
    for start in range(0, len(keys), 5000):
        for declaration_id, heading, commodity_id, weight, value in GoodsLine.objects.filter(
            declaration_id__in=keys[start : start + 5000]
        ).values_list("declaration_id", "hs_heading", "commodity_id", "weight_kg", "value_usd"):
            lines[declaration_id].append(
                selectivity.LineFacts(heading, commodity_id, weight, value)
            )
    return [
        selectivity.DeclarationFacts(
            reference=reference,
            direction=direction,
            compliance_class=compliance,
            origin_province=province,
            lines=tuple(lines[pk]),
        )
        for pk, reference, direction, compliance, province in rows
    ]
