"""Pages of flow control (booking, yard console, admission, the public gate board) and the
plate cameras' endpoint. Parse, authorise, call one service, render."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts import policy
from accounts.models import User
from cuakhau.api import error_body
from cuakhau.errors import DomainError, InvalidInput
from cuakhau.numbers import parse_moment
from cuakhau.qr import qr_svg
from cuakhau.requests import HtmxHttpRequest, actor, redirect_after_change
from cuakhau.signing import fingerprint
from flow import board, charts, planning, services
from flow import policy as rules
from flow.choices import AdmissionStatus, BookingStatus, EventKind, EventStatus
from flow.models import AdmissionDecision, Booking, Device, PlateEvent
from gates.choices import Flow
from gates.models import Gate, Yard
from shipments.models import Declaration
from shipments.panels import Panel
from shipments.validators import ocr_key

#: Why a camera read was left to a person (``flow.plates.reconcile`` stores these English
#: reasons on the event, for the log), in the operator's language.
READ_REASONS = {
    "no plate read": gettext_lazy("no plate read"),
    "no expected truck has this plate": gettext_lazy("no expected truck has this plate"),
    "several open trips of this truck; choose the trip": gettext_lazy(
        "several open trips of this truck; choose the trip"
    ),
    "look-alike plates; cannot tell which truck": gettext_lazy(
        "look-alike plates; cannot tell which truck"
    ),
    "the reads disagree": gettext_lazy("the reads disagree"),
    "a single low-confidence read": gettext_lazy("a single low-confidence read"),
}


def _refuse(request: HttpRequest, status: int, message: Any) -> HttpResponse:
    return render(request, "error.html", {"status": status, "message": message}, status=status)


def _parse_hour(raw: str, field: str) -> datetime | None:
    """A date and time from a form, within the bounds the API keeps: refused naming ``field``
    when out of them; None when empty or not a date and time (the use case names the field)."""
    moment, problem = parse_moment(raw)
    if problem:
        raise InvalidInput(_("The form has errors; see each field."), fields={field: [problem]})
    return moment


# --- booking (a section of the declaration page) ----------------------------------------------


def _booking_context(request: HttpRequest, declaration: Declaration) -> dict[str, Any]:
    user = actor(request)
    booking = (
        Booking.objects.filter(declaration=declaration, status=BookingStatus.ACTIVE)
        .select_related("slot")
        .first()
    )
    may_book = policy.allows(user, rules.BOOK, declaration)
    offers = services.offers(declaration=declaration) if may_book else []
    return {
        "declaration": declaration,
        "booking": booking,
        "history": Booking.objects.filter(declaration=declaration)
        .exclude(status=BookingStatus.ACTIVE)
        .select_related("slot")
        .order_by("-created_at")[:10],
        "may_book": may_book,
        "grid": slot_grid(offers, declaration.planned_arrival),
        "may_change": booking is not None and policy.allows(user, rules.CHANGE_BOOKING, booking),
    }


GRID_DAYS = 4


def slot_grid(offers: list[services.SlotOffer], planned: datetime | None) -> dict[str, Any]:
    """Bookable hours as a day × hour grid of ``GRID_DAYS`` days around the planned arrival
    (the day before it to two days after), the free hour nearest the planned arrival chosen.
    A 112-option list that preselected today 15:00 for a truck planned two days later was
    how trucks got booked on the wrong day."""
    if not offers:
        return {"days": [], "rows": [], "chosen": None}
    by_day: dict[date, dict[int, services.SlotOffer]] = {}
    for offer in offers:
        local = timezone.localtime(offer.starts_at)
        by_day.setdefault(local.date(), {})[local.hour] = offer
    all_days = sorted(by_day)
    target = timezone.localtime(planned) if planned else timezone.localtime(offers[0].starts_at)
    first = max(all_days[0], target.date() - timedelta(days=1))
    days = [d for d in all_days if d >= first][:GRID_DAYS] or all_days[:GRID_DAYS]
    bookable = [o for d in days for o in by_day[d].values() if o.free > 0 and not o.held]
    chosen = (
        min(bookable, key=lambda o: abs((o.starts_at - target).total_seconds())).starts_at
        if bookable
        else None
    )
    hours = sorted({h for d in days for h in by_day[d]})
    rows = [(h, [by_day[d].get(h) for d in days]) for h in hours]
    return {"days": days, "rows": rows, "chosen": chosen, "more_days": len(all_days) > len(days)}


def booking_panel(request: HttpRequest, declaration: Declaration) -> Panel | None:
    user = actor(request)
    if not policy.allows(user, rules.SEE_BOOKINGS):
        return None
    return Panel("flow/_booking_panel.html", _booking_context(request, declaration))


@login_required
@require_POST
def book(request: HtmxHttpRequest, reference: str) -> HttpResponse:
    user = actor(request)
    action = request.POST.get("action", "book")
    try:
        starts_at = _parse_hour(request.POST.get("starts_at", ""), "starts_at")
        if action == "cancel":
            services.do_cancel_booking(
                actor=user, reference=reference, reason=request.POST.get("reason", "")
            )
            message = _("Booking cancelled.")
        elif action == "rebook":
            services.do_rebook(actor=user, reference=reference, starts_at=starts_at)
            message = _("Booking moved.")
        else:
            services.do_book(actor=user, reference=reference, starts_at=starts_at)
            message = _("Slot booked.")
    except DomainError as exc:
        declaration = Declaration.objects.restrict(user).filter(reference=reference).first()
        if declaration is None:
            return _refuse(request, 404, _("No such declaration."))
        context = {"panel": _booking_context(request, declaration)}
        context["panel"].update({"error": exc.message, "error_fields": exc.fields})
        return render(request, "flow/_booking_panel.html", context, status=exc.status)
    return redirect_after_change(
        request, reverse("shipments:declaration-detail", args=[reference]), message
    )


# --- the yard console -------------------------------------------------------------------------


def _console_gates(user: User) -> list[Gate]:
    return list(
        policy.restrict(Gate.objects.filter(is_active=True, mode="road"), user, rules.SEE_YARD)
    )


def _console(request: HttpRequest, gate: Gate, error: DomainError | None = None) -> HttpResponse:
    order = planning.call_order(gate)
    waiting = {d.pk: d for d in Declaration.objects.filter(pk__in=order).select_related("vehicle")}
    context = {
        "gate": gate,
        "gates": _console_gates(actor(request)),
        "status": services.yard_status(gate),
        "call_order": [waiting[pk] for pk in order],
        "overstays": services.overstays(gate),
        "corrections": [
            (event, READ_REASONS.get(event.note, event.note))
            for event in PlateEvent.objects.filter(gate=gate, status=EventStatus.UNMATCHED)
            .select_related("device")
            .order_by("-at")[:50]
        ],
        "kinds": [
            (EventKind.GATE_IN, EventKind.GATE_IN.label),
            (EventKind.GATE_OUT, EventKind.GATE_OUT.label),
        ],
        "error": error,
        # Plates expected to gate in today, for the plate field's suggestions.
        "expected_plates": sorted(
            set(
                Declaration.objects.filter(
                    gate=gate,
                    state__in=services.EXPECTED_STATES[EventKind.GATE_IN],
                    planned_arrival__date__lte=timezone.localdate() + timedelta(days=1),
                    planned_arrival__date__gte=timezone.localdate() - timedelta(days=1),
                ).values_list("vehicle__plate", flat=True)[:500]
            )
        ),
        "record": {},
        "trip_choices": [],
        "canonical": reverse("flow:yard-gate", args=[gate.code]),
    }
    if request.method == "POST" and request.POST.get("action") == "record":
        record = {k: request.POST.get(k, "") for k in ("kind", "plate", "reference")}
        context["record"] = record
        if error is not None and error.code == "choose_trip":
            ids = [
                c.declaration_id
                for c in sorted(
                    services.expected_trips(
                        gate_id=gate.pk,
                        kind=record["kind"],
                        keys={ocr_key(record["plate"])},
                        at=timezone.now(),
                    ),
                    key=lambda c: c.rank,
                )
            ]
            trips = (
                Declaration.objects.select_related("route")
                .prefetch_related("lines__commodity")
                .in_bulk(ids)
            )
            context["trip_choices"] = [trips[pk] for pk in ids if pk in trips]
    return render(request, "flow/yard.html", context, status=error.status if error else 200)


def _console_gate(request: HttpRequest, code: str) -> Gate | None:
    user = actor(request)
    if not policy.role_allows(user, rules.SEE_YARD):
        return None
    return next((g for g in _console_gates(user) if g.code == code), None)


@login_required
@require_http_methods(["GET", "POST"])
def cameras(request: HtmxHttpRequest) -> HttpResponse:
    """The board's plate cameras: register one, rotate its key, switch it off or on."""
    user = actor(request)
    if not policy.role_allows(user, rules.MANAGE_CAMERAS):
        return _refuse(request, 403, rules.MANAGE_CAMERAS.refusal)
    context: dict[str, Any] = {
        "canonical": reverse("flow:cameras"),
        "error": None,
        "values": None,
        "new_key": "",
        "keyed": None,
    }
    status = 200
    if request.method == "POST":
        post = request.POST
        action = post.get("action", "")
        try:
            device_id = int(post.get("device", "0") or 0)
        except ValueError:
            device_id = 0
        try:
            if action == "register":
                device, key = services.do_register_camera(
                    actor=user,
                    data=services.CameraInput(
                        code=post.get("code", ""),
                        gate=post.get("gate", ""),
                        yard=post.get("yard", ""),
                        kind=post.get("kind", ""),
                    ),
                )
                context.update(new_key=key, keyed=device)
            elif action == "rotate":
                key = services.do_rotate_camera_key(actor=user, device_id=device_id)
                context.update(new_key=key, keyed=Device.objects.get(pk=device_id))
            elif action in ("off", "on"):
                services.do_set_camera_active(
                    actor=user, device_id=device_id, active=action == "on"
                )
                return redirect_after_change(request, reverse("flow:cameras"), _("Camera saved."))
            else:
                return _refuse(request, 400, _("Unknown action."))
        except DomainError as exc:
            context.update(error=exc, values=post)
            status = exc.status
    context.update(
        devices=[
            (d, fingerprint(d.secret))
            for d in Device.objects.select_related("gate", "yard").order_by(
                "gate__sort_order", "code"
            )
        ],
        gates=Gate.objects.filter(is_active=True, mode="road"),
        yards=Yard.objects.select_related("gate").order_by("gate__sort_order", "code"),
        kinds=EventKind.choices,
    )
    return render(request, "flow/cameras.html", context, status=status)


