"""``cuakhau simulate``, ``cuakhau scenario`` and ``cuakhau forecast``: the engine on its own.

These commands never start Django, so they run anywhere the engine is installed.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TextIO

import orjson

from engine import policies
from engine.optimum import optimum
from engine.result import Outcome, summarize, to_json
from engine.scenario import Scenario, ScenarioError, parse_scenario

POLICIES: dict[str, Callable[[Scenario], Outcome]] = {**policies.ONLINE, "optimum": optimum}
SCENARIOS = ("lang-son-2021-12",)


def _read_json(path: str) -> Any:
    try:
        data = sys.stdin.buffer.read() if path == "-" else Path(path).read_bytes()
    except OSError as exc:
        raise SystemExit(f"cannot read {path}: {exc.strerror}") from exc
    try:
        return orjson.loads(data)  # several times faster than json on a scenario of 30 MB
    except orjson.JSONDecodeError as exc:
        raise SystemExit(
            f"{path}: not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})"
        ) from exc


def _table(rows: list[tuple[str, dict[str, Any], float]], out: TextIO) -> None:
    columns = (
        "policy",
        "crossed",
        "uncrossed",
        "spoiled",
        "spoiled VND bn",
        "left",
        "left VND bn",
        "mean wait h",
        "p95 wait h",
        "truck-hours",
        "yard peak",
        "held h",
        "seconds",
    )
    widths = (10, 8, 9, 8, 14, 6, 11, 11, 10, 12, 9, 9, 7)
    print(
        " ".join(
            f"{c:<{w}}" if k == 0 else f"{c:>{w}}"
            for k, (c, w) in enumerate(zip(columns, widths, strict=True))
        ),
        file=out,
    )
    for name, s, seconds in rows:
        cells = (
            name,
            s["crossed"],
            s["uncrossed"],
            s["spoiled"],
            f"{s['spoiled_value_vnd'] / 1e9:.2f}",
            s["left"],
            f"{s['left_value_vnd'] / 1e9:.2f}",
            f"{s['mean_wait_hours']:.1f}",
            f"{s['p95_wait_hours']:.1f}",
            f"{s['truck_hours_waiting']:.0f}",
            max(s["max_yard_occupancy"].values(), default=0),
            f"{s['held_at_origin_hours']:.0f}",
            f"{seconds:.2f}",
        )
        print(
            " ".join(
                f"{c:<{w}}" if k == 0 else f"{c!s:>{w}}"
                for k, (c, w) in enumerate(zip(cells, widths, strict=True))
            ),
            file=out,
        )
    bounds = [
        s.get("fluid_bound_truck_hours") for _n, s, _t in rows if s.get("fluid_bound_truck_hours")
    ]
    if bounds:
        print(f"fluid lower bound on truck-hours waiting: {bounds[0]:.0f}", file=out)


def simulate(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="cuakhau simulate", description="Run policies on a scenario."
    )
    parser.add_argument(
        "--scenario", required=True, help="scenario JSON file, or - for standard input"
    )
    parser.add_argument("--policy", default="all", choices=[*POLICIES, "all"])
    parser.add_argument(
        "--origin-rate",
        type=float,
        default=1.0,
        help="admission: how fast shelf life runs out while held at origin (default 1.0)",
    )
    parser.add_argument("--json", action="store_true", help="write the per-truck result as JSON")
    args = parser.parse_args(argv)
    try:
        scenario = parse_scenario(_read_json(args.scenario))
    except ScenarioError as exc:
        for problem in exc.problems:
            print(f"error: {problem}", file=sys.stderr)
        return 2
    names = list(POLICIES) if args.policy == "all" else [args.policy]
    bodies: list[dict[str, Any]] = []
    rows: list[tuple[str, dict[str, Any], float]] = []
    for name in names:
        started = time.perf_counter()
        if name == "admission":
            outcome = policies.admission(scenario, origin_rate=args.origin_rate)
        else:
            outcome = POLICIES[name](scenario)
        seconds = time.perf_counter() - started
        body = to_json(scenario, outcome) if args.json else None
        summary = body["summary"] if body else summarize(scenario, outcome)
        summary.update({k: v for k, v in outcome.notes.items() if k.endswith("_bound_truck_hours")})
        rows.append((name, summary, seconds))
        if body:
            bodies.append(body)
    if args.json:
        sys.stdout.flush()
        sys.stdout.buffer.write(
            orjson.dumps(
                bodies if args.policy == "all" else bodies[0], option=orjson.OPT_APPEND_NEWLINE
            )
        )
        sys.stdout.buffer.flush()
    else:
        print(
            f"scenario {scenario.name!r}: {scenario.n_trucks} trucks, {len(scenario.gates)} gates, "
            f"{scenario.horizon_hours} hours"
        )
        _table(rows, sys.stdout)
    return 0


def scenario(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="cuakhau scenario", description="Write a reference scenario."
    )
    parser.add_argument("name", choices=SCENARIOS)
    parser.add_argument("--seed", type=int, default=2021)
    parser.add_argument(
        "--output", "-o", default="-", help="file to write (default: standard output)"
    )
    args = parser.parse_args(argv)
    from engine.reference import build

    text = json.dumps(build(seed=args.seed), ensure_ascii=False, indent=1)
    if args.output == "-":
        sys.stdout.write(text + "\n")
    else:
        Path(args.output).write_text(text + "\n", encoding="utf-8")
        print(f"wrote {args.output}", file=sys.stderr)
    return 0


def forecast(argv: Sequence[str]) -> int:
    from engine.forecast import main as forecast_main

    return forecast_main(argv)


COMMANDS: dict[str, Callable[[Sequence[str]], int]] = {
    "simulate": simulate,
    "scenario": scenario,
    "forecast": forecast,
}
