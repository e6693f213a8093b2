"""Pages for officers, declarants and the customs administrator: parse, authorise, call one
service, render."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import F, QuerySet
from django.http import FileResponse, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts import policy
from accounts.choices import OFFICER_ROLES
from accounts.models import User
from accounts.scoping import Action
from clearance import performance, services
from clearance import policy as rules
from clearance.choices import (
    AGENCY_ROLE,
    FROM_VNACCS,
    SEVERITY,
    Agency,
    Channel,
    CheckKind,
    DocumentType,
    InspectionResult,
)
from clearance.models import CheckRule, Clearance, DocumentRequirement, SelectivityRule, TimeLimit
from cuakhau.errors import DomainError, InvalidInput
from cuakhau.numbers import form_language, parse_moment
from cuakhau.requests import HtmxHttpRequest, actor, redirect_after_change
from gates.models import Gate
from shipments import services as shipments
from shipments.choices import ComplianceClass, CustomsChannel, Direction
from shipments.models import CustomsDeclaration, Declaration, ProcedureCode
from shipments.panels import Panel

PAGE_SIZE = 50
RULE_FIELDS = (
    "code",
    "description",
    "channel",
    "rate",
    "compliance_classes",
    "hs_prefixes",
    "directions",
    "origin_provinces",
)


def _refuse(request: HttpRequest, status: int, message: Any) -> HttpResponse:
    return render(request, "error.html", {"status": status, "message": message}, status=status)


def _sees_clearance(user: User, declaration: Declaration) -> bool:
    return policy.allows(user, rules.SEE_CLEARANCE, declaration)


def _panel_context(request: HttpRequest, declaration: Declaration) -> dict[str, Any]:
    user = actor(request)
    clearance = Clearance.objects.filter(declaration=declaration).first()
    checks = list(services.checks_of(declaration))
    documents = list(services.documents_visible(user).filter(declaration=declaration))
    return {
        "declaration": declaration,
        "clearance": clearance,
        # Which rules picked a declaration is customs' business, not the declarant's.
        "show_explanation": policy.role_allows(user, rules.SEE_CHANNEL_REASONS),
        "checks": [
            {
                "check": check,
                "may_inspect": check.is_pending
                and declaration.state == "arrived"
                and services.may_inspect(user, check),
                "may_escalate": check.is_pending
                and check.kind == CheckKind.PARTIAL_INSPECTION
                and declaration.state == "arrived"
                and services.may_inspect(user, check),
                "overdue": check.is_overdue(),
            }
            for check in checks
        ],
        "may_record_channel": policy.allows(user, rules.RECORD_CHANNEL, declaration)
        or policy.allows(user, rules.CHANGE_CHANNEL, declaration),
        "changes_channel": policy.allows(user, rules.CHANGE_CHANNEL, declaration),
        "customs_declarations": _customs_rows(user, declaration),
        "procedure_codes": ProcedureCode.objects.filter(is_active=True).order_by("code"),
        "vnaccs_channels": CustomsChannel.choices,
        "vnaccs_channel": FROM_VNACCS.get(declaration.customs_channel, ""),
        "advice_differs": clearance is not None
        and bool(clearance.channel)
        and clearance.channel != clearance.advised_channel,
        "results": InspectionResult.choices,
        "documents": documents,
        "checklist": services.checklist(declaration, documents),
        "may_upload": services.may_attach(user, declaration),
        "document_types": DocumentType.choices,
        "max_mb": services.max_document_bytes() // (1024 * 1024),
    }


def _customs_rows(user: User, declaration: Declaration) -> list[dict[str, Any]]:
    """The trip's customs declarations, each with the other trucks under it the user may see."""
    records = list(
        CustomsDeclaration.objects.filter(trip_links__trip=declaration)
        .select_related("procedure_code")
        .order_by("pk")
    )
    visible = Declaration.objects.restrict(user, Action.VIEW)
    others: dict[int, list[Declaration]] = {}
    for trip in (
        visible.filter(customs_links__customs_declaration__in=records)
        .exclude(pk=declaration.pk)
        .select_related("vehicle")
        .annotate(cd=F("customs_links__customs_declaration"))
        .order_by("reference")
    ):
        others.setdefault(trip.cd, []).append(trip)
    return [{"record": r, "other_trips": others.get(r.pk, [])} for r in records]


def clearance_panel(request: HttpRequest, declaration: Declaration) -> Panel | None:
    """The clearance section of the declaration page (registered in ``apps.py``)."""
    user = actor(request)
    if not _sees_clearance(user, declaration):
        return None
    return Panel("clearance/_panel.html", _panel_context(request, declaration))


def _declaration_or_error(request: HttpRequest, reference: str) -> Declaration:
    return shipments.visible_declaration(actor=actor(request), reference=reference)


