"""Pages for declarants and officers: parse, authorise, call one service, render."""

from __future__ import annotations

import csv
import re
from datetime import date, datetime
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Case, Value, When
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts import policy
from accounts.choices import Role
from accounts.scoping import Action
from cuakhau.csvsafe import safe_row
from cuakhau.errors import DomainError, InvalidInput
from cuakhau.numbers import form_language, parse_moment
from cuakhau.requests import HtmxHttpRequest, actor, redirect_after_change
from gates.choices import Flow
from gates.models import Gate
from shipments import lifecycle, panels, services
from shipments import policy as rules
from shipments.choices import (
    TERMINAL_STATES,
    ContainerSize,
    CustomsChannel,
    Delivery,
    Direction,
    FruitCodeKind,
    TruckState,
    WithdrawalReason,
)
from shipments.models import (
    Commodity,
    Declaration,
    Driver,
    FruitCode,
    ProcedureCode,
    Vehicle,
)
from shipments.provinces import province_choices
from shipments.validators import normalize_plate

PAGE_SIZE = 50
_LINE_KEY = re.compile(r"^lines-(\d{1,2})-(commodity|weight_kg|value_usd|puc_code|phc_code)$")
LINE_FIELDS = ("commodity", "weight_kg", "value_usd", "puc_code", "phc_code")


def _route_options() -> list[tuple[str, str]]:
    options: list[tuple[str, str]] = []
    for gate in Gate.objects.filter(is_active=True, mode="road").prefetch_related("routes"):
        options.append((gate.code, gate.name))
        options.extend(
            (f"{gate.code}/{route.code}", f"{gate.name} — {route.name} ({route.border_markers})")
            for route in gate.routes.all()
            if route.is_active
        )
    return options


def _parse_arrival(raw: str) -> tuple[datetime | None, str | None]:
    """The planned arrival as typed, within the bounds the API keeps (``parse_moment``)."""
    return parse_moment(raw)


def _lines_from_post(post: Any) -> list[dict[str, str]]:
    rows: dict[int, dict[str, str]] = {}
    for key in post:
        if match := _LINE_KEY.match(key):
            rows.setdefault(int(match.group(1)), {})[match.group(2)] = post.get(key, "").strip()
    return [rows[i] for i in sorted(rows) if any(rows[i].values())]


def _form_context(
    request: HttpRequest, values: dict[str, Any], errors: dict[str, list[str]]
) -> dict[str, Any]:
    user = actor(request)
    lines = values.get("lines") or [{}]
    line_errors = [
        {name: errors.get(f"lines[{i}].{name}", []) for name in (*LINE_FIELDS, "hs_heading")}
        for i in range(len(lines))
    ]
    return {
        "values": values,
        "errors": errors,
        "lines": list(zip(lines, line_errors, strict=True)),
        "directions": Direction.choices,
        "containers": ContainerSize.choices,
        "deliveries": Delivery.choices,
        "customs_channels": CustomsChannel.choices,
        "procedure_codes": ProcedureCode.objects.filter(is_active=True).order_by("code"),
        "flows": Flow.choices,
        "route_options": _route_options(),
        "drivers": Driver.objects.restrict(user, Action.CHANGE).order_by("full_name"),
        "vehicles": Vehicle.objects.restrict(user, Action.CHANGE).order_by("plate"),
        "provinces": province_choices(),
        "commodities": Commodity.objects.filter(is_active=True).order_by("hs_heading", "code"),
    }


