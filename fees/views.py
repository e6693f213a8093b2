"""Fee pages: the declaration's fee panel, paying, receipts and their public verification, the
schedules (public; the board edits them), revenue and reconciliation (the board)."""

from __future__ import annotations

import csv
import io
import re
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts import policy
from accounts.scoping import Action
from cuakhau.csvsafe import safe_row
from cuakhau.errors import DomainError
from cuakhau.numbers import NumberError, form_language, format_decimal, parse_decimal
from cuakhau.qr import qr_svg
from cuakhau.requests import HtmxHttpRequest, actor, redirect_after_change
from fees import charts, providers, reports, services
from fees import policy as rules
from fees.choices import (
    AssessmentStatus,
    ChargeKind,
    PaymentRequestStatus,
    ReceiptLineKind,
    RefundStatus,
)
from fees.models import (
    Assessment,
    FeeReduction,
    FeeSchedule,
    PaymentRequest,
    Receipt,
    YardRate,
)
from fees.money import vnd
from gates.models import Gate
from shipments.choices import Delivery, Direction, GoodsGroup
from shipments.models import Declaration
from shipments.panels import Panel

#: Roles that see a trip's fees on its page (drivers see what their truck owes).


def _refuse(request: HttpRequest, status: int, message: str) -> HttpResponse:
    return render(request, "error.html", {"status": status, "message": message}, status=status)


def _board_only(request: HttpRequest) -> HttpResponse | None:
    if not policy.role_allows(actor(request), rules.MANAGE_FEES):
        return _refuse(request, 403, str(rules.MANAGE_FEES.refusal))
    return None


def _plain_number(text: str) -> str:
    """``"1.300"`` → ``"1.3"``, ``"5.000"`` → ``"5"`` (factors are stored with three places)."""
    return text.rstrip("0").rstrip(".") if "." in text else text


def explain(assessment: Assessment) -> list[str]:
    """The assessment as sentences in the reader's language, one per step."""
    data = assessment.explanation
    if assessment.status == AssessmentStatus.UNRATED:
        if data.get("missing") == "schedule":
            return [_("No fee schedule is in force on the day of arrival.")]
        return [
            _("No rate for %(regime)s, %(goods)s, %(klass)s: the board must set one.")
            % {
                "regime": Direction(key[0]).label,
                "goods": GoodsGroup(key[1]).label,
                "klass": services.class_label(key[2]),
            }
            for key in data.get("keys", [])
        ]
    basis = assessment.basis
    lines = [
        _("Schedule: %s.") % data["schedule"]["name"],
        _("Vehicle class: %(klass)s (%(source)s %(kg)s kg).")
        % {
            "klass": services.class_label(data["vehicle_class"]),
            "source": _("registered payload")
            if basis["tonnage_source"] == "payload"
            else _("declared goods"),
            # Stored as text ("18000.0"); shown the reader's way ("18.000" in Vietnamese).
            "kg": format_decimal(basis["tonnage_kg"]),
        }
        if not basis["container"]
        else _("Vehicle class: %s.") % services.class_label(data["vehicle_class"]),
    ]
    for candidate in data["candidates"]:
        factors = "".join(
            f" × {_plain_number(m['factor'])} ({m['code']})" for m in candidate["multipliers"]
        )
        text = _("%(goods)s: rate %(rate)s%(factors)s = %(amount)s") % {
            "goods": GoodsGroup(candidate["goods_group"]).label,
            "rate": vnd(candidate["base_vnd"]),
            "factors": factors,
            "amount": vnd(
                int(Decimal(candidate["amount"]).quantize(Decimal(1), rounding=ROUND_HALF_UP))
            ),
        }
        if not candidate["confirmed"]:
            text += " " + _("(rate to be confirmed by the board)")
        if len(data["candidates"]) > 1 and candidate["chosen"]:
            text += " " + _("— a mixed load pays the rate of its goods of highest declared value")
        lines.append(text)
    if data["capped"]:
        lines.append(_("Capped at %s per trip.") % vnd(data["cap_vnd"]))
    if data["reduction"]:
        lines.append(
            _("Reduction %(code)s: −%(percent)s%%.")
            % {"code": data["reduction"]["code"], "percent": data["reduction"]["percent"]}
        )
    lines.append(_("Fee: %s.") % vnd(data["amount_vnd"]))
    return lines


