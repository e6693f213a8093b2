"""Schedules and the fee table."""

from __future__ import annotations

from datetime import date

from django.db.models import Q
from django.utils.translation import gettext as _

from fees import tariff
from fees.models import (
    FeeReduction,
    FeeSchedule,
)


def schedule_in_force(day: date) -> FeeSchedule | None:
    return (
        FeeSchedule.objects.filter(valid_from__lte=day)
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gte=day))
        .order_by("-valid_from")
        .first()
    )


def table_of(schedule: FeeSchedule) -> tariff.Table:
    """The pure fee table of a schedule, with every reduction (each says when it applies)."""
    return tariff.Table(
        schedule_id=schedule.pk,
        cap_vnd=schedule.cap_vnd,
        band_limits_kg=tuple(int(v) for v in schedule.band_limits_kg),
        rates=tuple(
            tariff.Rate(
                id=r.pk,
                directions=frozenset(r.directions),
                goods_groups=frozenset(r.goods_groups),
                vehicle_class=r.vehicle_class,
                amount_vnd=r.amount_vnd,
                confirmed=r.confirmed,
            )
            for r in schedule.rates.order_by("pk")
        ),
        multipliers=tuple(
            tariff.Multiplier(
                id=m.pk,
                code=m.code,
                factor=m.factor,
                directions=frozenset(m.directions),
                goods_groups=frozenset(m.goods_groups),
                deliveries=frozenset(m.deliveries),
            )
            for m in schedule.multipliers.order_by("pk")
        ),
        reductions=tuple(
            tariff.Reduction(
                id=r.pk,
                code=r.code,
                percent=r.percent,
                valid_from=r.valid_from,
                valid_to=r.valid_to,
                directions=frozenset(r.directions),
                goods_groups=frozenset(r.goods_groups),
            )
            for r in FeeReduction.objects.order_by("pk")
        ),
    )


def class_label(code: str) -> str:
    """``0-2000`` → "under 2 t"; ``2000-4000`` → "2 t to under 4 t"; ``40ft`` → container."""
    if code == "20ft":
        return _("20 ft container")
    if code == "40ft":
        return _("40 ft container")

    def tonnes(kg: str) -> str:
        return f"{int(kg) / 1000:g}"

    if code.endswith("+"):
        return _("%s t and over") % tonnes(code[:-1])
    low, _sep, high = code.partition("-")
    if low == "0":
        return _("under %s t") % tonnes(high)
    return _("%(low)s t to under %(high)s t") % {"low": tonnes(low), "high": tonnes(high)}
