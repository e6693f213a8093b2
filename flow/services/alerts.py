"""Overflow alerts: when the admission forecast says a gate's yard will be full within the
board's horizon (``AlertSettings.horizon_days``), the board gets one notification per gate and
direction, not one per truck, and a banner on its pages until someone acknowledges it."""

from __future__ import annotations

from collections.abc import Sequence

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import policy
from accounts.choices import Role
from accounts.models import User
from audit import services as audit
from cuakhau.errors import InvalidInput, NotFound
from flow import policy as rules
from flow.models import AdmissionDecision, AlertSettings, OverflowAlert
from flow.services.common import SYSTEM
from gates.choices import Flow
from notifications import services as notifications

#: A day is "full" when the yard is more likely full than not: the rule that holds it.
FULL = 0.5


def settings_row() -> AlertSettings:
    row = AlertSettings.objects.order_by("pk").first()
    return row if row is not None else AlertSettings.objects.create()


def raise_alerts(decisions: Sequence[AdmissionDecision]) -> OverflowAlert | None:
    """Called after a gate and direction was planned: raise (or refresh) its alert when a day
    within the horizon is likely full. The board is notified when the alert is raised, not at
    every hourly refresh."""
    if not decisions:
        return None
    horizon = settings_row().horizon_days
    today = timezone.localdate()
    first = next(
        (
            d
            for d in sorted(decisions, key=lambda d: d.day)
            if (d.day - today).days < horizon and d.probability_full >= FULL
        ),
        None,
    )
    if first is None:
        return None
    now = timezone.now()
    values = {
        "first_full_day": first.day,
        "probability_full": first.probability_full,
        "expected_queue": first.expected_queue,
        "yard_capacity": first.yard_capacity,
        "updated_at": now,
    }
    with transaction.atomic():
        alert = (
            OverflowAlert.objects.select_for_update()
            .filter(gate=first.gate, flow=first.flow, acknowledged_at__isnull=True)
            .first()
        )
        if alert is not None:
            OverflowAlert.objects.filter(pk=alert.pk).update(**values)
            return alert
        try:
            with transaction.atomic():
                alert = OverflowAlert.objects.create(
                    gate=first.gate, flow=first.flow, raised_at=now, **values
                )
        except IntegrityError:  # raised meanwhile by another planner
            return None
        audit.record(
            action="flow.overflow_alert_raised",
            obj=alert,
            actor_label=SYSTEM,
            after={
                "gate": first.gate.code,
                "flow": first.flow,
                "day": first.day.isoformat(),
                "p_full": first.probability_full,
            },
        )
        notifications.notify(
            recipients=User.objects.filter(role=Role.BOARD, is_active=True),
            kind="flow.overflow",
            compose=lambda: _overflow_message(alert),
            declaration=None,
        )
    return alert


def _overflow_message(alert: OverflowAlert) -> tuple[str, str]:
    values = {
        "gate": alert.gate.name,
        "flow": Flow(alert.flow).label,
        "day": alert.first_full_day.strftime("%d/%m/%Y"),
        "percent": round(alert.probability_full * 100),
        "median": round(alert.expected_queue),
        "capacity": alert.yard_capacity,
    }
    return (
        _("%(gate)s, %(flow)s: the yard is likely full on %(day)s") % values,
        _(
            "The admission forecast gives a %(percent)s %% chance that the yard is full on "
            "%(day)s (median %(median)s trucks waiting for %(capacity)s places). Trucks are "
            "held at origin for the full days; see Admission to open or hold days."
        )
        % values,
    )


def open_alerts() -> list[OverflowAlert]:
    return list(
        OverflowAlert.objects.filter(acknowledged_at__isnull=True)
        .select_related("gate")
        .order_by("first_full_day", "gate__sort_order")
    )


def do_acknowledge_alert(*, actor: User, alert_id: int) -> OverflowAlert:
    policy.require(actor, rules.MANAGE_ADMISSION)
    with transaction.atomic():
        alert = (
            OverflowAlert.objects.select_for_update()
            .filter(pk=alert_id, acknowledged_at__isnull=True)
            .first()
        )
        if alert is None:
            raise NotFound(_("No such alert, or it was already acknowledged."))
        alert.acknowledged_at = timezone.now()
        alert.acknowledged_by = actor
        alert.save(update_fields=["acknowledged_at", "acknowledged_by"])
        audit.record(action="flow.overflow_alert_acknowledged", obj=alert, actor=actor)
    return alert


def do_set_alert_horizon(*, actor: User, days: object) -> AlertSettings:
    policy.require(actor, rules.MANAGE_ADMISSION)
    try:
        value = int(str(days).strip())
    except ValueError:
        value = 0
    if not 1 <= value <= 7:
        raise InvalidInput(
            _("Give a number of days from 1 to 7."),
            fields={"horizon_days": [_("Give a number of days from 1 to 7.")]},
        )
    with transaction.atomic():
        row = settings_row()
        before = row.horizon_days
        row.horizon_days = value
        row.changed_at = timezone.now()
        row.changed_by = actor
        row.save()
        audit.record(
            action="flow.alert_horizon_set",
            obj=row,
            actor=actor,
            before={"horizon_days": before},
            after={"horizon_days": value},
        )
    return row
