"""Selectivity rules: editing and preview."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from accounts import policy
from accounts.models import User
from audit import services as audit
from clearance import policy as rules
from clearance import selectivity
from clearance.choices import (
    SEVERITY,
    RuleTarget,
)
from clearance.models import (
    CheckRule,
    SelectivityRule,
)
from cuakhau.errors import Conflict, InvalidInput, NotFound
from cuakhau.numbers import NumberError, ascii_digits, parse_decimal
from shipments.choices import ComplianceClass, Direction
from shipments.models import Declaration
from shipments.provinces import province_choices

if TYPE_CHECKING:
    pass
from clearance.services.common import PREVIEW_DAYS
from clearance.services.rules import (
    _selectivity_secret,
    active_selectivity_rules,
    facts_for,
    price_ranges,
)


@dataclass
class RuleInput:
    code: str
    description: str
    channel: str
    rate: Any
    # Lists, or comma-separated text as typed in the form.
    compliance_classes: Any = field(default_factory=list)
    hs_prefixes: Any = field(default_factory=list)
    directions: Any = field(default_factory=list)
    origin_provinces: Any = field(default_factory=list)
    value_outside_range: bool = False
    is_active: bool = True
    # A language code when a person typed the rate in a form ("0,05" in "vi"); None for the API.
    number_language: str | None = None


def _as_list(raw: Any) -> list[Any]:
    if raw is None or raw == "":
        return []
    if isinstance(raw, str):
        return [part.strip() for part in raw.replace(";", ",").split(",") if part.strip()]
    if isinstance(raw, list | tuple):
        return [part.strip() if isinstance(part, str) else part for part in raw if part != ""]
    return [raw]


def check_rule_input(data: RuleInput, *, existing: SelectivityRule | None) -> SelectivityRule:
    """Validate a rule and return it unsaved (the existing row changed in memory, or a new one)."""
    errors: dict[str, list[str]] = {}
    code = data.code.strip().lower()
    if existing is None:
        if not code or not all(ch.isalnum() or ch in "-_" for ch in code) or len(code) > 40:
            errors["code"] = [_("Use 1 to 40 letters, digits, '-' or '_'.")]
        elif SelectivityRule.objects.filter(code=code).exists():
            errors["code"] = [_("A rule with this code exists; edit it instead.")]
    description = data.description.strip()
    if not description:
        errors["description"] = [_("Describe what the rule looks for.")]
    elif len(description) > 300:
        errors["description"] = [_("At most 300 characters.")]
    if data.channel not in RuleTarget.values:
        errors["channel"] = [_("Choose yellow, red or post-clearance audit.")]
    rate: Decimal | None
    try:
        rate = parse_decimal(data.rate, language=data.number_language, places=4)
    except NumberError as exc:
        rate, errors["rate"] = None, [exc.message]
    if rate is not None and not Decimal(0) <= rate <= Decimal(1):
        rate = None
        errors["rate"] = [
            _("Give a share between 0 and 1, e.g. %(example)s for 5%%.")
            % {"example": number_format(Decimal("0.05"))}
        ]
    classes = _as_list(data.compliance_classes)
    if bad := [c for c in classes if c not in ComplianceClass.values]:
        errors["compliance_classes"] = [
            _("Unknown: %(bad)s. Use: %(good)s.")
            % {"bad": ", ".join(map(str, bad)), "good": ", ".join(ComplianceClass.values)}
        ]
    directions = _as_list(data.directions)
    if bad := [d for d in directions if d not in Direction.values]:
        errors["directions"] = [
            _("Unknown: %(bad)s. Use: %(good)s.")
            % {"bad": ", ".join(map(str, bad)), "good": ", ".join(Direction.values)}
        ]
    prefixes = [ascii_digits(str(p)).strip() for p in _as_list(data.hs_prefixes)]
    if bad := [p for p in prefixes if not (p.isascii() and p.isdigit() and 2 <= len(p) <= 4)]:
        errors["hs_prefixes"] = [
            _("Unknown: %s. Give HS chapters (2 digits) or headings (4 digits).") % ", ".join(bad)
        ]
    provinces: list[int] = []
    known = {code for code, _name in province_choices()}
    for raw in _as_list(data.origin_provinces):
        try:
            number = int(raw)
        except (TypeError, ValueError):
            number = -1
        if number not in known:
            errors["origin_provinces"] = [_("Unknown province code: %s.") % raw]
            break
        provinces.append(number)
    if errors:
        raise InvalidInput(_("The rule has errors; see each field."), fields=errors)
    rule = existing or SelectivityRule(code=code)
    rule.description = description
    rule.channel = data.channel
    rule.rate = rate  # type: ignore[assignment]
    rule.compliance_classes = classes
    rule.directions = directions
    rule.hs_prefixes = prefixes
    rule.origin_provinces = provinces
    rule.value_outside_range = bool(data.value_outside_range)
    rule.is_active = bool(data.is_active)
    return rule


def _with_change(rule: SelectivityRule) -> list[SelectivityRule]:
    others = [r for r in active_selectivity_rules() if r.code != rule.code]
    return sorted([*others, rule] if rule.is_active else others, key=lambda r: r.code)


def random_selection_rate(rules: Iterable[SelectivityRule]) -> float:
    """The chance that a declaration no targeted rule picks is still checked at the gate
    (yellow or red; post-clearance audit happens after release)."""
    miss = 1.0
    for rule in rules:
        if rule.is_random and rule.channel in (RuleTarget.YELLOW, RuleTarget.RED):
            miss *= 1.0 - float(rule.rate)
    return 1.0 - miss


def _check_random_minimum(rules: list[SelectivityRule]) -> None:
    floor = float(settings.CUAKHAU_MIN_RANDOM_SELECTION)
    rate = random_selection_rate(rules)
    if rate + 1e-9 < floor:
        raise Conflict(
            _(
                "After this change only %(rate).2f%% of declarations would be selected at "
                "random; the minimum is %(floor).2f%%."
            )
            % {"rate": rate * 100, "floor": floor * 100},
            code="below_random_minimum",
            fields={"rate": [_("Keep the random selection at or above the minimum.")]},
        )


def _may_edit_rules(actor: User) -> None:
    policy.require(actor, rules.EDIT_SELECTIVITY)


@dataclass(frozen=True)
class Preview:
    days: int
    count: int
    current: selectivity.Shares
    proposed: selectivity.Shares
    changed: int
    changed_by_channel: dict[str, dict[str, int]]
    random_rate: float


def preview_rule(*, actor: User, data: RuleInput, days: int = PREVIEW_DAYS) -> Preview:
    """What the rule change would have done to the last ``days`` days of declarations."""
    _may_edit_rules(actor)
    existing = SelectivityRule.objects.filter(code=data.code.strip().lower()).first()
    if existing is not None:
        existing = SelectivityRule.objects.get(pk=existing.pk)
    rule = check_rule_input(data, existing=existing)
    current_rules = active_selectivity_rules()
    proposed_rules = _with_change(rule)
    since = timezone.now() - timedelta(days=days)
    population = facts_for(Declaration.objects.filter(created_at__gte=since))
    prices = price_ranges()
    secret = _selectivity_secret()
    current, proposed = selectivity.evaluate(
        population, [current_rules, proposed_rules], prices, secret
    )
    moves: dict[str, dict[str, int]] = {c: dict.fromkeys(SEVERITY, 0) for c in SEVERITY}
    for before, after in zip(current.channels, proposed.channels, strict=True):
        moves[before][after] += 1
    changed = sum(n for b, row in moves.items() for a, n in row.items() if a != b)
    return Preview(
        days=days,
        count=len(population),
        current=current.shares,
        proposed=proposed.shares,
        changed=changed,
        changed_by_channel=moves,
        random_rate=random_selection_rate(proposed_rules),
    )


def do_save_rule(*, actor: User, data: RuleInput, creating: bool) -> SelectivityRule:
    """Create a rule (its code must be new) or change an existing one, with audit."""
    _may_edit_rules(actor)
    with transaction.atomic():
        code = data.code.strip().lower()
        existing = None
        if not creating:
            existing = SelectivityRule.objects.select_for_update().filter(code=code).first()
            if existing is None:
                raise NotFound(_("No such rule."))
        before = _rule_snapshot(existing) if existing is not None else None
        rule = check_rule_input(data, existing=existing)
        _check_random_minimum(_with_change(rule))
        rule.updated_at = timezone.now()
        rule.updated_by = actor
        rule.save()
        audit.record(
            action="selectivity_rule.changed" if before else "selectivity_rule.created",
            obj=rule,
            actor=actor,
            before=before,
            after=_rule_snapshot(rule),
        )
    return rule


def _rule_snapshot(rule: SelectivityRule) -> dict[str, Any]:
    return {
        "code": rule.code,
        "description": rule.description,
        "channel": rule.channel,
        "rate": str(rule.rate),
        "compliance_classes": list(rule.compliance_classes),
        "hs_prefixes": list(rule.hs_prefixes),
        "directions": list(rule.directions),
        "origin_provinces": list(rule.origin_provinces),
        "value_outside_range": rule.value_outside_range,
        "is_active": rule.is_active,
    }


def do_set_check_rule(*, actor: User, code: str, active: bool, reason: str) -> CheckRule:
    """The board switches a check on or off (the health check during an epidemic)."""
    policy.require(actor, rules.SWITCH_CHECK_RULE)
    if not reason.strip():
        raise InvalidInput(_("Give a reason."), fields={"reason": [_("A reason is required.")]})
    with transaction.atomic():
        rule = CheckRule.objects.select_for_update().filter(code=code).first()
        if rule is None:
            raise NotFound(_("No such check rule."))
        before = rule.is_active
        rule.is_active = active
        rule.save(update_fields=["is_active"])
        audit.record(
            action="check_rule.switched",
            obj=rule,
            actor=actor,
            before={"is_active": before},
            after={"is_active": active, "reason": reason.strip()},
        )
    return rule
