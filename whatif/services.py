"""The what-if simulator's use cases: the board asks (``do_create_run``), a background task
builds the two scenarios from the live state and runs every policy and the clairvoyant optimum
on each (``run``), reporting its progress on the run as it goes."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

import numpy as np
from django.db import transaction
from django.utils import timezone
from django_tasks import task

from accounts import policy
from accounts.models import User
from audit import services as audit
from engine import policies
from engine.optimum import optimum
from engine.result import Outcome, left_hour, summarize, yard_occupancy
from engine.scenario import Scenario, parse_scenario
from whatif import policy as rules
from whatif.models import RunStatus, WhatIfRun
from whatif.scenario import Spec, apply, live_scenario

#: Every online policy and the optimum, in the order they are shown.
POLICIES: dict[str, Callable[[Scenario], Outcome]] = {**policies.ONLINE, "optimum": optimum}
#: The policy the charts draw (the platform's own: priority in the yard, hold at origin).
DRAWN = "admission"


def do_create_run(
    *, actor: User, name: str, spec: Spec, start: datetime | None = None
) -> WhatIfRun:
    policy.require(actor, rules.RUN_WHATIF)
    now = timezone.now()
    with transaction.atomic():
        run = WhatIfRun.objects.create(
            name=name,
            created_by=actor,
            created_at=now,
            start=start or now,
            spec=spec.as_json(),
            steps=2 * len(POLICIES) + 1,
        )
        audit.record(
            action="whatif.created", obj=run, actor=actor, after={"name": name, **spec.as_json()}
        )
        transaction.on_commit(lambda: run_whatif.enqueue(run.pk))
    return run


@task()
def run_whatif(run_id: int) -> str:
    """The background job: build, run, store; a failure is stored on the run, never lost."""
    try:
        run(run_id)
    except Exception as exc:
        WhatIfRun.objects.filter(pk=run_id).update(
            status=RunStatus.FAILED,
            error=f"{type(exc).__name__}: {exc}",
            finished_at=timezone.now(),
        )
        raise
    return "done"


def _step(run_id: int, done: int, label: str) -> None:
    WhatIfRun.objects.filter(pk=run_id).update(progress=done, step_label=label)


def run(run_id: int) -> WhatIfRun:
    record = WhatIfRun.objects.get(pk=run_id)
    WhatIfRun.objects.filter(pk=run_id).update(status=RunStatus.RUNNING)
    spec = Spec.from_json(record.spec)
    _step(run_id, 0, "live state")
    baseline = live_scenario(record.start, spec.horizon_days)
    variant = apply(spec, baseline)
    WhatIfRun.objects.filter(pk=run_id).update(baseline=baseline, variant=variant, progress=1)
    result: dict[str, Any] = {}
    done = 1
    for which, doc in (("baseline", baseline), ("variant", variant)):
        scenario = parse_scenario(doc)
        part: dict[str, Any] = {"policies": {}, "series": {}}
        for name, solve in POLICIES.items():
            _step(run_id, done, f"{which}: {name}")
            started = time.perf_counter()
            outcome = solve(scenario)
            seconds = time.perf_counter() - started
            summary = summarize(scenario, outcome)
            held = outcome.held_hours > 0
            summary["held_trucks"] = int(held.sum())
            summary["mean_hold_hours"] = (
                round(float(outcome.held_hours[held].mean()), 2) if held.any() else 0.0
            )
            summary["seconds"] = round(seconds, 3)
            part["policies"][name] = summary
            part["series"][name] = _series(scenario, outcome)
            done += 1
        result[which] = part
    result["trucks"] = {"baseline": len(baseline["trucks"]), "variant": len(variant["trucks"])}
    result["notes"] = variant.get("whatif", {})
    WhatIfRun.objects.filter(pk=run_id).update(
        result=result,
        status=RunStatus.DONE,
        progress=done,
        step_label="",
        finished_at=timezone.now(),
    )
    return WhatIfRun.objects.get(pk=run_id)


def _series(scenario: Scenario, outcome: Outcome) -> dict[str, list[int]]:
    """Per hour: trucks waiting (in the yards or held at origin) and trucks in the yards."""
    hours = scenario.horizon_hours
    ready = np.clip(np.floor(scenario.ready_hour).astype(np.int64), 0, hours)
    arrived = np.cumsum(np.bincount(ready, minlength=hours + 1))[:hours]
    cross = outcome.cross_hour
    gone_at = np.where(cross >= 0, cross + 1, np.nan)
    left = left_hour(scenario, outcome)
    gone_at = np.where(np.isnan(gone_at), np.ceil(left), gone_at)
    finished = gone_at[~np.isnan(gone_at)].astype(np.int64)
    finished = finished[finished <= hours]
    gone = np.cumsum(np.bincount(finished, minlength=hours + 1))[:hours]
    yard = yard_occupancy(scenario, outcome).sum(axis=0)
    return {"waiting": (arrived - gone).clip(min=0).tolist(), "yard": yard.astype(int).tolist()}
