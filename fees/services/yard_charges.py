"""Yard charges."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import policy
from accounts.models import User
from audit import services as audit
from cuakhau.errors import Conflict, DomainError, NotFound
from fees import policy as rules
from fees import tariff
from fees.choices import (
    YARD_UNIT_MINUTES,
    ChargeKind,
)
from fees.models import (
    Charge,
    YardRate,
)
from fees.services.assessment import trip_basis
from fees.services.common import log
from fees.services.schedules import class_label, schedule_in_force
from flow.models import YardVisit
from gates.choices import YardKind
from gates.models import Yard
from shipments.models import Declaration


def _yard_of(declaration: Declaration) -> Yard | None:
    """Where a stay recorded without a yard (by hand, not by a yard camera) was: the yard of
    the truck's route, else the gate's own yard."""
    yards = Yard.objects.filter(gate_id=declaration.gate_id, kind=YardKind.YARD)
    if declaration.route_id is not None:
        own = yards.filter(route_id=declaration.route_id).order_by("pk").first()
        if own is not None:
            return own
    return yards.filter(route__isnull=True).order_by("pk").first()


def _yard_rate_for(visit: YardVisit, day: date) -> tuple[YardRate | None, str]:
    """The yard operator's rate for the truck's class: parking is the operator's price, not
    the provincial fee (the band limits of the fee in force only name the classes)."""
    declaration = visit.declaration
    schedule = schedule_in_force(day)
    basis = trip_basis(declaration)
    limits = schedule.band_limits_kg if schedule else []
    klass = tariff.vehicle_class(
        container=basis.trip.container, tonnage_kg=basis.trip.tonnage_kg, limits_kg=limits
    )
    yard = visit.yard or _yard_of(declaration)
    operator_id = yard.operator_id if yard is not None else None
    if operator_id is None:
        return None, klass
    return YardRate.objects.filter(operator_id=operator_id, vehicle_class=klass).first(), klass


def charge_yard_stay(visit: YardVisit, *, actor_label: str) -> Charge:
    """Charge one finished yard stay at the yard rate in force on its gate-out day."""
    if visit.exited_at is None:
        raise Conflict(_("The truck is still in the yard."), code="still_in_yard")
    if Charge.objects.filter(yard_visit=visit).exists():
        raise Conflict(_("This yard stay is already charged."), code="already_charged")
    declaration = visit.declaration
    rate, klass = _yard_rate_for(visit, timezone.localdate(visit.exited_at))
    if rate is None:
        raise Conflict(
            _("The yard's operator has no price for vehicle class %s.") % class_label(klass),
            code="no_yard_rate",
        )
    minutes = int((visit.exited_at - visit.entered_at).total_seconds() // 60)
    units = tariff.yard_units(
        minutes,
        tariff.YardRate(
            id=rate.pk,
            vehicle_class=rate.vehicle_class,
            unit_minutes=YARD_UNIT_MINUTES[rate.unit],
            amount_vnd=rate.amount_vnd,
            free_minutes=rate.free_minutes,
        ),
    )
    fee = Charge.objects.filter(declaration=declaration, kind=ChargeKind.INFRASTRUCTURE).first()
    charge = Charge.objects.create(
        declaration=declaration,
        kind=ChargeKind.YARD,
        amount_vnd=units * rate.amount_vnd,
        goods_group=fee.goods_group if fee else "",
        yard_visit=visit,
        yard_rate=rate,
        units=units,
        created_at=timezone.now(),
    )
    audit.record(
        action="fees.yard_charged",
        obj=charge,
        actor_label=actor_label,
        after={
            "declaration": declaration.pk,
            "visit": visit.pk,
            "minutes": minutes,
            "units": units,
            "amount_vnd": charge.amount_vnd,
        },
    )
    return charge


def charge_recent_yard_stays(*, now: datetime | None = None, limit: int = 500) -> int:
    """Charge the stays that ended within the window (a ``cuakhau dispatch`` job).

    Older uncharged stays are not charged blindly: they wait on the board's worklist.
    """
    now = now or timezone.now()
    since = now - timedelta(hours=settings.CUAKHAU_YARD_CHARGE_WINDOW_HOURS)
    visits = (
        YardVisit.objects.filter(exited_at__gte=since, exited_at__lte=now, charge__isnull=True)
        .select_related("declaration__vehicle", "yard")
        .order_by("exited_at", "pk")[:limit]
    )
    charged = 0
    for visit in visits:
        try:
            with transaction.atomic():
                Declaration.objects.select_for_update(of=("self",)).filter(
                    pk=visit.declaration_id
                ).get()
                charge_yard_stay(visit, actor_label="system:fees")
        except DomainError as exc:
            log.debug("yard stay %s not charged: %s", visit.pk, exc.message)
            continue
        charged += 1
    return charged


def do_charge_yard_stay(*, actor: User, visit_id: int) -> Charge:
    """The board charges a stay from the reconciliation worklist."""
    policy.require(actor, rules.MANAGE_FEES)
    with transaction.atomic():
        visit = YardVisit.objects.select_related("declaration__vehicle").filter(pk=visit_id).first()
        if visit is None:
            raise NotFound(_("No such yard stay."))
        Declaration.objects.select_for_update(of=("self",)).filter(pk=visit.declaration_id).get()
        return charge_yard_stay(visit, actor_label=audit.actor_label_for(actor, ""))
