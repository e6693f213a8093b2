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
    page = Paginator(services.inbox(actor(request)), 200).get_page(request.GET.get("page"))
    return render(
        request,
        "notifications/inbox.html",
        {"page": page, "groups": services.grouped(page.object_list)},
    )


@login_required
@require_POST
def mark_read(request: HttpRequest) -> HttpResponse:
    ids = [int(raw) for raw in request.POST.getlist("id") if raw.isascii() and raw.isdigit()]
    services.do_mark_read(user=actor(request), ids=ids)
    return redirect("notifications:inbox")