@login_required
@require_GET
def my_trip(request: HttpRequest) -> HttpResponse:
    """The driver's phone page: the next trip, where and when to go, its QR ticket, the queue."""
    user = actor(request)
    if not policy.role_allows(user, rules.SEE_MY_TRIP):
        return _refuse(request, 403, rules.SEE_MY_TRIP.refusal)
    found = services.next_trip(user)
    context: dict[str, Any] = {"trip": found}
    if found is not None:
        ticket_url = request.build_absolute_uri(
            reverse("shipments:declaration-detail", args=[found.declaration.reference])
        )
        context.update(ticket_url=ticket_url, qr=qr_svg(ticket_url))
    return render(request, "flow/my_trip.html", context)


@login_required
@require_GET
def yard(request: HttpRequest, code: str = "") -> HttpResponse:
    user = actor(request)
    if not policy.role_allows(user, rules.SEE_YARD):
        return _refuse(request, 403, rules.SEE_YARD.refusal)
    gates = _console_gates(user)
    gate = (
        next((g for g in gates if g.code == code), None) if code else (gates[0] if gates else None)
    )
    if gate is None:
        return _refuse(request, 404, _("No such gate."))
    return _console(request, gate)


@login_required
@require_POST
def yard_action(request: HtmxHttpRequest, code: str) -> HttpResponse:
    gate = _console_gate(request, code)
    if gate is None:
        return _refuse(request, 403, _("The yard console is for yard operators and the board."))
    user = actor(request)
    action = request.POST.get("action", "")
    try:
        if action == "record":
            event = services.do_record_yard_event(
                actor=user,
                gate_code=code,
                kind=request.POST.get("kind", ""),
                plate=request.POST.get("plate", ""),
                reference=request.POST.get("reference", ""),
            )
            moved = event.declaration
            message = _("Yard event recorded: %(kind)s of %(plate)s for trip %(reference)s.") % {
                "kind": event.get_kind_display(),
                "plate": moved.vehicle.plate if moved else "",
                "reference": moved.reference if moved else "",
            }
        elif action == "call":
            called = services.do_call_next(
                actor=user, gate_code=code, count=request.POST.get("count", "")
            )
            message = _("%d trucks called forward.") % len(called)
        elif action == "correct":
            services.do_correct_event(
                actor=user,
                event_id=int(request.POST.get("event", "0") or 0),
                reference=request.POST.get("reference", ""),
                reason=request.POST.get("reason", ""),
            )
            message = _("Event corrected.")
        elif action == "dismiss":
            services.do_dismiss_event(
                actor=user,
                event_id=int(request.POST.get("event", "0") or 0),
                reason=request.POST.get("reason", ""),
            )
            message = _("Event dismissed.")
        else:
            raise InvalidInput(_("Unknown action."), fields={"action": [_("Unknown action.")]})
    except (DomainError, ValueError) as exc:
        error = (
            exc
            if isinstance(exc, DomainError)
            else InvalidInput(
                _("The request has errors; see each field."),
                fields={"event": [_("Unknown event.")]},
            )
        )
        return _console(request, gate, error)
    return redirect_after_change(request, reverse("flow:yard-gate", args=[code]), message)


