"""Typed access to who is asking, for views and API viewsets."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django_htmx.middleware import HtmxDetails

from accounts.models import User


class HtmxHttpRequest(HttpRequest):
    htmx: HtmxDetails


def actor(request: Any) -> User:
    """The signed-in user making ``request``; refuses anonymous callers (views and DRF alike)."""
    user = request.user
    if not isinstance(user, User) or not user.is_authenticated:
        raise PermissionDenied
    return user


def redirect_after_change(request: HtmxHttpRequest, target: str, message: str) -> HttpResponse:
    """After a successful POST: flash ``message`` and go to ``target`` (htmx or plain form)."""
    messages.success(request, message)
    if request.htmx:
        response = HttpResponse(status=204)
        response["HX-Redirect"] = target
        return response
    return redirect(target)
