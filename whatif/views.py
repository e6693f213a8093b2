"""The what-if simulator's pages: the board's runs and the form to ask a new one
(``/whatif/``), a run with its progress and then baseline and variant side by side
(``/whatif/<id>/``), and each scenario as the JSON ``cuakhau simulate`` reads."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from accounts import policy
from cuakhau.charts import Chart, Series, hour_label
from cuakhau.charts import render as draw
from cuakhau.errors import DomainError
from cuakhau.numbers import form_language
from cuakhau.requests import HtmxHttpRequest, actor, redirect_after_change
from flow.yards import roads
from gates.choices import Flow
from whatif import policy as rules
from whatif import services
from whatif.models import RunStatus, WhatIfRun
from whatif.scenario import DIVERT_TO, MAX_DAYS, MIN_DAYS, parse_form


def _refused(request: HttpRequest) -> HttpResponse | None:
    if policy.role_allows(actor(request), rules.RUN_WHATIF):
        return None
    return render(
        request, "error.html", {"status": 403, "message": rules.RUN_WHATIF.refusal}, status=403
    )


@login_required
@require_http_methods(["GET", "POST"])
def runs(request: HtmxHttpRequest) -> HttpResponse:
    if refused := _refused(request):
        return refused
    today = timezone.localdate()
    values: dict[str, Any] = {
        "horizon_days": "7",
        "capacity_percent": "0",
        "divert_percent": "30",
        **{f"{p}_first": f"{today:%d/%m/%Y}" for p in ("capacity", "divert", "perishables")},
        **{f"{p}_last": f"{today + timedelta(days=6):%d/%m/%Y}" for p in ("capacity", "divert")},
    }
    error: DomainError | None = None
    if request.method == "POST":
        values = request.POST.dict()
        try:
            name, spec = parse_form(request.POST, language=form_language(), today=today)
            run = services.do_create_run(actor=actor(request), name=name, spec=spec)
        except DomainError as exc:
            error = exc
        else:
            return redirect_after_change(
                request, reverse("whatif:run", args=[run.pk]), _("What-if started.")
            )
    return render(
        request,
        "whatif/runs.html",
        {
            "runs": WhatIfRun.objects.select_related("created_by")[:50],
            "values": values,
            "error": error,
            "errors": error.fields if error else {},
            "gates": roads(),
            "flows": Flow.choices,
            "divert_to": [
                (code, _("Chi Ma") if code == "chi-ma" else _("Railway")) for code in DIVERT_TO
            ],
            "min_days": MIN_DAYS,
            "max_days": MAX_DAYS,
        },
        status=error.status if error else 200,
    )


def _comparison(run: WhatIfRun) -> dict[str, Any]:
    """Baseline and variant side by side, per policy, and the charts of the drawn policy."""
    result = run.result or {}
    rows = []
    for name in services.POLICIES:
        base = result.get("baseline", {}).get("policies", {}).get(name)
        var = result.get("variant", {}).get("policies", {}).get(name)
        if base and var:
            rows.append((name, base, var))
    charts: list[SafeString] = []
    start = run.start
    for key, title in (
        ("waiting", _("Trucks waiting (in the yards or held at origin), %(policy)s policy")),
        ("yard", _("Trucks in the yards, %(policy)s policy")),
    ):
        base = result.get("baseline", {}).get("series", {}).get(services.DRAWN, {}).get(key)
        var = result.get("variant", {}).get("series", {}).get(services.DRAWN, {}).get(key)
        if not base or not var:
            continue
        labels = [
            hour_label(timezone.localtime(start + timedelta(hours=h))) for h in range(len(base))
        ]
        charts.append(
            draw(
                Chart(
                    title=title % {"policy": services.DRAWN},
                    description=_("Baseline and variant hour by hour; the table has the totals."),
                    x_labels=labels,
                    series=[Series(_("Baseline"), base, "s1"), Series(_("Variant"), var, "over")],
                )
            )
        )
    return {
        "rows": rows,
        "charts": charts,
        "notes": result.get("notes", {}),
        "trucks": result.get("trucks", {}),
    }


def _run_context(run: WhatIfRun) -> dict[str, Any]:
    return {
        "run": run,
        "finished": run.status in (RunStatus.DONE, RunStatus.FAILED),
        **(_comparison(run) if run.status == RunStatus.DONE else {}),
    }


@login_required
@require_GET
def run_page(request: HttpRequest, pk: int) -> HttpResponse:
    if refused := _refused(request):
        return refused
    run = get_object_or_404(WhatIfRun.objects.select_related("created_by"), pk=pk)
    template = "whatif/_run.html" if request.headers.get("HX-Request") else "whatif/run.html"
    return render(request, template, _run_context(run))


@login_required
@require_GET
def scenario_json(request: HttpRequest, pk: int, which: str) -> HttpResponse:
    if refused := _refused(request):
        return refused
    run = get_object_or_404(WhatIfRun, pk=pk)
    doc = run.baseline if which == "baseline" else run.variant if which == "variant" else None
    if doc is None:
        return render(
            request,
            "error.html",
            {"status": 404, "message": _("This scenario is not built yet.")},
            status=404,
        )
    response = HttpResponse(
        json.dumps(doc, ensure_ascii=False), content_type="application/json; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="whatif-{run.pk}-{which}.json"'
    return response
