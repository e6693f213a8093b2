"""The what-if simulator (issue 16 §2): from the live state, the board's change, every policy
and the optimum on baseline and variant as a background task, and the variant's scenario as
JSON that ``cuakhau simulate`` reads with the same totals."""

from __future__ import annotations

import io
import json
from contextlib import redirect_stdout
from datetime import datetime, time, timedelta
from pathlib import Path

import pytest
from django.test import Client
from django.utils import timezone

from cuakhau.errors import InvalidInput, NotAllowed
from cuakhau.testing import World, declare, walk_to
from engine.cli import simulate
from engine.scenario import parse_scenario
from gates.models import CapacityPlan
from notifications.dispatch import run_ready_tasks
from shipments import services as shipments
from shipments.choices import TruckState
from whatif import services
from whatif.models import RunStatus, WhatIfRun
from whatif.scenario import (
    RAIL_TRUCKLOADS_PER_DAY,
    CapacityChange,
    Diversion,
    Spec,
    StopPerishables,
    apply,
    live_scenario,
    parse_form,
)

pytestmark = pytest.mark.django_db

STEEL = [
    shipments.LineInput(
        commodity="hot-rolled-steel", hs_heading="7208", weight_kg="25000", value_usd="15000"
    )
]


def _close_chi_ma(world: World) -> None:
    """Chi Ma without capacity plans: it can take no diverted trucks (as before its plan)."""
    CapacityPlan.objects.filter(gate=world.gates["chi-ma"]).delete()


def _traffic(world: World) -> None:
    """Two fruit trucks in Tân Thanh's yard, a steel truck at Hữu Nghị's own road, and two
    trucks declared for tomorrow at Tân Thanh."""
    for plate in ("29C-801.01", "29C-801.02"):
        walk_to(declare(world, vehicle_plate=plate), world, TruckState.ARRIVED)
    walk_to(
        declare(world, route="", vehicle_plate="29C-801.03", lines=STEEL), world, TruckState.ARRIVED
    )
    for plate in ("29C-801.04", "29C-801.05"):
        declare(world, vehicle_plate=plate, planned_arrival=timezone.now() + timedelta(hours=26))


def test_the_live_state_becomes_a_valid_scenario(world: World) -> None:
    _traffic(world)
    doc = live_scenario(timezone.now(), 7)
    scenario = parse_scenario(doc)
    ids = {g["id"] for g in doc["gates"]}
    assert {"huu-nghi/exit", "tan-thanh/exit"} <= ids
    by_gate: dict[str, list[dict]] = {}
    for truck in doc["trucks"]:
        by_gate.setdefault(truck["gate"], []).append(truck)
    tan_thanh = by_gate["tan-thanh/exit"]
    assert sorted(t["ready_hour"] for t in tan_thanh)[:2] == [0, 0]
    assert all(t["perishable"] and t["shelf_life_hours"] > 0 for t in tan_thanh)
    assert any(25 <= t["ready_hour"] <= 27 for t in tan_thanh)
    assert [t["ready_hour"] for t in by_gate["huu-nghi/exit"]] == [0]
    assert scenario.n_trucks == 5
    assert {k: v for k, v in doc["whatif"].items() if k != "in_yard"} == {
        "declared": 5,
        "forecast": 0,
        "left_out_no_capacity": {},
    }
    # Each yard counted once over its roads and both directions, as the console counts it.
    assert doc["whatif"]["in_yard"]["huu-nghi-yard"] == 1
    assert doc["whatif"]["in_yard"]["tan-thanh-yard"] == 2
    shared = {g["id"]: g.get("yard") for g in doc["gates"]}
    assert shared["huu-nghi/exit"] == shared["huu-nghi/entry"] == "huu-nghi-yard"
    # Chi Ma publishes its hours and capacity: a truck there is in the scenario. One at Na Hình,
    # which publishes none, is left out and counted.
    declare(world, gate="chi-ma", route="", vehicle_plate="29C-801.09", lines=STEEL)
    declare(world, gate="na-hinh", route="", vehicle_plate="29C-801.10", lines=STEEL)
    doc = live_scenario(timezone.now(), 7)
    assert doc["whatif"]["left_out_no_capacity"] == {"na-hinh/exit": 1}
    assert [t["gate"] for t in doc["trucks"]].count("chi-ma/exit") == 1