@login_required
@require_http_methods(["GET", "POST"])
def declaration_new(request: HtmxHttpRequest) -> HttpResponse:
    user = actor(request)
    if not policy.allows(user, rules.DECLARE):
        return render(
            request,
            "error.html",
            {"status": 403, "message": _("Only declarants make declarations.")},
            status=403,
        )
    template = (
        "shipments/_declaration_form.html" if request.htmx else "shipments/declaration_form.html"
    )
    if request.method == "GET":
        initial: dict[str, Any] = {"direction": Direction.EXPORT, "lines": [{}]}
        return render(request, template, _form_context(request, initial, {}))

    post = request.POST
    gate_code, _sep, route_code = post.get("gate_route", "").partition("/")
    lines = _lines_from_post(post)
    fields: dict[str, str] = {
        name: str(post.get(name, "")).strip()
        for name in (
            "direction",
            "flow",
            "gate_route",
            "vehicle_plate",
            "trailer_plate",
            "driver",
            "origin_province",
            "planned_arrival",
            "customs_declaration_number",
            "procedure_code",
            "customs_channel",
            "container",
            "delivery",
        )
    }
    two_way = post.get("two_way") == "on"
    values: dict[str, Any] = {**fields, "two_way": two_way, "lines": lines or [{}]}
    # Out of bounds, the arrival is left out: the declaration is refused, naming why.
    arrival, arrival_problem = _parse_arrival(fields["planned_arrival"])
    data = services.DeclarationInput(
        direction=fields["direction"],
        flow=fields["flow"],
        gate=gate_code,
        route=route_code,
        vehicle_plate=fields["vehicle_plate"],
        trailer_plate=fields["trailer_plate"],
        driver=fields["driver"],
        origin_province=fields["origin_province"] or None,
        planned_arrival=arrival,
        customs_declaration_number=fields["customs_declaration_number"],
        customs_channel=fields["customs_channel"],
        procedure_code=fields["procedure_code"],
        container=fields["container"],
        delivery=fields["delivery"] or Delivery.BORDER,
        two_way=two_way,
        lines=[services.LineInput(**line) for line in lines],
        number_language=form_language(),
        confirm_unusual=post.get("confirm_unusual") == "on",
    )
    try:
        declaration = services.do_create_declaration(actor=user, data=data)
    except DomainError as exc:
        errors = dict(exc.fields)
        if arrival_problem:
            errors["planned_arrival"] = [arrival_problem]
        if "gate" in errors or "route" in errors:
            errors["gate_route"] = errors.pop("gate", []) + errors.pop("route", [])
        context = _form_context(request, values, errors)
        context["form_error"] = str(exc.message)
        return render(request, template, context, status=exc.status)
    return redirect_after_change(
        request,
        reverse("shipments:declaration-detail", args=[declaration.reference]),
        _("Declaration %s saved.") % declaration.reference,
    )


@login_required
@require_GET
def goods_line_row(request: HttpRequest) -> HttpResponse:
    try:
        index = max(0, min(int(request.GET.get("index", "0")), services.MAX_LINES - 1))
    except ValueError:
        index = 0
    return render(
        request,
        "shipments/_goods_line.html",
        {
            "index": index,
            "line": {},
            "line_errors": {},
            "commodities": Commodity.objects.filter(is_active=True).order_by("hs_heading", "code"),
        },
    )


@login_required
@require_POST
def check_plate(request: HttpRequest) -> HttpResponse:
    field = "trailer_plate" if "trailer_plate" in request.POST else "vehicle_plate"
    raw = request.POST.get(field, "")
    if not raw.strip():
        return HttpResponse("")
    try:
        plate, _country = normalize_plate(raw)
    except ValidationError as exc:
        return render(request, "shipments/_plate_feedback.html", {"error": exc.messages[0]})
    context = {"plate": plate, **services.plate_notice(actor=actor(request), plate=plate)}
    return render(request, "shipments/_plate_feedback.html", context)


@login_required
@require_GET
def declaration_list(request: HttpRequest) -> HttpResponseBase:
    queryset = (
        Declaration.objects.restrict(actor(request), Action.VIEW)
        .select_related("enterprise", "gate", "route", "vehicle", "driver")
        .order_by("-created_at")
    )
    if actor(request).role == Role.DRIVER:
        # A driver's list starts with the trips still to make, the nearest first.
        finished = TERMINAL_STATES | {TruckState.CROSSED}
        queryset = queryset.annotate(
            finished=Case(When(state__in=finished, then=Value(1)), default=Value(0))
        ).order_by("finished", "planned_arrival", "pk")
    state = request.GET.get("state", "")
    if state in TruckState.values:
        queryset = queryset.filter(state=state)
    gate = request.GET.get("gate", "")
    if gate:
        queryset = queryset.filter(gate__code=gate)
    text = request.GET.get("q", "")[:40]
    queryset = services.search(queryset, text)
    errors: dict[str, str] = {}
    period = {}
    for name, lookup in (("from", "gte"), ("to", "lte")):
        raw = request.GET.get(name, "").strip()
        if not raw:
            continue
        try:
            day = date.fromisoformat(raw)
        except ValueError:
            errors[name] = _("Give a day as YYYY-MM-DD.")
            continue
        period[name] = day
        queryset = queryset.filter(**{f"planned_arrival__date__{lookup}": day})
    if request.GET.get("format") == "csv" and not errors:
        return _declarations_csv(queryset)
    page = Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "shipments/declaration_list.html",
        {
            "page": page,
            "states": TruckState.choices,
            "state": state,
            "gate": gate,
            "q": text,
            "period": {k: v.isoformat() for k, v in period.items()},
            "errors": errors,
            "query": query.urlencode(),
            "gates": Gate.objects.filter(is_active=True, mode="road"),
        },
        status=400 if errors else 200,
    )


