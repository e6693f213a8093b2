"""Error pages: JSON in the API's error shape under /api/, a translated page elsewhere."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.utils.translation import gettext as _

from cuakhau.api import error_body


def _respond(request: HttpRequest, status: int, code: str, message: str) -> HttpResponse:
    if request.path.startswith("/api/"):
        return JsonResponse(error_body(code, message), status=status)
    html = render_to_string("error.html", {"status": status, "message": message}, request=request)
    return HttpResponse(html, status=status)


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _respond(request, 404, "not_found", _("This page does not exist."))


def forbidden(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _respond(request, 403, "permission_denied", _("You are not allowed to do this."))


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _respond(request, 400, "bad_request", _("The request could not be understood."))


def server_error(request: HttpRequest) -> HttpResponse:
    # No template context processors here: the failure may be in one of them.
    if request.path.startswith("/api/"):
        return JsonResponse(error_body("server_error", "Internal error"), status=500)
    return HttpResponse("<h1>500</h1><p>Internal error / Lỗi hệ thống</p>", status=500)