def _panel_context(request: HttpRequest, declaration: Declaration) -> dict[str, Any]:
    user = actor(request)
    assessment = Assessment.objects.filter(declaration=declaration, is_current=True).first()
    book = services.ledger(declaration)
    may_pay = (
        policy.allows(user, rules.PAY, declaration)
        and book.balance > 0
        and (assessment is None or assessment.status == AssessmentStatus.ASSESSED)
    )
    return {
        "declaration": declaration,
        "assessment": assessment,
        "explanation": explain(assessment) if assessment else [],
        "ledger": book,
        "receipts": declaration.receipts.order_by("issued_at"),
        "refunds": declaration.refunds.order_by("requested_at"),
        "requests": declaration.payment_requests.filter(
            status=PaymentRequestStatus.FAILED
        ).order_by("-requested_at")[:3],
        "may_pay": may_pay,
        "providers": [(code, providers.get(code)) for code in providers.codes()],
    }


def fees_panel(request: HttpRequest, declaration: Declaration) -> Panel | None:
    if not policy.role_allows(actor(request), rules.SEE_TRIP_FEES):
        return None
    return Panel("fees/_fees_panel.html", _panel_context(request, declaration))


@login_required
@require_POST
def pay(request: HtmxHttpRequest, reference: str) -> HttpResponse:
    try:
        payment = services.do_request_payment(
            actor=actor(request), reference=reference, provider=request.POST.get("provider", "")
        )
    except DomainError as exc:
        declaration = (
            Declaration.objects.restrict(actor(request)).filter(reference=reference).first()
        )
        if declaration is None:
            return _refuse(request, 404, _("No such declaration."))
        if exc.status in (403, 404):
            # Not the payer: a refusal, not a message on the trip's page.
            return _refuse(request, exc.status, exc.message)
        if not request.htmx:
            messages.error(request, str(exc.message))
            return redirect("shipments:declaration-detail", reference=reference)
        context = {"panel": _panel_context(request, declaration)}
        context["panel"].update({"error": exc.message, "error_fields": exc.fields})
        return render(request, "fees/_fees_panel.html", context, status=exc.status)
    adapter = providers.get(payment.provider)
    assert adapter is not None  # noqa: S101 - checked by the service
    target = adapter.checkout_url(payment)
    if request.htmx:
        response = HttpResponse(status=204)
        response["HX-Redirect"] = target
        return response
    return redirect(target)


@login_required
@require_http_methods(["GET", "POST"])
def demo_checkout(request: HtmxHttpRequest, request_ref: str) -> HttpResponse:
    """The demo bank's page: the payer confirms (all or part) or declines."""
    try:
        demo = providers.demo()
    except providers.ProviderError:
        return _refuse(request, 404, _("The demo payment provider is off."))
    user = actor(request)
    if not policy.role_allows(user, rules.PAY):
        return _refuse(request, 403, str(rules.PAY.refusal))
    payment = (
        PaymentRequest.objects.restrict(user)
        .select_related("declaration")
        .filter(reference=request_ref, provider=demo.code)
        .first()
    )
    if payment is None:
        return _refuse(request, 404, _("No such payment request."))
    context: dict[str, Any] = {"payment": payment, "amount": payment.amount_vnd}
    if request.method == "GET":
        return render(request, "fees/demo_checkout.html", context)
    if payment.status != PaymentRequestStatus.OPEN:
        context["error"] = _("This payment request is closed; start a new one from the trip.")
        return render(request, "fees/demo_checkout.html", context, status=409)
    succeeded = request.POST.get("action") != "decline"
    amount = payment.amount_vnd
    if succeeded:
        errors: dict[str, list[str]] = {}
        parsed = services.parse_amount(request.POST.get("amount", amount), "amount", errors)
        if parsed is None or parsed <= 0:
            context["error"] = _("Give an amount in whole đồng, more than 0.")
            return render(request, "fees/demo_checkout.html", context, status=400)
        amount = parsed
    signed = demo.callback(payment, amount_vnd=amount, succeeded=succeeded)
    try:
        services.receive_callback(
            provider=demo.code,
            timestamp=signed.timestamp,
            signature=signed.signature,
            body=signed.body,
        )
    except DomainError as exc:
        context["error"] = exc.message
        return render(request, "fees/demo_checkout.html", context, status=exc.status)
    message = _("Payment received.") if succeeded else _("Payment declined.")
    return redirect_after_change(
        request,
        reverse("shipments:declaration-detail", args=[payment.declaration.reference]),
        message,
    )