def test_the_changes_make_the_variant(world: World) -> None:
    _traffic(world)
    today = timezone.localdate()
    base = live_scenario(timezone.now(), 7)
    closed = apply(
        Spec(
            7, capacity=[CapacityChange("tan-thanh", "exit", today, today + timedelta(days=6), 0)]
        ),
        base,
    )
    gate = next(g for g in closed["gates"] if g["id"] == "tan-thanh/exit")
    assert all(seg["per_hour"] == 0 for seg in gate["capacity"])
    before = next(g for g in base["gates"] if g["id"] == "tan-thanh/exit")
    assert any(seg["per_hour"] > 0 for seg in before["capacity"])
    railed = apply(
        Spec(
            7,
            diversions=[
                Diversion("tan-thanh", "exit", today, today + timedelta(days=6), 100, "rail")
            ],
        ),
        base,
    )
    assert railed["whatif"]["sent_by_rail"] == 4
    assert {t["gate"] for t in railed["trucks"]} == {"huu-nghi/exit"}
    chi_ma = apply(
        Spec(
            7,
            diversions=[
                Diversion("tan-thanh", "exit", today, today + timedelta(days=6), 100, "chi-ma")
            ],
        ),
        base,
    )
    assert chi_ma["whatif"]["diverted_to_chi_ma"] == 4
    assert {t["gate"] for t in chi_ma["trucks"]} == {"huu-nghi/exit", "chi-ma/exit"}
    no_fruit = apply(Spec(7, stop_perishables=[StopPerishables("tan-thanh", "exit", today)]), base)
    assert no_fruit["whatif"]["perishables_not_sent"] == 4 and len(no_fruit["trucks"]) == 1
    parse_scenario(chi_ma)  # the variant is a valid scenario too
    # Without capacity at Chi Ma nothing can be diverted there, and that is counted.
    _close_chi_ma(world)
    base = live_scenario(timezone.now(), 7)
    assert (
        apply(
            Spec(
                7,
                diversions=[
                    Diversion("tan-thanh", "exit", today, today + timedelta(days=6), 100, "chi-ma")
                ],
            ),
            base,
        )["whatif"]["not_diverted"]
        == 4
    )


def test_the_form_reads_vietnamese_dates_and_numbers_and_names_bad_fields(world: World) -> None:
    today = timezone.localdate()
    name, spec = parse_form(
        {
            "name": "Đóng xuất khẩu Tân Thanh 7 ngày",
            "horizon_days": "10",
            "capacity_on": "on",
            "capacity_gate": "tan-thanh",
            "capacity_flow": "exit",
            "capacity_percent": "0",
            "capacity_first": f"{today:%d/%m/%Y}",
            "capacity_last": f"{today + timedelta(days=6):%d/%m/%Y}",
        },
        language="vi",
        today=today,
    )
    assert name.startswith("Đóng") and spec.horizon_days == 10
    assert spec.capacity == [
        CapacityChange("tan-thanh", "exit", today, today + timedelta(days=6), 0)
    ]
    with pytest.raises(InvalidInput) as refused:
        parse_form(
            {
                "name": "",
                "horizon_days": "30",
                "divert_on": "on",
                "divert_gate": "nowhere",
                "divert_flow": "exit",
                "divert_percent": "1.000",
                "divert_to": "sea",
                "divert_first": "31/02/2026",
                "divert_last": f"{today:%d/%m/%Y}",
            },
            language="vi",
            today=today,
        )
    assert {
        "name",
        "horizon_days",
        "divert_gate",
        "divert_percent",
        "divert_to",
        "divert_first",
    } <= set(refused.value.fields)
    chi_ma = {
        "name": "Chuyển sang Chi Ma",
        "divert_on": "on",
        "divert_gate": "tan-thanh",
        "divert_flow": "exit",
        "divert_percent": "30",
        "divert_to": "chi-ma",
        "divert_first": f"{today:%d/%m/%Y}",
        "divert_last": f"{today + timedelta(days=2):%d/%m/%Y}",
    }
    assert parse_form(chi_ma, language="vi", today=today)[1].diversions[0].percent == 30
    _close_chi_ma(world)
    with pytest.raises(InvalidInput) as closed:
        parse_form(chi_ma, language="vi", today=today)
    assert "Chi Ma" in " ".join(closed.value.fields["divert_to"])
    with pytest.raises(InvalidInput) as nothing:
        parse_form({"name": "x"}, language="vi", today=today)
    assert "changes" in nothing.value.fields