# --- admission and capacity (the board) -------------------------------------------------------


#: The admission charts show the decisions of the last two weeks beside the coming ones.
CHART_PAST_DAYS = 14


def _admission_page(request: HttpRequest, error: DomainError | None = None) -> HttpResponse:
    today = timezone.localdate()
    return render(
        request,
        "flow/admission.html",
        {
            "decisions": AdmissionDecision.objects.filter(day__gte=today)
            .select_related("gate", "yard", "overridden_by")
            .order_by("gate__sort_order", "yard__code", "flow", "day"),
            "charts": charts.admission_charts(
                AdmissionDecision.objects.filter(
                    day__gte=today - timedelta(days=CHART_PAST_DAYS),
                    day__lt=today + timedelta(days=8),
                ).select_related("gate", "yard")
            ),
            "no_shows": services.no_show_counts(),
            "withdrawals": services.withdrawal_counts(),
            "alert_settings": services.settings_row(),
            "gates": Gate.objects.filter(is_active=True, mode="road").prefetch_related("routes"),
            "flows": Flow.choices,
            "statuses": AdmissionStatus.choices,
            "error": error,
            "post": request.POST if error else {},
        },
        status=error.status if error else 200,
    )


def _board_only(request: HttpRequest) -> bool:
    return policy.allows(actor(request), rules.MANAGE_ADMISSION)