@login_required
@require_GET
def receipt(request: HttpRequest, token: str) -> HttpResponse:
    if not policy.role_allows(actor(request), rules.SEE_TRIP_FEES):
        # Not a role that sees what a trip paid (the public checks a receipt at /fees/v/).
        return _refuse(request, 404, _("No such receipt."))
    found = (
        Receipt.objects.restrict(actor(request), Action.VIEW)
        .select_related("declaration__enterprise", "declaration__vehicle", "gate", "payment")
        .filter(token=token)
        .first()
    )
    if found is None:
        return _refuse(request, 404, _("No such receipt."))
    verify_url = request.build_absolute_uri(reverse("fees:verify", args=[found.token]))
    return render(
        request,
        "fees/receipt.html",
        {
            "receipt": found,
            "lines": found.lines.select_related("charge"),
            "refunds": found.payment.refunds.exclude(status=RefundStatus.FAILED),
            "verify_url": verify_url,
            "qr": qr_svg(verify_url),
        },
    )


def _verified(request: HttpRequest, found: Receipt | None, context: dict[str, Any]) -> HttpResponse:
    if found is None:
        return render(request, "fees/verify.html", {"receipt": None, **context}, status=404)
    checked = services.verification(found)
    kinds = [str(ReceiptLineKind(kind).label) for kind in checked.fee_types]
    return render(
        request,
        "fees/verify.html",
        {
            "receipt": found,
            "refunded": checked.refunded_vnd,
            "excess": checked.excess_vnd,
            "kinds": kinds,
            **context,
        },
    )


@require_GET
def verify(request: HttpRequest, token: str) -> HttpResponse:
    """Public: confirms a receipt exists, with its number, day, gate and amount, nothing private."""
    return _verified(
        request, Receipt.objects.select_related("gate").filter(token=token).first(), {}
    )


_RECEIPT_NUMBER = re.compile(r"^\s*(\d{4})\s*[-/ ]\s*(\d{1,7})\s*$")


@require_GET
def verify_by_number(request: HttpRequest) -> HttpResponse:
    """Public: a paper receipt checked by its number and the amount printed on it (both, so
    numbers cannot be walked through to learn what each receipt was for)."""
    raw_number = request.GET.get("number", "").strip()[:40]
    raw_amount = request.GET.get("amount", "").strip()[:40]
    context: dict[str, Any] = {"by_number": True, "number": raw_number, "amount": raw_amount}
    if not raw_number and not raw_amount:
        return render(request, "fees/verify.html", {"receipt": None, "ask": True, **context})
    errors: dict[str, list[str]] = {}
    match = _RECEIPT_NUMBER.match(raw_number)
    if match is None:
        errors["number"] = [_("Give the receipt number as printed, e.g. 2026-0000123.")]
    amount = None
    try:
        amount = parse_decimal(raw_amount, language=form_language(), places=0)
    except NumberError as exc:
        errors["amount"] = [exc.message]
    if errors:
        return render(
            request,
            "fees/verify.html",
            {"receipt": None, "ask": True, "errors": errors, **context},
            status=400,
        )
    assert match is not None and amount is not None  # noqa: S101 - checked above
    found = (
        Receipt.objects.select_related("gate")
        .filter(year=int(match[1]), number=int(match[2]), amount_vnd=int(amount))
        .first()
    )
    return _verified(request, found, context)


# --- schedules --------------------------------------------------------------------------------


def _schedule_context(request: HttpRequest, schedule: FeeSchedule | None) -> dict[str, Any]:
    rates = list(schedule.rates.order_by("pk")) if schedule else []
    for rate in rates:
        rate.class_label = services.class_label(rate.vehicle_class)  # type: ignore[attr-defined]
        rate.regime_labels = ", ".join(str(Direction(d).label) for d in rate.directions)  # type: ignore[attr-defined]
        rate.group_labels = ", ".join(str(GoodsGroup(g).label) for g in rate.goods_groups)  # type: ignore[attr-defined]
    # Parking: each yard operator's own price list, outside the fee and its split.
    yard_rates = list(
        YardRate.objects.filter(operator__isnull=False)
        .select_related("operator")
        .order_by("operator__name", "pk")
    )
    for yard in yard_rates:
        yard.class_label = services.class_label(yard.vehicle_class)
    user = request.user
    return {
        "schedule": schedule,
        "schedules": FeeSchedule.objects.all(),
        "rates": rates,
        "multipliers": schedule.multipliers.order_by("pk") if schedule else [],
        "yard_rates": yard_rates,
        "reductions": FeeReduction.objects.all(),
        "is_board": policy.role_allows(user, rules.MANAGE_FEES),
        "directions": Direction.choices,
        "goods_groups": GoodsGroup.choices,
        "deliveries": Delivery.choices,
        "today": timezone.localdate(),
    }