def test_a_run_goes_through_the_worker_and_its_scenario_gives_the_same_totals(
    world: World, tmp_path: Path, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    _traffic(world)
    today = timezone.localdate()
    spec = Spec(
        3, capacity=[CapacityChange("tan-thanh", "exit", today, today + timedelta(days=2), 0)]
    )
    with pytest.raises(NotAllowed):
        services.do_create_run(actor=world.owner, name="x", spec=spec)
    with django_capture_on_commit_callbacks(execute=True):
        run = services.do_create_run(actor=world.board, name="Tân Thanh đóng", spec=spec)
    assert WhatIfRun.objects.get(pk=run.pk).status == RunStatus.QUEUED
    assert run_ready_tasks(worker_id="test") == 1
    run.refresh_from_db()
    assert run.status == RunStatus.DONE, run.error
    assert run.progress == run.steps == 2 * len(services.POLICIES) + 1
    base = run.result["baseline"]["policies"]
    var = run.result["variant"]["policies"]
    assert set(base) == set(var) == set(services.POLICIES)
    # Closing Tân Thanh for the whole horizon: its four trucks never cross.
    assert var["fifo"]["uncrossed"] == base["fifo"]["uncrossed"] + 4
    # From the hour the run started to the end of its third day (today and two more).
    hours = run.baseline["horizon_hours"]
    assert 48 < hours <= 72
    assert len(run.result["variant"]["series"]["admission"]["waiting"]) == hours
    web = Client()
    web.force_login(world.board)
    page = web.get(f"/whatif/{run.pk}/", HTTP_ACCEPT_LANGUAGE="vi").content.decode()
    assert 'id="comparison"' in page and page.count('<figure class="chart"') == 2
    assert 'data-policy="optimum"' in page
    download = web.get(f"/whatif/{run.pk}/variant.json")
    assert download.status_code == 200
    path = tmp_path / "variant.json"
    path.write_bytes(download.content)
    out = io.BytesIO()
    wrapper = io.TextIOWrapper(out, encoding="utf-8")
    with redirect_stdout(wrapper):
        assert simulate(["--scenario", str(path), "--json"]) == 0
        wrapper.flush()
    bodies = json.loads(out.getvalue())
    for body in bodies:
        stored = var[body["policy"]]
        for key in (
            "crossed",
            "spoiled",
            "spoiled_value_vnd",
            "truck_hours_waiting",
            "held_at_origin_hours",
        ):
            assert body["summary"][key] == stored[key], (body["policy"], key)
    assert Client().get(f"/whatif/{run.pk}/").status_code == 302
    owner = Client()
    owner.force_login(world.owner)
    assert owner.get(f"/whatif/{run.pk}/variant.json").status_code == 403


def test_the_page_shows_progress_until_the_run_is_done(world: World) -> None:
    run = WhatIfRun.objects.create(
        name="chờ",
        created_by=world.board,
        created_at=timezone.now(),
        start=timezone.now(),
        spec=Spec(3).as_json(),
        steps=15,
        progress=4,
        status=RunStatus.RUNNING,
        step_label="baseline: edf",
    )
    web = Client()
    web.force_login(world.board)
    fragment = web.get(f"/whatif/{run.pk}/", HTTP_HX_REQUEST="true").content.decode()
    assert 'hx-trigger="every 2s"' in fragment and 'value="4"' in fragment
    assert "baseline: edf" in fragment
    run.status = RunStatus.FAILED
    run.error = "ValueError: boom"
    run.save()
    done = web.get(f"/whatif/{run.pk}/", HTTP_HX_REQUEST="true").content.decode()
    assert "hx-trigger" not in done and "boom" in done
    refused = web.post("/whatif/", {"name": "x"}, HTTP_ACCEPT_LANGUAGE="vi")
    assert refused.status_code == 400 and 'data-field="changes"' in refused.content.decode()


def test_diversion_stops_at_the_room_chi_ma_and_the_railway_have() -> None:
    """A hundred trucks sent by rail in one day: the railway takes its daily loads, the rest stay
    and are counted; Chi Ma takes what its capacity leaves after its own trucks that day."""
    today = timezone.localdate()
    start = datetime.combine(today, time(0), timezone.get_current_timezone())
    doc = {
        "name": "synthetic",
        "start": start.isoformat(),
        "horizon_hours": 48,
        "gates": [
            {"id": gid, "yard_capacity": None, "capacity": [{"from_hour": 0, "per_hour": n}]}
            for gid, n in (("tan-thanh/exit", 10), ("chi-ma/exit", 1))
        ],
        "trucks": [
            {"id": f"t{i}", "gate": "tan-thanh/exit", "ready_hour": 1.0} for i in range(100)
        ]
        + [{"id": f"c{i}", "gate": "chi-ma/exit", "ready_hour": 2.0} for i in range(20)],
    }  # fmt: skip
    railed = apply(
        Spec(2, diversions=[Diversion("tan-thanh", "exit", today, today, 100, "rail")]), doc
    )
    assert railed["whatif"]["sent_by_rail"] == RAIL_TRUCKLOADS_PER_DAY
    assert railed["whatif"]["not_diverted"] == 100 - RAIL_TRUCKLOADS_PER_DAY
    assert len(railed["trucks"]) == 120 - RAIL_TRUCKLOADS_PER_DAY
    # Chi Ma clears 24 a day here and has 20 of its own: 4 more fit on the first day.
    chi_ma = apply(
        Spec(2, diversions=[Diversion("tan-thanh", "exit", today, today, 100, "chi-ma")]), doc
    )
    assert chi_ma["whatif"]["diverted_to_chi_ma"] == 4
    assert chi_ma["whatif"]["not_diverted"] == 96
