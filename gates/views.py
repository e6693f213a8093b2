from __future__ import annotations

from datetime import date, timedelta
from typing import Any
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST
from django.views.generic import TemplateView

from accounts import policy
from cuakhau.errors import DomainError
from cuakhau.requests import HtmxHttpRequest, actor, redirect_after_change
from gates import policy as rules
from gates import services
from gates.choices import Flow, Weekday
from gates.models import Gate, HoursException, Route, WorkingHours
from gates.services import gates_with_hours, holidays_between, hours_on


def _refuse(request: HttpRequest, status: int, message: object) -> HttpResponse:
    return render(request, "error.html", {"status": status, "message": message}, status=status)


class GateListView(TemplateView):
    """The public list of gates with today's goods hours and the coming holidays of both sides."""

    template_name = "gates/gate_list.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        today = timezone.localdate()
        upcoming = holidays_between(today, today + timedelta(days=30))
        holidays_today = [h for h in upcoming if h.day == today]
        gates = gates_with_hours(
            today, Gate.objects.restrict(self.request.user).filter(is_active=True)
        )
        context.update(
            today=today,
            holidays_today=holidays_today,
            upcoming_holidays=[h for h in upcoming if h.day != today],
            rows=[(gate, hours_on(gate, today, holidays_today=holidays_today)) for gate in gates],
        )
        return context


# --- the board publishes hours -----------------------------------------------------------------


def _hours_context(
    request: HttpRequest,
    gate: Gate,
    *,
    action: str = "",
    values: Any = None,
    error: DomainError | None = None,
    route: Route | None = None,
) -> dict[str, Any]:
    today = timezone.localdate()
    weekly = list(
        WorkingHours.objects.filter(gate=gate, route=route)
        .filter(Q(valid_until__isnull=True) | Q(valid_until__gte=today))
        .order_by("flow", "valid_from", "weekday", "opens")
    )
    newest: dict[str, date] = {}
    for row in weekly:
        if row.valid_from <= today:
            newest[row.flow] = max(newest.get(row.flow, row.valid_from), row.valid_from)
    in_force: dict[str, dict[int, list[WorkingHours]]] = {}
    coming: list[WorkingHours] = []
    for row in weekly:
        if row.valid_from > today:
            coming.append(row)
        elif row.valid_from == newest.get(row.flow):
            in_force.setdefault(row.flow, {}).setdefault(row.weekday, []).append(row)

    def cell(flow: str, weekday: int) -> str:
        rows = in_force.get(flow, {}).get(weekday)
        if rows:
            return ", ".join(f"{r.opens:%H:%M}–{r.closes:%H:%M}" for r in rows)
        return str(_("closed") if in_force.get(flow) else _("not published"))

    table = [
        (label, [cell(flow, weekday) for flow in Flow.values]) for weekday, label in Weekday.choices
    ]
    # The week form: what the user typed after an error, else the outbound hours in force.
    typed = values if action == "week" and values is not None else None
    flow = typed.get("flow", Flow.EXIT) if typed is not None else Flow.EXIT
    fields = error.fields if error is not None and action == "week" else {}
    week_rows = []
    for weekday, label in Weekday.choices:
        rows = in_force.get(flow, {}).get(weekday, [])
        shown = [(f"{r.opens:%H:%M}", f"{r.closes:%H:%M}") for r in rows] + [("", "")] * 2
        week_rows.append(
            {
                "weekday": weekday,
                "label": label,
                "windows": [
                    (
                        typed.get(f"opens{suffix}-{weekday}", "") if typed else shown[n][0],
                        typed.get(f"closes{suffix}-{weekday}", "") if typed else shown[n][1],
                        suffix,
                    )
                    for n, suffix in enumerate(("", "_2"))
                ],
                "errors": fields.get(f"opens-{weekday}", []),
            }
        )
    return {
        "gate": gate,
        "route": route,
        "routes": Route.objects.filter(gate=gate, is_active=True).order_by("code"),
        "gates": Gate.objects.filter(is_active=True, mode="road"),
        "flow_labels": [label for _code, label in Flow.choices],
        "flow_choices": Flow.choices,
        "table": table,
        "week_rows": week_rows,
        "week_flow": flow,
        "coming": coming,
        "exceptions": HoursException.objects.filter(gate=gate, date__gte=today)
        .select_related("route")
        .order_by("date", "route_id", "flow", "opens"),
        "today": today,
        "action": action,
        "values": values,
        "error": error,
        "week_errors": fields,
        "exception_errors": error.fields if error is not None and action == "exception" else {},
        "exception_values": values if action == "exception" else None,
        "canonical": reverse("gates:hours-gate", args=[gate.code]),
    }