@require_GET
def schedules(request: HttpRequest, code: str = "") -> HttpResponse:
    """The fee schedules (public, as the resolution is); the board edits from here."""
    if code:
        schedule = FeeSchedule.objects.filter(code=code).first()
        if schedule is None:
            return _refuse(request, 404, _("No such fee schedule."))
    else:
        schedule = services.schedule_in_force(timezone.localdate()) or FeeSchedule.objects.first()
    return render(request, "fees/schedules.html", _schedule_context(request, schedule))


@login_required
@require_POST
def schedule_action(request: HtmxHttpRequest) -> HttpResponse:
    """Board edits: a rate, a reduction, a new schedule. Errors come back on the same page."""
    user = actor(request)
    post = request.POST
    action = post.get("action", "")
    schedule = FeeSchedule.objects.filter(code=post.get("schedule", "")).first()
    try:
        if action == "rate":
            try:
                rate_id = int(post.get("rate", ""))
            except ValueError:
                rate_id = 0
            rate = services.do_set_rate(
                actor=user,
                rate_id=rate_id,
                amount_vnd=post.get("amount_vnd", ""),
                confirmed=post.get("confirmed") == "on",
            )
            schedule = rate.schedule
            message = _("Rate saved.")
        elif action == "reduction":
            services.do_save_reduction(
                actor=user,
                data=services.ReductionInput(
                    code=post.get("code", ""),
                    name=post.get("name", ""),
                    legal_basis=post.get("legal_basis", ""),
                    percent=post.get("percent", ""),
                    valid_from=post.get("valid_from", ""),
                    valid_to=post.get("valid_to", ""),
                    directions=post.getlist("directions"),
                    goods_groups=post.getlist("goods_groups"),
                    number_language=form_language(),
                ),
            )
            message = _("Reduction saved.")
        elif action == "schedule":
            try:
                source = int(post.get("from_schedule", ""))
            except ValueError:
                source = 0
            schedule = services.do_new_schedule(
                actor=user,
                from_schedule=source,
                code=post.get("code", ""),
                name=post.get("name", ""),
                legal_basis=post.get("legal_basis", ""),
                valid_from=post.get("valid_from", ""),
            )
            message = _("Schedule created; edit its rates before it comes into force.")
        else:
            return _refuse(request, 400, _("Unknown action."))
    except DomainError as exc:
        context = _schedule_context(
            request, schedule or services.schedule_in_force(timezone.localdate())
        )
        context.update(
            {"error": exc.message, "error_fields": exc.fields, "action": action, "values": post}
        )
        return render(request, "fees/schedules.html", context, status=exc.status)
    target = (
        reverse("fees:schedule", args=[schedule.code]) if schedule else reverse("fees:schedules")
    )
    return redirect_after_change(request, target, message)


# --- revenue and reconciliation -----------------------------------------------------------------


def _period(request: HttpRequest) -> tuple[date, date, dict[str, list[str]]]:
    errors: dict[str, list[str]] = {}
    today = timezone.localdate()
    end = services.parse_day(request.GET.get("end") or today)
    start = services.parse_day(request.GET.get("start") or (today - timedelta(days=6)))
    if end is None:
        errors["end"] = [_("Give the last day as YYYY-MM-DD.")]
        end = today
    if start is None:
        errors["start"] = [_("Give the first day as YYYY-MM-DD.")]
        start = end - timedelta(days=6)
    if start > end:
        errors["start"] = [_("The first day is after the last.")]
    elif (end - start).days > 366:
        errors["start"] = [_("Report at most one year at a time.")]
    return start, end, errors