def _after_change(request: HtmxHttpRequest, reference: str, message: str) -> HttpResponse:
    target = reverse("shipments:declaration-detail", args=[reference])
    return redirect_after_change(request, target, message)


def _panel_error(
    request: HttpRequest, declaration: Declaration, exc: DomainError, form: str
) -> HttpResponse:
    panel = _panel_context(request, declaration)
    # Echo what was typed into the form that failed, so a "fail" chosen by the officer is never
    # shown (and then resubmitted) as the default "pass" and the notes are not lost.
    values = {
        key: request.POST.get(key, "") for key in request.POST if key != "csrfmiddlewaretoken"
    }
    panel.update(
        {
            "error": exc.message,
            "error_fields": exc.fields,
            "error_form": form,
        }
    )
    if form in ("channel", "upload"):
        panel[f"{form}_values"] = values
        panel[f"{form}_errors"] = exc.fields
    for row in panel["checks"]:
        pk = row["check"].pk
        for prefix in ("check", "escalate"):
            if form == f"{prefix}-{pk}":
                row[f"{prefix}_values"] = values
                row[f"{prefix}_errors"] = exc.fields
    return render(request, "clearance/_panel.html", {"panel": panel}, status=exc.status)


@login_required
@require_POST
def record_inspection(request: HtmxHttpRequest, reference: str, check_id: int) -> HttpResponse:
    user = actor(request)
    try:
        declaration = _declaration_or_error(request, reference)
    except DomainError as exc:
        return _refuse(request, exc.status, exc.message)
    started = request.POST.get("started_at", "").strip()
    started_at: datetime | None = None
    if started:
        started_at, problem = parse_moment(started)
        if started_at is None:
            bad_time = InvalidInput(
                _("The inspection has errors; see each field."),
                fields={
                    "started_at": [problem or _("Give a date and time, e.g. 2026-11-26T08:30.")]
                },
            )
            return _panel_error(request, declaration, bad_time, f"check-{check_id}")
    data = services.InspectionInput(
        result=request.POST.get("result", ""),
        notes=request.POST.get("notes", ""),
        sample_taken=request.POST.get("sample_taken") in ("on", "true", "1"),
        started_at=started_at,
    )
    try:
        check = services.do_record_inspection(check_id=check_id, actor=user, data=data)
    except DomainError as exc:
        return _panel_error(request, declaration, exc, f"check-{check_id}")
    return _after_change(
        request,
        reference,
        _("%(agency)s: %(result)s recorded.")
        % {
            "agency": Agency(check.agency).label,
            "result": InspectionResult(data.result).label,
        },
    )


@login_required
@require_POST
def record_channel(request: HtmxHttpRequest, reference: str) -> HttpResponse:
    try:
        declaration = _declaration_or_error(request, reference)
    except DomainError as exc:
        return _refuse(request, exc.status, exc.message)
    try:
        services.do_record_customs_channel(
            actor=actor(request),
            reference=declaration.reference,
            channel=request.POST.get("customs_channel", ""),
            number=request.POST.get("customs_declaration_number", ""),
            reason=request.POST.get("reason", ""),
            procedure_code=request.POST.get("procedure_code", ""),
            registered_on=request.POST.get("customs_registered_on", ""),
            customs_office=request.POST.get("customs_office", ""),
        )
    except DomainError as exc:
        return _panel_error(request, declaration, exc, "channel")
    return _after_change(request, reference, _("VNACCS channel recorded."))


@login_required
@require_POST
def escalate_check(request: HtmxHttpRequest, reference: str, check_id: int) -> HttpResponse:
    try:
        declaration = _declaration_or_error(request, reference)
    except DomainError as exc:
        return _refuse(request, exc.status, exc.message)
    try:
        services.do_escalate_to_full(
            check_id=check_id, actor=actor(request), reason=request.POST.get("reason", "")
        )
    except DomainError as exc:
        return _panel_error(request, declaration, exc, f"escalate-{check_id}")
    return _after_change(request, reference, _("The inspection is now a full inspection."))


@login_required
@require_POST
def upload_document(request: HtmxHttpRequest, reference: str) -> HttpResponse:
    try:
        document = services.do_upload_document(
            reference=reference,
            actor=actor(request),
            document_type=request.POST.get("document_type", ""),
            upload=request.FILES.get("file"),
        )
    except DomainError as exc:
        try:
            declaration = _declaration_or_error(request, reference)
        except DomainError:
            return _refuse(request, exc.status, exc.message)
        return _panel_error(request, declaration, exc, "upload")
    return _after_change(
        request, reference, _("%s uploaded.") % DocumentType(document.document_type).label
    )


