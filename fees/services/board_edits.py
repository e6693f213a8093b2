"""Board edits."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import policy
from accounts.models import User
from audit import services as audit
from cuakhau.errors import InvalidInput, NotFound
from cuakhau.numbers import NumberError, ascii_digits, parse_day, parse_decimal
from fees import policy as rules
from fees.choices import (
    AssessmentStatus,
)
from fees.models import (
    FeeMultiplier,
    FeeRate,
    FeeReduction,
    FeeSchedule,
    YardRate,
)
from fees.services.assessment import assess_declaration
from shipments.choices import TERMINAL_STATES, Direction, GoodsGroup
from shipments.models import Declaration


def _board(actor: User) -> None:
    policy.require(actor, rules.MANAGE_FEES)


_AMOUNT = re.compile(r"^(\d{1,3}([.,\s]\d{3})+|\d{1,13})$")


def parse_amount(raw: Any, name: str, errors: dict[str, list[str]]) -> int | None:
    """Whole đồng, with or without thousands separators (100000, 100.000, 100,000)."""
    text = ascii_digits(str(raw if raw is not None else "")).strip()
    if isinstance(raw, bool) or not _AMOUNT.match(text):
        errors.setdefault(name, []).append(_("Give an amount in whole đồng, 0 or more."))
        return None
    value = int(re.sub(r"\D", "", text))
    if value >= 10**13:
        errors.setdefault(name, []).append(_("Give an amount in whole đồng, 0 or more."))
        return None
    return value


def do_set_rate(*, actor: User, rate_id: int, amount_vnd: Any, confirmed: bool) -> FeeRate:
    """The board sets a per-trip rate (audited); unrated trips that it now covers are assessed."""
    _board(actor)
    errors: dict[str, list[str]] = {}
    amount = parse_amount(amount_vnd, "amount_vnd", errors)
    if errors or amount is None:
        raise InvalidInput(_("The rate has errors; see each field."), fields=errors)
    with transaction.atomic():
        rate = FeeRate.objects.select_for_update().filter(pk=rate_id).first()
        if rate is None:
            raise NotFound(_("No such rate."))
        before = {"amount_vnd": rate.amount_vnd, "confirmed": rate.confirmed}
        rate.amount_vnd, rate.confirmed = amount, confirmed
        rate.save(update_fields=["amount_vnd", "confirmed"])
        audit.record(
            action="fees.rate_changed",
            obj=rate,
            actor=actor,
            before=before,
            after={"amount_vnd": amount, "confirmed": confirmed},
        )
        reassess_unrated(actor=actor)
    return rate


def reassess_unrated(*, actor: User | None) -> int:
    """Assess again the live trips whose fee had no rate (after the board set one)."""
    declarations = Declaration.objects.filter(
        assessments__is_current=True, assessments__status=AssessmentStatus.UNRATED
    ).exclude(state__in=TERMINAL_STATES)
    label = audit.actor_label_for(actor, "system:fees")
    count = 0
    for pk in list(declarations.values_list("pk", flat=True)):
        with transaction.atomic():
            declaration = (
                Declaration.objects.select_for_update(of=("self",))
                .select_related("vehicle")
                .get(pk=pk)
            )
            assess_declaration(declaration, actor_label=label)
        count += 1
    return count


@dataclass
class ReductionInput:
    code: str = ""
    name: str = ""
    legal_basis: str = ""
    percent: Any = None
    valid_from: Any = None
    valid_to: Any = None
    directions: Sequence[str] = ()
    goods_groups: Sequence[str] = ()
    # A language code when a person typed the percentage in a form; None for the API.
    number_language: str | None = None


MAX_DAYS = 3660


def parse_days(raw: Any) -> int | None:
    """A number of days from a query string (blank: None); 1 to about ten years, else 400."""
    text = ascii_digits(str(raw or "")).strip()
    if not text:
        return None
    if not text.isdigit() or not 1 <= int(text[:6]) <= MAX_DAYS or len(text) > 6:
        raise InvalidInput(
            _("Give a whole number of days."),
            fields={"days": [_("Give a whole number of days, 1 to %d.") % MAX_DAYS]},
        )
    return int(text)


def do_save_reduction(
    *, actor: User, data: ReductionInput, reduction_id: int | None = None
) -> FeeReduction:
    """Create or change a dated reduction (audited). It applies to trips assessed from now on."""
    _board(actor)
    errors: dict[str, list[str]] = {}
    code = data.code.strip().lower()
    if not code or len(code) > 40 or not all(c.isalnum() or c in "-_" for c in code):
        errors["code"] = [_("Give a short code: letters, digits and dashes.")]
    elif FeeReduction.objects.filter(code=code).exclude(pk=reduction_id).exists():
        errors["code"] = [_("This code is already used.")]
    if not data.name.strip():
        errors["name"] = [_("Give the reduction a name.")]
    try:
        percent = parse_decimal(data.percent, language=data.number_language, places=2)
    except NumberError as exc:
        percent, errors["percent"] = Decimal(-1), [exc.message]
    if "percent" not in errors and not 0 < percent <= 100:
        errors["percent"] = [_("Give a percentage above 0 and at most 100.")]
    start = parse_day(data.valid_from)
    if start is None:
        errors["valid_from"] = [_("Give the first day as YYYY-MM-DD.")]
    end = None
    if data.valid_to not in (None, ""):
        end = parse_day(data.valid_to)
        if end is None:
            errors["valid_to"] = [_("Give the last day as YYYY-MM-DD, or leave it empty.")]
        elif start is not None and end < start:
            errors["valid_to"] = [_("The last day is before the first.")]
    bad = [d for d in data.directions if d not in Direction.values]
    if bad:
        errors["directions"] = [_("Unknown regime: %s.") % ", ".join(bad)]
    bad = [g for g in data.goods_groups if g not in GoodsGroup.values]
    if bad:
        errors["goods_groups"] = [_("Unknown goods group: %s.") % ", ".join(bad)]
    if errors:
        raise InvalidInput(_("The reduction has errors; see each field."), fields=errors)
    values = {
        "code": code,
        "name": data.name.strip()[:200],
        "legal_basis": data.legal_basis.strip()[:200],
        "percent": percent,
        "valid_from": start,
        "valid_to": end,
        "directions": sorted(set(data.directions)),
        "goods_groups": sorted(set(data.goods_groups)),
    }
    with transaction.atomic():
        if reduction_id is None:
            reduction = FeeReduction.objects.create(**values)
            before = None
        else:
            found = FeeReduction.objects.select_for_update().filter(pk=reduction_id).first()
            if found is None:
                raise NotFound(_("No such reduction."))
            reduction = found
            before = {k: getattr(reduction, k) for k in values}
            for key, value in values.items():
                setattr(reduction, key, value)
            reduction.save()
        audit.record(
            action="fees.reduction_saved",
            obj=reduction,
            actor=actor,
            before=before,
            after=values,
        )
    return reduction


def do_new_schedule(
    *,
    actor: User,
    from_schedule: int,
    code: str,
    name: str,
    legal_basis: str,
    valid_from: Any,
) -> FeeSchedule:
    """A new resolution: copy a schedule's rows into a new one in force from ``valid_from``.

    The schedule it replaces ends the day before. The board then edits the copy's rates.
    """
    _board(actor)
    errors: dict[str, list[str]] = {}
    code = code.strip().lower()
    if not code or len(code) > 40 or not all(c.isalnum() or c in "-_" for c in code):
        errors["code"] = [_("Give a short code: letters, digits and dashes.")]
    elif FeeSchedule.objects.filter(code=code).exists():
        errors["code"] = [_("This code is already used.")]
    if not name.strip():
        errors["name"] = [_("Give the schedule a name.")]
    if not legal_basis.strip():
        errors["legal_basis"] = [_("Name the resolution it implements.")]
    start = parse_day(valid_from)
    source = FeeSchedule.objects.filter(pk=from_schedule).first()
    if source is None:
        errors["from_schedule"] = [_("No such schedule.")]
    if start is None:
        errors["valid_from"] = [_("Give the first day as YYYY-MM-DD.")]
    elif start <= timezone.localdate():
        errors["valid_from"] = [_("A new schedule starts tomorrow at the earliest.")]
    elif FeeSchedule.objects.filter(valid_from__gte=start).exists():
        errors["valid_from"] = [_("Another schedule starts on or after this day.")]
    if errors:
        raise InvalidInput(_("The schedule has errors; see each field."), fields=errors)
    assert source is not None and start is not None  # noqa: S101
    with transaction.atomic():
        FeeSchedule.objects.filter(valid_from__lt=start).filter(
            Q(valid_to__isnull=True) | Q(valid_to__gte=start)
        ).update(valid_to=start - timedelta(days=1))
        schedule = FeeSchedule.objects.create(
            code=code,
            name=name.strip()[:200],
            legal_basis=legal_basis.strip()[:200],
            valid_from=start,
            cap_vnd=source.cap_vnd,
            band_limits_kg=source.band_limits_kg,
            center_share_percent=source.center_share_percent,
            source=_("copied from %s") % source.code,
        )
        # Every row of the source, as a new unconfirmed row of the new schedule.
        for model in (FeeRate, FeeMultiplier, YardRate):
            rows = list(model.objects.filter(schedule=source).order_by("pk"))
            for row in rows:
                row.pk, row.schedule, row.confirmed = None, schedule, False
            model.objects.bulk_create(rows)
        audit.record(
            action="fees.schedule_created",
            obj=schedule,
            actor=actor,
            after={"code": code, "from": source.code, "valid_from": start},
        )
    return schedule