def _revenue_csv(rows: list[dict[str, Any]]) -> str:
    """The revenue table as the reader sees it (names, not codes; days DD/MM/YYYY), amounts as
    plain whole đồng so a spreadsheet sums them; with a BOM so it opens UTF-8 text right."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(
        [
            _("Day"),
            _("Gate"),
            _("Fee type"),
            _("Goods group"),
            _("Collected (VND)"),
            _("Refunded (VND)"),
            _("Net (VND)"),
            _("Border Gate Management Center (VND)"),
            _("Provincial budget (VND)"),
            _("Yard operators, parking (VND)"),
        ]
    )
    for item in rows:
        row = item["row"]
        writer.writerow(
            safe_row(
                [
                    row.day.strftime("%d/%m/%Y"),
                    item["gate"],
                    item["kind"],
                    item["group"],
                    row.collected,
                    row.refunded,
                    row.net,
                    row.center,
                    row.budget,
                    row.operators,
                ]
            )
        )
    return "\ufeff" + buffer.getvalue()


@login_required
@require_GET
def revenue(request: HttpRequest) -> HttpResponse:
    if refused := _board_only(request):
        return refused
    start, end, errors = _period(request)
    gate = request.GET.get("gate", "")
    if gate and not Gate.objects.filter(code=gate).exists():
        errors["gate"] = [_("Unknown gate %r.") % gate]
    rows = [] if errors else reports.revenue(start=start, end=end, gate=gate)
    gate_names = {g.code: g.name for g in Gate.objects.all()}
    by_kind: dict[str, int] = {}
    by_gate: dict[str, int] = {}
    labelled = []
    for row in rows:
        kind = str(ChargeKind(row.kind).label)
        group = str(GoodsGroup(row.goods_group).label) if row.goods_group else "—"
        gate_name = gate_names.get(row.gate, row.gate)
        by_kind[kind] = by_kind.get(kind, 0) + row.net
        by_gate[gate_name] = by_gate.get(gate_name, 0) + row.net
        labelled.append({"row": row, "kind": kind, "group": group, "gate": gate_name})
    outstanding = [] if errors else reports.outstanding_by_day(start=start, end=end, gate=gate)
    if request.GET.get("format") == "csv" and not errors:
        response = HttpResponse(_revenue_csv(labelled), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="revenue-{start}-{end}.csv"'
        return response
    return render(
        request,
        "fees/revenue.html",
        {
            "rows": labelled,
            "collections_chart": ""
            if errors
            else charts.collections_chart(rows, start, end, gate_names),
            "outstanding": outstanding,
            "outstanding_chart": charts.outstanding_chart(outstanding),
            "totals": reports.revenue_totals(rows),
            "by_kind": sorted(by_kind.items()),
            "by_gate": sorted(by_gate.items()),
            "start": start,
            "end": end,
            "gate": gate,
            "gates": Gate.objects.filter(is_active=True),
            "errors": errors,
        },
        status=400 if errors else 200,
    )


@login_required
@require_GET
def reconciliation(request: HttpRequest) -> HttpResponse:
    if refused := _board_only(request):
        return refused
    gate = request.GET.get("gate", "")
    try:
        days = services.parse_days(request.GET.get("days", ""))
    except DomainError as exc:
        return _refuse(request, exc.status, exc.message)
    crossed = list(reports.crossed_unpaid(gate)[:200])
    owed = reports.owed(d.pk for d in crossed)
    for declaration in crossed:
        declaration.owed = owed.get(declaration.pk, reports.NOT_CHARGED)
    return render(
        request,
        "fees/reconciliation.html",
        {
            "crossed": crossed,
            "crossed_count": reports.crossed_unpaid(gate).count(),
            "paid": reports.paid_not_crossed(days=days, gate=gate)[:200],
            "paid_count": reports.paid_not_crossed(days=days, gate=gate).count(),
            "stays": reports.uncharged_yard_stays(gate)[:200],
            "stays_count": reports.uncharged_yard_stays(gate).count(),
            "days": days or settings.CUAKHAU_PAID_NOT_CROSSED_DAYS,
            "gate": gate,
            "gates": Gate.objects.filter(is_active=True),
        },
    )


@login_required
@require_POST
def charge_stay(request: HtmxHttpRequest, visit_id: int) -> HttpResponse:
    try:
        services.do_charge_yard_stay(actor=actor(request), visit_id=visit_id)
    except DomainError as exc:
        return _refuse(request, exc.status, exc.message)
    return redirect_after_change(request, reverse("fees:reconciliation"), _("Yard stay charged."))