@login_required
@require_GET
def admission(request: HttpRequest) -> HttpResponse:
    if not _board_only(request):
        return _refuse(request, 403, _("Admission control is the board's."))
    return _admission_page(request)


@login_required
@require_POST
def admission_action(request: HtmxHttpRequest) -> HttpResponse:
    if not _board_only(request):
        return _refuse(request, 403, _("Admission control is the board's."))
    user = actor(request)
    try:
        if request.POST.get("action") == "publish":
            gate_route = request.POST.get("gate_route", "")
            gate_code, _sep, route_code = gate_route.partition("/")
            services.do_publish_capacity(
                actor=user,
                gate_code=gate_code,
                route_code=route_code,
                flow=request.POST.get("flow", ""),
                trucks_per_hour=request.POST.get("trucks_per_hour", ""),
                effective_from=_parse_hour(
                    request.POST.get("effective_from", ""), "effective_from"
                ),
                reason=request.POST.get("reason", ""),
            )
            message = _("Capacity published.")
        elif request.POST.get("action") == "horizon":
            services.do_set_alert_horizon(actor=user, days=request.POST.get("horizon_days", ""))
            message = _("Alert horizon saved.")
        elif request.POST.get("action") == "acknowledge":
            services.do_acknowledge_alert(
                actor=user, alert_id=int(request.POST.get("alert", "0") or 0)
            )
            message = _("Alert acknowledged.")
        else:
            services.do_override_admission(
                actor=user,
                decision_id=int(request.POST.get("decision", "0") or 0),
                status=request.POST.get("status", ""),
                reason=request.POST.get("reason", ""),
            )
            message = _("Admission decision changed.")
    except DomainError as exc:
        return _admission_page(request, exc)
    except ValueError:
        if request.POST.get("action") == "acknowledge":
            return _admission_page(
                request,
                InvalidInput(_("Unknown alert."), fields={"alert": [_("Unknown alert.")]}),
            )
        return _admission_page(
            request,
            InvalidInput(_("Unknown decision."), fields={"decision": [_("Unknown decision.")]}),
        )
    return redirect_after_change(request, reverse("flow:admission"), message)


