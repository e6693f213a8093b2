"""``make bench``: the engine's benchmarks, written to docs/benchmarks.md.

Everything compared is run side by side in this one process on the same instances, so the
ratios hold even on a shared, noisy machine; absolute times are what this machine gave.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import orjson

from engine import policies
from engine.forecast import evaluate, forecast, synthetic_arrivals
from engine.instances import capacity_cut
from engine.optimum import optimum
from engine.queues import evaluate_queues, synthetic_queues
from engine.reference import build
from engine.result import Outcome, summarize
from engine.scenario import Scenario, parse_scenario

GATES = ("huu-nghi", "tan-thanh", "chi-ma")


def instance(n: int, **options: Any) -> Scenario:
    """n trucks over three gates, arriving uniformly, at ``load`` times the capacity."""
    return parse_scenario(instance_doc(n, **options))


def instance_doc(
    n: int,
    *,
    seed: int = 1,
    horizon: int | None = None,
    alternatives: float = 0.0,
    load: float = 0.98,
    perishable_share: float = 0.8,
) -> dict[str, Any]:
    """The scenario document of :func:`instance`."""
    rng = random.Random(seed)
    horizon = horizon or max(168, n // 300)
    per_gate_hour = max(1, round(n / (3 * horizon) / load))
    trucks = []
    for k in range(n):
        gate = GATES[k % 3]
        perishable = rng.random() < perishable_share
        trucks.append(
            {
                "id": f"t{k:07d}",
                "ready_hour": rng.uniform(0, horizon - 1),
                "gate": gate,
                "alt_gates": [g for g in GATES if g != gate] if rng.random() < alternatives else [],
                "perishable": perishable,
                "shelf_life_hours": rng.choice((24, 48, 72, 168)) if perishable else None,
                "value_vnd": rng.randrange(100_000_000, 1_000_000_000),
            }
        )
    return {
        "name": f"bench-{n}",
        "horizon_hours": horizon,
        "gates": [
            {
                "id": g,
                "yard_capacity": 600,
                "capacity": [{"from_hour": 0, "per_hour": per_gate_hour}],
            }
            for g in GATES
        ],
        "diversions": [
            {"from": a, "to": b, "transit_hours": 2} for a in GATES for b in GATES if a != b
        ],
        "trucks": trucks,
    }


def timed(run: Callable[[], Any], repeat: int = 1) -> tuple[float, Any]:
    best, result = float("inf"), None
    for _ in range(repeat):
        started = time.perf_counter()
        result = run()
        best = min(best, time.perf_counter() - started)
    return best, result


def simulation_speed(sizes: list[int], simpy_max: int) -> list[str]:
    from engine.tests import simpy_oracle

    lines = [
        "| trucks | policy | engine s | trucks/s | SimPy s | engine vs SimPy | same cross_hour |",
        "|---:|---|---:|---:|---:|---:|---|",
    ]
    for n in sizes:
        sc = instance(n)
        for name, run, key in (
            ("fifo", policies.fifo, simpy_oracle.fifo_key),
            ("edf", policies.edf, simpy_oracle.edf_key),
        ):
            seconds, outcome = timed(partial(run, sc), repeat=3 if n <= 100_000 else 1)
            if n <= simpy_max:
                simpy_seconds, cross = timed(partial(simpy_oracle.simulate, sc, key))
                same = "yes" if np.array_equal(cross, outcome.cross_hour) else "**no**"
                ratio = f"{simpy_seconds / seconds:,.0f}×"
                simpy_cell = f"{simpy_seconds:.2f}"
            else:
                same, ratio, simpy_cell = "(not run)", "—", "—"
            lines.append(
                f"| {n:,} | {name} | {seconds:.3f} | {n / seconds:,.0f} | {simpy_cell} | {ratio} | {same} |"
            )
            print(lines[-1], flush=True)
    return lines


def optimum_speed() -> list[str]:
    lines = [
        "| instance | build + solve s | saved perishables | spoiled value (VND bn) | best online (VND bn) |",
        "|---|---:|---:|---:|---:|",
    ]
    for share in (0.0, 0.2):
        sc = instance(
            10_000, horizon=14 * 24, alternatives=share, load=1.4, seed=3, perishable_share=1.0
        )
        seconds, outcome = timed(partial(optimum, sc))
        summary = summarize(sc, outcome)
        online = min(
            summarize(sc, run(sc))["spoiled_value_vnd"] for run in policies.ONLINE.values()
        )
        label = f"10,000 trucks, 3 gates, 336 h, {int(share * 100)} % may divert"
        lines.append(
            f"| {label} | {seconds:.2f} | {outcome.notes['saved_perishables']:,} | "
            f"{summary['spoiled_value_vnd'] / 1e9:.1f} | {online / 1e9:.1f} |"
        )
        print(lines[-1], flush=True)
    return lines


def policy_table() -> list[str]:
    sc = parse_scenario(build())
    rows: list[tuple[str, Outcome, float]] = []
    runs: dict[str, Callable[[Scenario], Outcome]] = {**policies.ONLINE, "optimum": optimum}
    for name, run in runs.items():
        seconds, outcome = timed(partial(run, sc))
        rows.append((name, outcome, seconds))
    bound = rows[-1][1].notes["fluid_bound_truck_hours"]
    fifo_value = summarize(sc, rows[0][1])["spoiled_value_vnd"]
    best_value = summarize(sc, rows[-1][1])["spoiled_value_vnd"]
    lines = [
        f"Scenario `lang-son-2021-12`: {sc.n_trucks:,} trucks, 3 gates, {sc.horizon_hours} hours.",
        "",
        "| policy | spoiled trucks | spoiled value (VND bn) | vs fifo | vs optimum | gave up | "
        "their goods (VND bn) | mean wait h | p95 wait h | truck-hours | yard peak (HN / TT / CM) | "
        "held at origin h | s |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|",
    ]
    for name, outcome, seconds in rows:
        s = summarize(sc, outcome)
        value = s["spoiled_value_vnd"]
        vs_fifo = f"{value / fifo_value:.2f}" if fifo_value else "—"
        vs_best = f"{value / best_value:.2f}" if best_value else ("= 0" if value == 0 else "∞")
        peak = " / ".join(str(v) for v in s["max_yard_occupancy"].values())
        lines.append(
            f"| {name} | {s['spoiled']:,} | {value / 1e9:,.1f} | {vs_fifo} | {vs_best} | "
            f"{s['left']:,} | {s['left_value_vnd'] / 1e9:,.1f} | {s['mean_wait_hours']:.1f} | {s['p95_wait_hours']:.1f} | {s['truck_hours_waiting']:,.0f} | "
            f"{peak} | {s['held_at_origin_hours']:,.0f} | {seconds:.2f} |"
        )
    lines.append(f"| fluid lower bound | | | | | | | | | {bound:,.0f} | | | |")
    print("\n".join(lines), flush=True)
    return lines


def _scenario_file(n: int, folder: Path) -> Path:
    """The benchmark instance of n trucks written as a scenario file, as a user would have it."""
    sc_doc = instance_doc(n, seed=1)
    path = folder / f"scenario-{n}.json"
    path.write_bytes(orjson.dumps(sc_doc))
    return path


def _run(command: list[str], out: Path) -> float:
    started = time.perf_counter()
    with out.open("wb") as handle:
        subprocess.run(command, stdout=handle, check=True)
    return time.perf_counter() - started


def end_to_end(
    sizes: tuple[int, ...] = (200_000, 1_000_000), simpy_max: int = 200_000
) -> list[str]:
    """``cuakhau simulate --policy fifo --json`` from process start to the last byte written,
    against a plain SimPy model (engine/tests/simpy_model.py) reading the same file."""
    cuakhau = str(Path(sys.executable).with_name("cuakhau"))
    lines = [
        "| trucks | file MB | cuakhau simulate s | SimPy model s | SimPy ÷ cuakhau | same cross_hour |",
        "|---:|---:|---:|---:|---:|---|",
    ]
    with tempfile.TemporaryDirectory() as folder:
        for n in sizes:
            path = _scenario_file(n, Path(folder))
            ours_out, theirs_out = Path(folder) / "ours.json", Path(folder) / "simpy.json"
            ours = min(
                _run(
                    [cuakhau, "simulate", "--scenario", str(path), "--policy", "fifo", "--json"],
                    ours_out,
                )
                for _ in range(3)
            )
            cells = [f"{n:,}", f"{path.stat().st_size / 1e6:.0f}", f"{ours:.2f}"]
            if n <= simpy_max:
                theirs = _run(
                    [sys.executable, "-m", "engine.tests.simpy_model", str(path)], theirs_out
                )
                a = {
                    t["id"]: t["cross_hour"] for t in orjson.loads(ours_out.read_bytes())["trucks"]
                }
                b = {t["id"]: t["cross_hour"] for t in orjson.loads(theirs_out.read_bytes())}
                cells += [f"{theirs:.2f}", f"{theirs / ours:.1f}×", "yes" if a == b else "NO"]
            else:
                cells += ["—", "—", "(SimPy not run)"]
            lines.append("| " + " | ".join(cells) + " |")
            print(lines[-1], flush=True)
    return lines


#: Capacity-cut instances (engine/instances.py): seed, capacity during the cut, share may divert.
CUT_CASES = (
    (1, 0.25, 0.0),
    (2, 0.15, 0.0),
    (3, 0.25, 0.3),
    (4, 0.1, 0.3),
    (5, 0.2, 0.0),
    (6, 0.3, 0.0),
)


def cut_ratios() -> list[str]:
    """Each online policy's spoiled value divided by the optimum's, per generated instance."""
    names = list(policies.ONLINE)
    lines = [
        "| seed | cut to | may divert | optimum spoiled (VND bn) | "
        + " | ".join(names)
        + " | reserve s |",
        "|---:|---:|---:|---:|" + "---:|" * len(names) + "---:|",
    ]
    worst = 0.0
    for seed, cut, divert in CUT_CASES:
        sc = capacity_cut(seed, cut_to=cut, divert=divert)
        best = summarize(sc, optimum(sc))["spoiled_value_vnd"]
        cells = []
        seconds = 0.0
        for name in names:
            took, outcome = timed(partial(policies.ONLINE[name], sc))
            value = summarize(sc, outcome)["spoiled_value_vnd"]
            cells.append(f"{value / best:.3f}" if best else "—")
            if name == "reserve":
                seconds = took
                worst = max(worst, value / best if best else 0.0)
        lines.append(
            f"| {seed} | {cut:.0%} | {divert:.0%} | {best / 1e9:,.1f} | "
            + " | ".join(cells)
            + f" | {seconds:.1f} |"
        )
        print(lines[-1], flush=True)
    big = capacity_cut(1, trucks=100_000, days=60)
    took, _outcome = timed(partial(policies.reserve, big))
    lines += [
        "",
        f"Largest ratio of `reserve`: {worst:.3f}. On 100,000 trucks over 60 days with the same cut, "
        f"`reserve` takes {took:.1f} s on one core.",
    ]
    return lines


def queue_scores(series: int = 15, seeds: tuple[int, ...] = (1, 2)) -> list[str]:
    """The queue forecaster, AutoETS out of the box, the last value and seasonal naive, 24 h
    ahead from the same rolling origins on synthetic queue series with missing readings."""
    lines = [
        "| set | origins | queue forecaster | AutoETS | last value | coverage 80 % / 95 % | s per origin |",
        "|---|---:|---:|---:|---:|---|---:|",
    ]
    for seed in seeds:
        scores = evaluate_queues(synthetic_queues(series=series, seed=seed), 24, origins=10)
        lines.append(
            f"| {series} queues, 45 days, seed {seed} | {scores.origins} | "
            f"{scores.ratio('queue forecaster'):.3f} | {scores.ratio('AutoETS'):.3f} | "
            f"{scores.ratio('last value'):.3f} | {scores.coverage80:.2f} / {scores.coverage95:.2f} | "
            f"{scores.seconds_per_origin:.2f} |"
        )
        print(lines[-1], flush=True)
    return lines


def forecast_scores() -> list[str]:
    history = synthetic_arrivals(series=50, days=731, seed=1)
    seconds, _ = timed(lambda: forecast(history, 14))
    scores = evaluate(history, 14, windows=8, baselines=True)
    ets = scores.mase_autoets or float("nan")
    last = scores.mase_last_value or float("nan")
    lines = [
        "| measure | value |",
        "|---|---:|",
        "| series × days | 50 × 731 (2024-01-01 – 2025-12-31) |",
        f"| rolling-origin windows × horizon | {scores.windows} × 14 days |",
        f"| MASE, holiday-adjusted ETS | {scores.mase:.3f} |",
        f"| MASE, SeasonalNaive(7) | {scores.mase_seasonal_naive:.3f} |",
        f"| **MASE ratio** (goal ≤ 0.85) | **{scores.mase_ratio:.3f}** |",
        f"| MASE ratio, AutoETS out of the box (same origins) | "
        f"{ets / scores.mase_seasonal_naive:.3f} |",
        f"| MASE ratio, last value (same origins) | {last / scores.mase_seasonal_naive:.3f} |",
        f"| 80 % interval coverage (goal 75–85 %) | {scores.coverage80:.1%} |",
        f"| 95 % interval coverage | {scores.coverage95:.1%} |",
        f"| fit + forecast time for 50 series | {seconds:.2f} s |",
    ]
    print("\n".join(lines), flush=True)
    return lines


#: Where the sections of the platform's own benchmarks (``cuakhau bench-events``) begin.
PLATFORM_SECTIONS = "## 5. "


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return (
        f"{os.cpu_count()} cores, {cpu}, Python {platform.python_version()}, NumPy {np.__version__}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m engine.bench")
    parser.add_argument("--output", default="docs/benchmarks.md")
    parser.add_argument("--quick", action="store_true", help="small sizes, for a smoke run")
    args = parser.parse_args(argv)
    sizes = [10_000, 100_000] if args.quick else [10_000, 100_000, 1_000_000]
    simpy_max = 10_000 if args.quick else 100_000
    commit = (
        subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=False
        ).stdout.strip()
        or "unknown"
    )
    sections = [
        "# Benchmarks",
        "",
        f"Measured by `make bench` (`python -m engine.bench`) on {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, "
        f"commit {commit}, on {machine()}. The machine is shared: absolute times vary from run to run, "
        "ratios taken in the same process much less.",
        "",
        "## 1. Simulation speed, and the SimPy oracle",
        "",
        "Three gates, arrivals spread uniformly at 98 % of capacity, 80 % perishables. The SimPy "
        "model (engine/tests/simpy_oracle.py) is the same model written as processes; it is run "
        f"up to {simpy_max:,} trucks (a million would take it tens of minutes). Engine times are "
        "the best of three runs below a million trucks.",
        "",
        *simulation_speed(sizes, simpy_max),
        "",
        "### End to end: the command against a SimPy model reading the same file",
        "",
        "`cuakhau simulate --policy fifo --json` from process start to the last byte (best of three), "
        "against engine/tests/simpy_model.py, a plain SimPy model of the same queue (one process "
        "walking the trucks in order, one per gate) reading the same file and writing each truck's "
        "crossing; the last column compares all the crossings.",
        "",
        *end_to_end(simpy_max=200_000 if not args.quick else 0),
        "",
        "## 2. The clairvoyant optimum",
        "",
        "Every truck perishable and arrivals at 140 % of capacity, so that fruit must spoil "
        "somewhere; times include building the network. The last column is the best of the five "
        "online policies on the same instance.",
        "",
        *optimum_speed(),
        "",
        "## 3. Policies on the reference scenario",
        "",
        *policy_table(),
        "",
        "### Capacity-cut instances: online policies against the optimum",
        "",
        "9,000 trucks over 30 days at three gates loaded to their capacity, cut to a fraction of it "
        "from day 8 for 14 days, 80 % perishables with shelf lives of 3–10 days and values of "
        "VND 100 m–1 bn (engine/instances.py). Each cell is the policy's spoiled value divided by "
        "the clairvoyant optimum's (1.000 = as good as knowing every truck in advance).",
        "",
        *cut_ratios(),
        "",
        "## 4. Forecast",
        "",
        "Synthetic daily arrivals (engine.forecast.synthetic_arrivals): weekly pattern, drift, Tết "
        "(−90 %), other Vietnamese (−30 %) and Chinese (−25 %) holidays, Poisson noise with 5 % "
        "log-normal jitter. Scores over rolling origins spread across the last 224 days.",
        "",
        *forecast_scores(),
        "",
        "### Queue lengths, hour by hour",
        "",
        "MASE ratio to the seasonal naive forecast (24 h), 24 hours ahead, from ten origins 11 hours "
        "apart, on synthetic queues (engine.queues.synthetic_queues: Poisson arrivals on a daily "
        "profile against a drifting capacity, 60 % of gates open round the clock, 8 % of days cut "
        "or closed, one reading in six missing, regularised first). AutoETS is statsforecast's "
        "out of the box (season 24); coverage is the queue forecaster's.",
        "",
        *queue_scores(),
        "",
    ]
    # Sections written by other benchmarks (the platform's, e.g. plate events) are kept.
    path = Path(args.output)
    kept = ""
    if path.exists():
        previous = path.read_text(encoding="utf-8")
        marker = previous.find(PLATFORM_SECTIONS)
        if marker >= 0:
            kept = "\n" + previous[marker:]
    path.write_text("\n".join(sections) + kept, encoding="utf-8")
    print(f"wrote {args.output}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