@login_required
@require_GET
def hours(request: HttpRequest, code: str = "") -> HttpResponse:
    """The board's page for a gate's weekly hours and dated closures."""
    if not policy.role_allows(actor(request), rules.MANAGE_HOURS):
        return _refuse(request, 403, rules.MANAGE_HOURS.refusal)
    gates = Gate.objects.filter(is_active=True, mode="road")
    gate = gates.filter(code=code).first() if code else gates.first()
    if gate is None:
        return _refuse(request, 404, _("No such gate."))
    road = request.GET.get("route", "")
    route = Route.objects.filter(gate=gate, code=road).first() if road else None
    if road and route is None:
        return _refuse(request, 404, _("No such road at this gate."))
    return render(request, "gates/hours.html", _hours_context(request, gate, route=route))


@login_required
@require_POST
def hours_action(request: HtmxHttpRequest, code: str) -> HttpResponse:
    """Publish a week of hours, a dated change, or withdraw one; errors come back by the field."""
    user = actor(request)
    post = request.POST
    action = post.get("action", "")
    try:
        if action == "week":
            services.do_set_weekly_hours(
                actor=user,
                gate_code=code,
                data=services.WeekInput(
                    flow=post.get("flow", ""),
                    valid_from=post.get("valid_from", ""),
                    route=post.get("route", ""),
                    opens=[post.get(f"opens-{d}", "") for d in range(7)],
                    closes=[post.get(f"closes-{d}", "") for d in range(7)],
                    opens_2=[post.get(f"opens_2-{d}", "") for d in range(7)],
                    closes_2=[post.get(f"closes_2-{d}", "") for d in range(7)],
                    source=post.get("source", ""),
                ),
            )
            message = _("Weekly hours published.")
        elif action == "exception":
            services.do_add_exception(
                actor=user,
                gate_code=code,
                data=services.ExceptionInput(
                    day=post.get("day", ""),
                    flow=post.get("flow", ""),
                    closed=post.get("closed") == "on",
                    opens=post.get("opens", ""),
                    closes=post.get("closes", ""),
                    reason=post.get("reason", ""),
                    source=post.get("source", ""),
                    last_day=post.get("last_day", ""),
                    pre_registered_only=post.get("pre_registered_only") == "on",
                    wait_at=post.get("wait_at", ""),
                    route=post.get("route", ""),
                    windows=[
                        (post.get("opens", ""), post.get("closes", "")),
                        (post.get("opens_2", ""), post.get("closes_2", "")),
                    ],
                    registered_by=post.get("registered_by", ""),
                ),
            )
            message = _("Change of hours published.")
        elif action == "withdraw":
            try:
                exception_id = int(post.get("exception", ""))
            except ValueError:
                exception_id = 0
            services.do_remove_exception(actor=user, gate_code=code, exception_id=exception_id)
            message = _("Change of hours withdrawn.")
        else:
            return _refuse(request, 400, _("Unknown action."))
    except DomainError as exc:
        gate = Gate.objects.filter(code=code).first()
        if gate is None or (exc.status in (403, 404) and not exc.fields):
            return _refuse(request, exc.status, exc.message)
        road = Route.objects.filter(gate=gate, code=post.get("route", "")).first()
        context = _hours_context(request, gate, action=action, values=post, error=exc, route=road)
        return render(request, "gates/hours.html", context, status=exc.status)
    target = reverse("gates:hours-gate", args=[code])
    if action == "week" and post.get("route"):
        target += "?" + urlencode({"route": post.get("route")})
    return redirect_after_change(request, target, message)
