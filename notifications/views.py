"""The inbox: a user's notifications, newest first."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from cuakhau.requests import actor
from notifications import services


@login_required
@require_GET
def inbox(request: HttpRequest) -> HttpResponse:
    page = Paginator(services.inbox(actor(request)), 50).get_page(request.GET.get("page"))
    return render(request, "notifications/inbox.html", {"page": page})


@login_required
@require_POST
def mark_read(request: HttpRequest) -> HttpResponse:
    services.do_mark_read(user=actor(request))
    return redirect("notifications:inbox")
