"""Where each role starts its day; the board's pages for users, postings and API tokens."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods
from rest_framework.authtoken.models import Token

from accounts import policy, rules, services
from accounts.choices import OFFICER_ROLES, Role
from accounts.models import User
from audit.models import AuditEvent
from cuakhau.errors import DomainError
from cuakhau.requests import HtmxHttpRequest, actor, redirect_after_change
from gates.models import Gate
from shipments.models import Enterprise

#: The page a role works from, opened after login.
HOMES: dict[str, str] = {
    Role.DECLARANT: "shipments:declaration-list",
    Role.DRIVER: "flow:my-trip",
    Role.YARD_OPERATOR: "flow:yard",
    **dict.fromkeys(OFFICER_ROLES, "clearance:worklist"),
    Role.CUSTOMS_ADMIN: "clearance:selectivity",
    Role.BOARD: "flow:admission",
    Role.ADMIN: "flow:admission",
}


@login_required
@require_GET
def role_home(request: HttpRequest) -> HttpResponse:
    """After login, each user lands on their own work, not the public gates page."""
    return redirect(HOMES.get(getattr(request.user, "role", ""), "home"))


# --- the board manages users, postings and API tokens -----------------------------------------

USERS_PAGE = 50
#: The audit actions on a user, in words.
CHANGE_LABELS = {
    "accounts.user_created": gettext_lazy("Created"),
    "accounts.user_changed": gettext_lazy("Role, enterprise, postings or access changed"),
    "accounts.token_issued": gettext_lazy("API token issued"),
    "accounts.token_revoked": gettext_lazy("API token revoked"),
    "accounts.password_reset": gettext_lazy("One-time password issued"),
}


def _refuse(request: HttpRequest, status: int, message: object) -> HttpResponse:
    return render(request, "error.html", {"status": status, "message": message}, status=status)


def _choices() -> dict[str, Any]:
    return {
        "roles": [(r.value, r.label) for r in services.ASSIGNABLE_ROLES],
        "enterprises": Enterprise.objects.order_by("name").only("pk", "name", "tax_code"),
        "all_gates": Gate.objects.filter(is_active=True).order_by("sort_order"),
    }


def _form(values: Any, shown: User | None) -> dict[str, Any]:
    """What the user form shows: what was typed (after an error), else the user as stored."""
    if values is not None:
        return {
            "username": values.get("username", ""),
            "full_name": values.get("full_name", ""),
            "email": values.get("email", ""),
            "role": values.get("role", ""),
            "enterprise": values.get("enterprise", ""),
            "gates": set(values.getlist("gates")),
            "is_active": values.get("is_active") == "on",
        }
    if shown is None:
        return {"username": "", "full_name": "", "email": "", "role": "", "enterprise": ""}
    return {
        "username": shown.username,
        "full_name": shown.get_full_name(),
        "email": shown.email,
        "role": shown.role,
        "enterprise": str(shown.enterprise_id or ""),
        "gates": set(shown.gates.values_list("code", flat=True)),
        "is_active": shown.is_active,
    }


def _input(post: Any) -> services.UserInput:
    return services.UserInput(
        username=post.get("username", ""),
        full_name=post.get("full_name", ""),
        email=post.get("email", ""),
        role=post.get("role", ""),
        enterprise=post.get("enterprise", ""),
        gates=post.getlist("gates"),
        is_active=post.get("is_active") == "on",
    )


@login_required
@require_http_methods(["GET", "POST"])
def users(request: HtmxHttpRequest) -> HttpResponse:
    """Everyone who uses the platform, searchable; the board creates users here."""
    user = actor(request)
    if not policy.role_allows(user, rules.MANAGE_USERS):
        return _refuse(request, 403, rules.MANAGE_USERS.refusal)
    context: dict[str, Any] = {
        "canonical": reverse("accounts-users"),
        "shown": None,
        "form": _form(None, None) | {"gates": set(), "is_active": True},
        "error": None,
        **_choices(),
    }
    status = 200
    if request.method == "POST":
        try:
            created, password = services.do_create_user(actor=user, data=_input(request.POST))
        except DomainError as exc:
            context.update(
                error=exc, values=request.POST, values_gates=request.POST.getlist("gates")
            )
            status = exc.status
        else:
            # The one-time password is shown on this page once; it is never put in a message
            # (messages travel in a cookie) nor stored in clear.
            context.update(created=created, password=password)
    queryset = User.objects.prefetch_related("gates").select_related("enterprise")
    text = request.GET.get("q", "").strip()[:60]
    if text:
        queryset = queryset.filter(
            Q(username__icontains=text)
            | Q(first_name__icontains=text)
            | Q(last_name__icontains=text)
            | Q(enterprise__name__icontains=text)
        )
    role = request.GET.get("role", "")
    if role in Role.values:
        queryset = queryset.filter(role=role)
    gate = request.GET.get("gate", "")
    if gate:
        queryset = queryset.filter(gates__code=gate)
    page = Paginator(queryset.order_by("role", "username"), USERS_PAGE).get_page(
        request.GET.get("page")
    )
    tokens = set(
        Token.objects.filter(user__in=[u.pk for u in page.object_list]).values_list(
            "user_id", flat=True
        )
    )
    context.update(page=page, q=text, role=role, gate=gate, with_token=tokens)
    return render(request, "accounts/users.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def user_detail(request: HtmxHttpRequest, user_id: int) -> HttpResponse:
    """One user: role, enterprise, gate postings, whether they may log in, their API token."""
    me = actor(request)
    if not policy.role_allows(me, rules.MANAGE_USERS):
        return _refuse(request, 403, rules.MANAGE_USERS.refusal)
    shown = User.objects.filter(pk=user_id).prefetch_related("gates").first()
    if shown is None:
        return _refuse(request, 404, _("No such user."))
    context: dict[str, Any] = {
        "shown": shown,
        "canonical": reverse("accounts-user", args=[shown.pk]),
        "manageable": not (shown.is_superuser or shown.is_staff or shown.role == Role.ADMIN),
        "form": _form(None, shown),
        "error": None,
        "token": "",
        "password": "",
        **_choices(),
    }
    status = 200
    if request.method == "POST":
        action = request.POST.get("action", "")
        try:
            if action == "update":
                services.do_update_user(actor=me, user_id=shown.pk, data=_input(request.POST))
                return redirect_after_change(
                    request, context["canonical"], _("User %s saved.") % shown.username
                )
            if action == "token":
                context["token"] = services.do_issue_token(actor=me, user_id=shown.pk)
            elif action == "revoke":
                services.do_revoke_token(actor=me, user_id=shown.pk)
                return redirect_after_change(request, context["canonical"], _("API token revoked."))
            elif action == "password":
                context["password"] = services.do_reset_password(actor=me, user_id=shown.pk)
            else:
                return _refuse(request, 400, _("Unknown action."))
        except DomainError as exc:
            if action == "update":
                context["form"] = _form(request.POST, shown)
            context.update(error=exc, action=action)
            status = exc.status
    token = Token.objects.filter(user=shown).first()
    context.update(
        token_fingerprint=services.fingerprint(token.key) if token else "",
        token_created=token.created if token else None,
        history=[
            (event, CHANGE_LABELS.get(event.action, event.action))
            for event in AuditEvent.objects.filter(
                object_type="accounts.user", object_id=str(shown.pk)
            ).order_by("-seq")[:20]
        ],
    )
    return render(request, "accounts/user_detail.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def password_change(request: HtmxHttpRequest) -> HttpResponse:
    """Change one's own password; the first page after logging in with a one-time password."""
    user = actor(request)
    if request.method == "POST":
        try:
            services.do_change_own_password(
                user=user,
                old=request.POST.get("old_password", ""),
                new=request.POST.get("new_password1", ""),
                again=request.POST.get("new_password2", ""),
            )
        except DomainError as exc:
            return render(
                request,
                "accounts/password_change.html",
                {"error": exc.message, "errors": exc.fields},
                status=exc.status,
            )
        update_session_auth_hash(request, user)  # this session stays signed in
        return redirect_after_change(request, reverse("role-home"), _("Password changed."))
    return render(request, "accounts/password_change.html", {"errors": {}})
