"""One error shape for every 4xx of the REST API.

``{"error": {"code": "...", "message": "...", "fields": {"field": ["problem", ...]}}}``, with
the message in the language negotiated from ``Accept-Language``.
"""

from __future__ import annotations

import contextlib
from datetime import datetime
from typing import Any

import django_filters
from django import forms
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_filters.fields import IsoDateTimeField
from rest_framework import exceptions, serializers
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from cuakhau.errors import DomainError
from cuakhau.numbers import check_moment


def _flatten(detail: Any, prefix: str = "") -> dict[str, list[str]]:
    """Turn DRF's nested error detail into ``{"lines[0].weight_kg": ["..."]}``."""
    out: dict[str, list[str]] = {}
    if isinstance(detail, dict):
        for key, value in detail.items():
            if isinstance(key, int):  # a ListSerializer keys its items' errors by index
                name = f"{prefix}[{key}]"
            else:
                name = f"{prefix}.{key}" if prefix else str(key)
            out.update(_flatten(value, name))
    elif isinstance(detail, list):
        if all(not isinstance(item, dict | list) for item in detail):
            out[prefix or "non_field_errors"] = [str(item) for item in detail]
        else:
            for index, item in enumerate(detail):
                out.update(_flatten(item, f"{prefix}[{index}]"))
    else:
        out[prefix or "non_field_errors"] = [str(detail)]
    return out


class BoundedDateTimeField(serializers.DateTimeField):
    """A DRF datetime input within :data:`FIRST_MOMENT`–:data:`LAST_MOMENT`, real offsets."""

    def to_internal_value(self, value: Any) -> datetime:
        parsed = super().to_internal_value(value)
        # The offset as given, before DRF converts to the current time zone.
        given = value if isinstance(value, datetime) else None
        if given is None and isinstance(value, str):
            with contextlib.suppress(ValueError):
                given = datetime.fromisoformat(value.replace("Z", "+00:00"))
        problem = check_moment(given if given is not None and given.tzinfo else parsed)
        if problem:
            raise serializers.ValidationError(problem)
        return parsed


class BoundedIsoDateTimeField(IsoDateTimeField):
    def clean(self, value: Any) -> Any:
        cleaned = super().clean(value)
        if cleaned is not None:
            given = None
            with contextlib.suppress(ValueError, TypeError):
                given = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
            problem = check_moment(given if given is not None and given.tzinfo else cleaned)
            if problem:
                raise forms.ValidationError(problem)
        return cleaned


class BoundedIsoDateTimeFilter(django_filters.IsoDateTimeFilter):
    """``django_filters.IsoDateTimeFilter`` with the bounds of :func:`check_moment`."""

    field_class = BoundedIsoDateTimeField


class BoundedPagination(LimitOffsetPagination):
    """``?limit`` at most ``CUAKHAU_API_MAX_LIMIT`` (500; larger asks get that many), ``?offset``
    below 2^31: a limit of 2^63 once overflowed SQLite's integers (a 500) and a limit of 100,000
    once sent 8.7 MB of declarations in one answer."""

    max_offset = 2**31 - 1

    @property
    def max_limit(self) -> int:  # type: ignore[override]
        return int(settings.CUAKHAU_API_MAX_LIMIT)

    def get_limit(self, request: Request) -> int | None:
        raw = request.query_params.get(self.limit_query_param, "")
        if raw and (not raw.isascii() or not raw.isdigit()):
            raise exceptions.ValidationError(
                {self.limit_query_param: [_("Give a whole number from 1 to %d.") % self.max_limit]}
            )
        return super().get_limit(request)  # cut off at max_limit

    def get_offset(self, request: Request) -> int:
        raw = request.query_params.get(self.offset_query_param, "")
        if raw and (not raw.isascii() or not raw.isdigit() or int(raw) > self.max_offset):
            raise exceptions.ValidationError(
                {
                    self.offset_query_param: [
                        _("Give a whole number from 0 to %d.") % self.max_offset
                    ]
                }
            )
        return super().get_offset(request)


def error_body(
    code: str, message: str, fields: dict[str, list[str]] | None = None
) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "fields": fields or {}}}


#: DRF's own refusals in our words: its catalogues lack several of them in Vietnamese, so an
#: anonymous caller with no Accept-Language (Vietnamese, the default) read English.
_DRF_MESSAGES = {
    "not_authenticated": gettext_lazy("Log in, or send an API token: Authorization: Token …"),
    "authentication_failed": gettext_lazy("The API token or login is not valid."),
    "permission_denied": gettext_lazy("You do not have permission to do this."),
    "not_found": gettext_lazy("Not found."),
    "method_not_allowed": gettext_lazy("This method is not allowed here."),
    "not_acceptable": gettext_lazy("This response format is not available; ask for JSON."),
    "unsupported_media_type": gettext_lazy(
        "Send the body as JSON (Content-Type: application/json)."
    ),
    "parse_error": gettext_lazy("The body is not valid JSON."),
}


def _message(exc: exceptions.APIException, code: str) -> str:
    if isinstance(exc, exceptions.Throttled):
        wait = getattr(exc, "wait", None)
        if wait is None:
            return str(_("Too many requests; try again later."))
        return str(_("Too many requests; try again in %d seconds.") % max(1, round(wait)))
    ours = _DRF_MESSAGES.get(code)
    # A message a view chose itself (not DRF's default wording) is kept as it is.
    if ours is not None and str(exc.detail) == str(exc.default_detail):
        return str(ours)
    if ours is not None and code == "authentication_failed":
        return str(ours)
    return str(exc.detail)


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, DomainError):
        return Response(error_body(exc.code, str(exc.message), exc.fields), status=exc.status)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound(_("Not found."))
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        fields = _flatten(exc.detail)
        response.data = error_body("invalid", _("The request has errors; see each field."), fields)
    elif isinstance(exc, exceptions.APIException):
        detail = exc.detail
        code = exc.get_codes() if not isinstance(detail, dict | list) else exc.default_code
        message = (
            _message(exc, str(code))
            if not isinstance(detail, dict | list)
            else _("Request refused.")
        )
        response.data = error_body(str(code), message)
    return response
