"""A user signed in with a one-time password from the board changes it before anything else."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _

#: What such a user may still reach: the page to change it, logging out, the language switch,
#: static files and health probes.
ALLOWED_PREFIXES = ("/accounts/password/", "/accounts/logout/", "/i18n/", "/static/", "/healthz")


class PasswordChangeRequiredMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and getattr(user, "must_change_password", False)
            and not request.path.startswith(ALLOWED_PREFIXES)
        ):
            if request.path.startswith("/api/"):
                # A browser session calling the API; partner systems use tokens, unaffected.
                message = _("Change the one-time password at /accounts/password/ first.")
                body = {"error": {"code": "password_change_required", "message": message}}
                return JsonResponse(body, status=403)
            return redirect(reverse("password-change"))
        return self.get_response(request)