@login_required
@require_GET
def download_document(request: HttpRequest, document_id: int) -> HttpResponseBase:
    document = services.documents_visible(actor(request)).filter(pk=document_id).first()
    if document is None:
        return _refuse(request, 404, _("No such document."))
    response = FileResponse(
        document.file.open("rb"),
        content_type=document.content_type,
        as_attachment=document.content_type == "application/pdf",
        filename=document.original_name,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


def _own_gates(user: User) -> QuerySet[Gate]:
    """The road gates an officer is posted at; every road gate for the board."""
    gates = Gate.objects.filter(is_active=True, mode="road")
    return gates.filter(staff=user) if user.role in OFFICER_ROLES else gates


@login_required
@require_GET
def clearance_performance(request: HttpRequest) -> HttpResponse:
    """Hours to clear per channel and agency, and each channel's share, last 30 days."""
    user = actor(request)
    if not policy.role_allows(user, rules.SEE_WORKLIST):
        return _refuse(request, 403, rules.SEE_WORKLIST.refusal)
    gates = _own_gates(user)
    return render(
        request,
        "clearance/performance.html",
        {"performance": performance.performance(gates), "gates": gates},
    )


@login_required
@require_GET
def worklist(request: HttpRequest) -> HttpResponse:
    user = actor(request)
    if not policy.role_allows(user, rules.SEE_WORKLIST):
        return _refuse(request, 403, rules.SEE_WORKLIST.refusal)
    gate = request.GET.get("gate", "")
    agency = request.GET.get("agency", "")
    text = request.GET.get("q", "").strip()[:40]
    checks = services.worklist(actor=user, gate=gate, agency=agency, text=text)
    page = Paginator(checks, PAGE_SIZE).get_page(request.GET.get("page"))
    now = timezone.now()
    own_agencies = [a for a in Agency if AGENCY_ROLE[a] == user.role] or list(Agency)
    gates = _own_gates(user)
    return render(
        request,
        "clearance/worklist.html",
        {
            "page": page,
            "rows": [
                {"check": c, "overdue": c.is_overdue(now), "waiting": _duration(now - c.opened_at)}
                for c in page
            ],
            "gate": gate,
            "agency": agency,
            "q": text,
            "gates": gates,
            "agencies": own_agencies,
            "now": now,
            "audits": services.post_clearance_audits(actor=user)[:50],
        },
    )


def _duration(span: timedelta) -> str:
    minutes = max(0, int(span.total_seconds() // 60))
    return _("%(hours)d h %(minutes)02d min") % {"hours": minutes // 60, "minutes": minutes % 60}


# --- selectivity rules ------------------------------------------------------------------------


def _may_see_rules(user: User) -> bool:
    return policy.role_allows(user, rules.SEE_SELECTIVITY)


def _rule_input(post: Any) -> services.RuleInput:
    return services.RuleInput(
        code=post.get("code", ""),
        description=post.get("description", ""),
        channel=post.get("channel", ""),
        rate=post.get("rate", ""),
        compliance_classes=post.getlist("compliance_classes"),
        hs_prefixes=post.get("hs_prefixes", ""),
        directions=post.getlist("directions"),
        origin_provinces=post.get("origin_provinces", ""),
        value_outside_range=post.get("value_outside_range") in ("on", "true", "1"),
        is_active=post.get("is_active") in ("on", "true", "1"),
        number_language=form_language(),
    )


def _rule_values(rule: SelectivityRule | None) -> dict[str, Any]:
    if rule is None:
        return {"channel": Channel.RED, "rate": Decimal("0.05"), "is_active": True}
    return {
        "code": rule.code,
        "description": rule.description,
        "channel": rule.channel,
        "rate": rule.rate,
        "compliance_classes": rule.compliance_classes,
        "hs_prefixes": ", ".join(rule.hs_prefixes),
        "directions": rule.directions,
        "origin_provinces": ", ".join(str(p) for p in rule.origin_provinces),
        "value_outside_range": rule.value_outside_range,
        "is_active": rule.is_active,
    }


def _form_values(post: Any) -> dict[str, Any]:
    values: dict[str, Any] = {name: post.get(name, "") for name in RULE_FIELDS}
    values["compliance_classes"] = post.getlist("compliance_classes")
    values["directions"] = post.getlist("directions")
    values["value_outside_range"] = post.get("value_outside_range") in ("on", "true", "1")
    values["is_active"] = post.get("is_active") in ("on", "true", "1")
    return values


def _rule_form_context(
    rule: SelectivityRule | None, values: dict[str, Any], errors: dict[str, list[str]]
) -> dict[str, Any]:
    return {
        "rule": rule,
        "values": values,
        "errors": errors,
        "channels": [c for c in Channel.choices if c[0] != Channel.GREEN],
        "compliance_classes": ComplianceClass.choices,
        "directions": Direction.choices,
    }


@login_required
@require_GET
def selectivity_rules(request: HttpRequest) -> HttpResponse:
    user = actor(request)
    if not _may_see_rules(user):
        return _refuse(request, 403, _("Selectivity rules are for customs only."))
    selectivity_rules = SelectivityRule.objects.order_by("-is_active", "code")
    return render(
        request,
        "clearance/selectivity_list.html",
        {
            "rules": selectivity_rules,
            "may_edit": policy.role_allows(user, rules.EDIT_SELECTIVITY),
            "random_rate": services.random_selection_rate(services.active_selectivity_rules()),
            "minimum": float(settings.CUAKHAU_MIN_RANDOM_SELECTION),
        },
    )


@login_required
@require_GET
def channel_advice(request: HttpRequest) -> HttpResponse:
    """Where cuakhau's advisory risk result and the VNACCS channel disagree."""
    user = actor(request)
    if not _may_see_rules(user):
        return _refuse(request, 403, _("Selectivity rules are for customs only."))
    report = services.advice_report(actor=user)
    channels = list(Channel)
    return render(
        request,
        "clearance/advice.html",
        {
            "report": report,
            "matrix": [
                {
                    "channel": legal,
                    "cells": [report["counts"].get((legal.value, a.value), 0) for a in channels],
                }
                for legal in channels
            ],
            "channels": channels,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def selectivity_rule_edit(request: HtmxHttpRequest, code: str = "") -> HttpResponse:
    user = actor(request)
    if not policy.role_allows(user, rules.EDIT_SELECTIVITY):
        return _refuse(request, 403, rules.EDIT_SELECTIVITY.refusal)
    rule = SelectivityRule.objects.filter(code=code).first() if code else None
    if code and rule is None:
        return _refuse(request, 404, _("No such rule."))
    if request.method == "GET":
        context = _rule_form_context(rule, _rule_values(rule), {})
        return render(request, "clearance/selectivity_form.html", context)
    data = _rule_input(request.POST)
    if rule is not None:
        data.code = rule.code
    try:
        saved = services.do_save_rule(actor=user, data=data, creating=rule is None)
    except DomainError as exc:
        values = _form_values(request.POST)
        if rule is not None:
            values["code"] = rule.code
        context = _rule_form_context(rule, values, exc.fields)
        context["form_error"] = exc.message
        template = (
            "clearance/_selectivity_form.html"
            if request.htmx
            else "clearance/selectivity_form.html"
        )
        return render(request, template, context, status=exc.status)
    return redirect_after_change(
        request, reverse("clearance:selectivity"), _("Rule %s saved.") % saved.code
    )


@login_required
@require_POST
def selectivity_preview(request: HttpRequest) -> HttpResponse:
    user = actor(request)
    data = _rule_input(request.POST)
    code = request.POST.get("existing", "")
    if code:
        data.code = code
    try:
        preview = services.preview_rule(actor=user, data=data)
    except DomainError as exc:
        return render(
            request,
            "clearance/_preview.html",
            {"error": exc.message, "fields": exc.fields},
            status=exc.status,
        )
    rows = [
        {
            "channel": Channel(channel),
            "current": f"{preview.current.drawn[channel] * 100:.2f} %",
            "proposed": f"{preview.proposed.drawn[channel] * 100:.2f} %",
            "expected": f"{preview.proposed.expected[channel] * 100:.2f} %",
            "delta": f"{(preview.proposed.drawn[channel] - preview.current.drawn[channel]):+.2%}",
        }
        for channel in sorted(SEVERITY, key=SEVERITY.__getitem__)
    ]
    return render(request, "clearance/_preview.html", {"preview": preview, "rows": rows})


# --- check rules, documents, limits (the board) ------------------------------------------------


def _check_rules_page(
    request: HttpRequest, error: DomainError | None = None, status: int = 200
) -> HttpResponse:
    user = actor(request)
    return render(
        request,
        "clearance/check_rules.html",
        {
            "rules": CheckRule.objects.order_by("agency", "code"),
            "documents": DocumentRequirement.objects.order_by("code"),
            "limits": TimeLimit.objects.order_by("kind"),
            "may_switch": policy.role_allows(user, rules.SWITCH_CHECK_RULE),
            "error": error,
        },
        status=status,
    )


@login_required
@require_GET
def check_rules(request: HttpRequest) -> HttpResponse:
    return _check_rules_page(request)


@login_required
@require_POST
def switch_check_rule(request: HttpRequest, code: str) -> HttpResponse:
    try:
        rule = services.do_set_check_rule(
            actor=actor(request),
            code=code,
            active=request.POST.get("active") == "1",
            reason=request.POST.get("reason", ""),
        )
    except DomainError as exc:
        return _check_rules_page(request, exc, exc.status)
    if rule.is_active:
        messages.success(request, _("%s switched on.") % rule.name)
    else:
        messages.success(request, _("%s switched off.") % rule.name)
    return redirect("clearance:check-rules")