CSV_LIMIT = 100_000


def _declarations_csv(queryset: Any) -> StreamingHttpResponse:
    """The filtered declarations as CSV, in the reader's language, streamed row by row."""

    class Echo:
        def write(self, value: str) -> str:
            return value

    writer = csv.writer(Echo())
    header = [
        _("Reference"),
        _("State"),
        _("Direction"),
        _("Gate"),
        _("Vehicle"),
        _("Enterprise"),
        _("Planned arrival"),
        _("Perishable"),
    ]

    def rows() -> Any:
        yield "\ufeff" + writer.writerow(header)  # BOM: spreadsheet programs read UTF-8
        for d in queryset[:CSV_LIMIT].iterator(chunk_size=2000):
            yield writer.writerow(
                safe_row(
                    [
                        d.reference,
                        d.get_state_display(),
                        d.get_direction_display(),
                        d.gate.name + (f" — {d.route.name}" if d.route else ""),
                        d.vehicle.plate,
                        d.enterprise.name,
                        timezone.localtime(d.planned_arrival).strftime("%d/%m/%Y %H:%M"),
                        _("yes") if d.perishable else _("no"),
                    ]
                )
            )

    response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="declarations.csv"'
    return response


def _detail_context(request: HttpRequest, declaration: Declaration) -> dict[str, Any]:
    user = actor(request)
    return {
        "may_amend": policy.allows(user, rules.AMEND, declaration),
        "canonical": reverse("shipments:declaration-detail", args=[declaration.reference]),
        "amend_error": "",
        "amend_fields": {},
        "amend_drivers": Driver.objects.restrict(user, Action.CHANGE)
        .filter(enterprise_id=declaration.enterprise_id)
        .order_by("full_name"),
        "containers": ContainerSize.choices,
        "deliveries": Delivery.choices,
        "withdrawal_reasons": WithdrawalReason.choices,
        "declaration": declaration,
        "lines": declaration.lines.select_related("commodity"),
        "history": services.timeline(declaration),
        "moves": lifecycle.available_to(declaration, actor(request)),
        "panels": panels.panels_for(request, declaration),
    }


@login_required
@require_GET
def declaration_detail(request: HttpRequest, reference: str) -> HttpResponse:
    try:
        declaration = services.visible_declaration(actor=actor(request), reference=reference)
    except DomainError as exc:
        return render(
            request, "error.html", {"status": exc.status, "message": exc.message}, status=exc.status
        )
    return render(
        request, "shipments/declaration_detail.html", _detail_context(request, declaration)
    )