# --- the public gate board ----------------------------------------------------------------


@require_GET
def gate_board(request: HttpRequest, code: str = "") -> HttpResponse:
    cards = board.cards(code or None)
    if code and not cards:
        return _refuse(request, 404, _("No such gate."))
    template = "flow/_board_cards.html" if request.headers.get("HX-Request") else "flow/board.html"
    boards = [(card, charts.board_charts(card)) for card in cards]
    return render(request, template, {"boards": boards, "code": code, "now": timezone.now()})


# --- plate cameras ------------------------------------------------------------------------


@csrf_exempt
@require_POST
def device_event(request: HttpRequest) -> JsonResponse:
    """``POST /api/v1/devices/events/``: a plate camera's signed read.

    Headers ``X-Cuakhau-Device``, ``X-Cuakhau-Timestamp`` (Unix seconds) and
    ``X-Cuakhau-Signature`` (hex HMAC-SHA256 of ``timestamp.body`` with the device's secret).
    202 for a new event (stored; ``cuakhau dispatch`` reconciles and applies it within
    seconds), 200 for a replay of one already stored (nothing changes), 401 for a bad
    signature, unknown device or stale timestamp, 400 for a malformed body.
    """
    try:
        ingested = services.ingest_device_event(
            device_code=request.headers.get("X-Cuakhau-Device", ""),
            timestamp=request.headers.get("X-Cuakhau-Timestamp", ""),
            signature=request.headers.get("X-Cuakhau-Signature", ""),
            body=request.body,
        )
    except DomainError as exc:
        return JsonResponse(error_body(exc.code, str(exc.message), exc.fields), status=exc.status)
    if ingested.duplicate:
        return JsonResponse({"event_id": ingested.event_id, "duplicate": True}, status=200)
    return JsonResponse(
        {
            "id": ingested.pk,
            "event_id": ingested.event_id,
            "status": "received",
            "duplicate": False,
        },
        status=202,
    )
