"""Refuse input no field of this platform can hold, before any view sees it.

Every value that reaches a view through the path, the query string, a form or a JSON body is
checked once here, so a view cannot forget to:

- NUL bytes (PostgreSQL cannot store them in text; some drivers raise), lone UTF-16 surrogates
  (they cannot be encoded to UTF-8 and once turned a request into a 500), control characters
  other than tab and line breaks, and Unicode bidirectional overrides and isolates (they make a
  note or a plate display differently from what is stored: the "Trojan Source" trick);
- JSON nested deeper than ``CUAKHAU_MAX_JSON_DEPTH`` (no document of ours is deeper than a few
  levels; Python's parser fails with a RecursionError at about a thousand).

Such a request gets a 400 that names the field and the problem, in the user's language, as JSON
for the API and devices and as a page for browsers. Body size is bounded by Django's
``DATA_UPLOAD_MAX_MEMORY_SIZE``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from cuakhau.api import error_body

# C0 controls but tab, LF and CR; DEL and C1 controls; bidi embeddings, overrides and isolates;
# lone surrogates.
_FORBIDDEN = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]"
)


class BadInput(Exception):
    def __init__(self, field: str, problem: str) -> None:
        super().__init__(problem)
        self.field = field
        self.problem = problem


def problem_with(text: str) -> str | None:
    """Why ``text`` cannot be taken, or None."""
    match = _FORBIDDEN.search(text)
    if match is None:
        return None
    char = match.group()
    if char == "\x00":
        return _("contains a NUL character.")
    if "\ud800" <= char <= "\udfff":
        return _("contains an unpaired surrogate (not valid Unicode text).")
    if "\u202a" <= char <= "\u202e" or "\u2066" <= char <= "\u2069":
        return _("contains a bidirectional control character (U+%04X).") % ord(char)
    return _("contains a control character (U+%04X).") % ord(char)


def _check(field: str, text: str) -> None:
    problem = problem_with(text)
    if problem is not None:
        raise BadInput(field, problem)


def _walk(value: Any, path: str, depth: int, limit: int) -> Iterator[tuple[str, str]]:
    if depth > limit:
        raise BadInput(path or "body", _("is nested too deeply (at most %d levels).") % limit)
    if isinstance(value, str):
        yield path or "body", value
    elif isinstance(value, dict):
        for key, item in value.items():
            name = f"{path}.{key}" if path else str(key)
            yield name, str(key)
            yield from _walk(item, name, depth + 1, limit)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _walk(item, f"{path}[{index}]", depth + 1, limit)


def check_json(body: bytes, *, limit: int) -> None:
    """Raise :class:`BadInput` for a JSON body too deep or holding text we refuse.

    A body that is not JSON at all is left to the view, which says so in its own words."""
    try:
        data = json.loads(body)
    except RecursionError as exc:
        raise BadInput("body", _("is nested too deeply (at most %d levels).") % limit) from exc
    except ValueError:
        return
    for field, text in _walk(data, "", 0, limit):
        _check(field, text)


class InputGuardMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            self._inspect(request)
        except BadInput as exc:
            return self._refuse(request, exc)
        return self.get_response(request)

    def _inspect(self, request: HttpRequest) -> None:
        _check("path", request.path)
        for key, values in request.GET.lists():
            _check(key, key)
            for value in values:
                _check(key, value)
        if request.method not in ("POST", "PUT", "PATCH", "DELETE"):
            return
        content_type = request.content_type or ""
        if content_type == "application/json" or content_type.endswith("+json"):
            check_json(request.body, limit=settings.CUAKHAU_MAX_JSON_DEPTH)
        elif content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
            for key, values in request.POST.lists():
                _check(key, key)
                for value in values:
                    _check(key, value)
            for key, uploads in request.FILES.lists():
                for upload in uploads:
                    _check(key, getattr(upload, "name", "") or "")

    def _refuse(self, request: HttpRequest, exc: BadInput) -> HttpResponse:
        message = _("The request has errors; see each field.")
        field_message = f"{exc.field}: {exc.problem}" if exc.field else exc.problem
        wants_json = request.path.startswith("/api/") or "json" in request.headers.get("Accept", "")
        if wants_json:
            return JsonResponse(
                error_body("invalid_input", message, {exc.field: [exc.problem]}), status=400
            )
        return render(
            request,
            "error.html",
            {"status": 400, "message": f"{message} {field_message}"},
            status=400,
        )