@login_required
@require_POST
def declaration_amend(request: HtmxHttpRequest, reference: str) -> HttpResponse:
    """The declarant changes what may still change before arrival (container, where the goods
    go, arrival time while unbooked, driver, trailer); the fee is assessed again."""
    post = request.POST
    try:
        arrival = None
        raw_arrival = post.get("planned_arrival", "").strip()
        if raw_arrival:
            arrival, problem = _parse_arrival(raw_arrival)
            if arrival is None:
                raise InvalidInput(
                    _("The declaration has errors; see each field."),
                    fields={"planned_arrival": [problem or _("Give a day and time.")]},
                )
        services.do_amend_declaration(
            actor=actor(request),
            reference=reference,
            data=services.AmendInput(
                container=post.get("container", ""),
                delivery=post.get("delivery", ""),
                planned_arrival=arrival,
                driver=post.get("driver") or None,
                trailer_plate=post.get("trailer_plate"),
            ),
        )
    except DomainError as exc:
        try:
            declaration = services.visible_declaration(actor=actor(request), reference=reference)
        except DomainError:
            return render(
                request, "error.html", {"status": exc.status, "message": exc.message}, status=404
            )
        context = _detail_context(request, declaration)
        context["amend_error"] = exc.message
        context["amend_fields"] = exc.fields
        return render(request, "shipments/declaration_detail.html", context, status=exc.status)
    return redirect_after_change(
        request,
        reverse("shipments:declaration-detail", args=[reference]),
        _("Declaration %s amended.") % reference,
    )


#: Steps that cannot be undone and are asked again before they are taken.
CONFIRMED_MOVES = ("reject",)


@login_required
@require_POST
def declaration_transition(request: HttpRequest, reference: str) -> HttpResponse:
    try:
        declaration = services.visible_declaration(actor=actor(request), reference=reference)
        move = request.POST.get("transition", "")
        reason = request.POST.get("reason", "")
        if (
            move in CONFIRMED_MOVES
            and reason.strip()
            and request.POST.get("confirmed") != "yes"
            and move in {m.name for m in lifecycle.available_to(declaration, actor(request))}
        ):
            # Turning a truck back cannot be undone: one more click, with what it does said.
            context = _detail_context(request, declaration)
            context["confirm_move"] = {"name": move, "reason": reason}
            return render(request, "shipments/declaration_detail.html", context)
        services.do_transition(
            declaration_id=declaration.pk,
            transition=request.POST.get("transition", ""),
            actor=actor(request),
            reason=request.POST.get("reason", ""),
            location=request.POST.get("location", "")[:120],
            withdrawal=request.POST.get("withdrawal", "")
            if request.POST.get("transition") == "cancel"
            else "",
        )
    except DomainError as exc:
        if exc.status == 404:
            return render(
                request, "error.html", {"status": 404, "message": exc.message}, status=404
            )
        context = _detail_context(request, declaration)
        context["transition_error"] = exc.message
        context["transition_fields"] = exc.fields
        return render(request, "shipments/declaration_detail.html", context, status=exc.status)
    messages.success(request, _("Declaration %s updated.") % reference)
    return redirect("shipments:declaration-detail", reference=reference)


@login_required
@require_http_methods(["GET", "POST"])
def fruit_codes(request: HttpRequest) -> HttpResponse:
    """The registered growing-area (PUC) and packing-house (PHC) codes: the board imports the
    list from CSV; declarants and officers look codes up."""
    user = actor(request)
    may_manage = policy.role_allows(user, rules.MANAGE_FRUIT_CODES)
    status = 200
    error: DomainError | None = None
    result = None
    if request.method == "POST":
        if not may_manage:
            return render(
                request,
                "error.html",
                {"status": 403, "message": rules.MANAGE_FRUIT_CODES.refusal},
                status=403,
            )
        upload = request.FILES.get("file")
        try:
            if upload is None:
                raise InvalidInput(
                    _("The file has errors; see each field."),
                    fields={"file": [_("Choose the CSV file to import.")]},
                )
            result = services.do_import_fruit_codes(
                actor=user, content=upload.read(), source=request.POST.get("source", "")
            )
        except DomainError as exc:
            error, status = exc, exc.status
    query = request.GET.get("q", "").strip().upper()
    codes = FruitCode.objects.select_related("commodity").order_by("kind", "code")
    if query:
        codes = codes.filter(code__icontains=query)
    page = Paginator(codes, 100).get_page(request.GET.get("page"))
    return render(
        request,
        "shipments/fruit_codes.html",
        {
            "page": page,
            "q": query,
            "may_manage": may_manage,
            "error": error,
            "result": result,
            "canonical": reverse("shipments:fruit-codes"),
            "counts": {
                kind: FruitCode.objects.filter(kind=kind, is_active=True).count()
                for kind in FruitCodeKind.values
            },
        },
        status=status,
    )
