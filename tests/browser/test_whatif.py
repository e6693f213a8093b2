"""Issue 16 in Chromium, in Vietnamese: from the demo state the board asks "close Tân Thanh
exports for 7 days", follows the run's progress to the end, sees baseline and variant side by
side, and downloads the variant's scenario, which ``cuakhau simulate`` runs to the same totals."""

from __future__ import annotations

import io
import json
import threading
from contextlib import redirect_stdout
from pathlib import Path

from django.conf import settings
from django.core.cache import cache
from django.db import connections
from playwright.sync_api import Page, expect

from clearance.reference import load_clearance_rules
from engine.cli import simulate
from fees.reference import load_fee_schedules
from gates.reference import load_gates
from notifications.dispatch import task_worker
from shipments.demo import build_demo
from shipments.reference import load_commodities
from tests.browser.conftest import screenshot
from whatif.models import RunStatus, WhatIfRun


def test_the_board_runs_a_what_if_and_downloads_its_scenario(
    page: Page,
    live_server,
    transactional_db,  # type: ignore[no-untyped-def]
    tmp_path: Path,
) -> None:
    cache.clear()
    load_gates()
    load_commodities()
    load_clearance_rules()
    load_fee_schedules()
    build_demo(days=3, scale=0.03)
    base = live_server.url
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", "board")
    page.fill("#id_password", settings.CUAKHAU_DEMO_PASSWORD)
    page.click("button[type=submit]")
    expect(page.locator(".who")).to_contain_text("Ban quản lý cửa khẩu")
    page.goto(f"{base}/whatif/")
    form = page.get_by_role("form", name="Phân tích giả định mới")
    form.locator("#name").fill("Đóng xuất khẩu Tân Thanh 7 ngày")
    form.locator("input[name=capacity_on]").check()
    form.locator("#capacity_gate").select_option("tan-thanh")
    form.locator("#capacity_flow").select_option("exit")
    form.locator("#capacity_percent").fill("0")
    form.get_by_role("button", name="Chạy").click()
    # Queued: the page shows its progress and polls until the worker is done.
    progress = page.locator("#progress progress")
    expect(progress).to_be_visible()
    run = WhatIfRun.objects.get()
    assert run.status == RunStatus.QUEUED and run.spec["capacity"][0]["percent"] == 0
    worker = task_worker(worker_id="browser-test")

    def work() -> None:
        try:
            worker.run()
        finally:
            connections.close_all()  # this thread's own: the test database can then be dropped

    thread = threading.Thread(target=work, daemon=True)
    thread.start()
    try:
        expect(page.locator("#comparison")).to_be_visible(timeout=180_000)
    finally:
        worker.running = False
        thread.join(timeout=30)
    expect(page.locator("#policies tbody tr")).to_have_count(7)
    charts = page.locator("#comparison figure.chart svg polyline")
    assert charts.count() >= 4 and (charts.first.bounding_box() or {}).get("width", 0) > 0
    screenshot(page, "whatif-vi")
    with page.expect_download() as download_info:
        page.locator("#variant-json").click()
    path = tmp_path / "variant.json"
    download_info.value.save_as(path)
    out = io.BytesIO()
    wrapper = io.TextIOWrapper(out, encoding="utf-8")
    with redirect_stdout(wrapper):
        assert simulate(["--scenario", str(path), "--json"]) == 0
        wrapper.flush()
    run.refresh_from_db()
    stored = run.result["variant"]["policies"]
    for body in json.loads(out.getvalue()):
        for key in ("crossed", "spoiled", "spoiled_value_vnd", "truck_hours_waiting"):
            assert body["summary"][key] == stored[body["policy"]][key], (body["policy"], key)
