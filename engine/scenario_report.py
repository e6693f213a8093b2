"""``python -m engine.scenario_report``: the tables of docs/scenarios.md, from the code as it is.

The twelve counts against ``fifo``, the capacity and arrivals by period, and every policy with
the optimum on the reference scenario.
"""

from __future__ import annotations

from datetime import date

from engine import policies
from engine.optimum import optimum
from engine.reference import OBSERVED, READ_AT_HOUR, build, count_hour, daily_plan
from engine.result import summarize, waiting_at, yard_occupancy
from engine.scenario import parse_scenario

PERIODS = (
    (date(2021, 12, 1), date(2021, 12, 13)),
    (date(2021, 12, 14), date(2021, 12, 17)),
    (date(2021, 12, 18), date(2021, 12, 24)),
    (date(2021, 12, 25), date(2022, 1, 2)),
    (date(2022, 1, 3), date(2022, 1, 16)),
    (date(2022, 1, 17), date(2022, 1, 24)),
    (date(2022, 1, 25), date(2022, 1, 30)),
    (date(2022, 1, 31), date(2022, 2, 6)),
    (date(2022, 2, 7), date(2022, 2, 15)),
    (date(2022, 2, 16), date(2022, 2, 28)),
)


def tables(seed: int = 2021) -> str:
    sc = parse_scenario(build(seed))
    fifo = policies.fifo(sc)
    out = ["| date | observed | simulated (fifo) | difference |", "|---|---:|---:|---:|"]
    for day, observed in OBSERVED.items():
        simulated = waiting_at(sc, fifo, count_hour(day))
        at = f" ({READ_AT_HOUR[day]:02d}:00)" if day in READ_AT_HOUR else ""
        error = (simulated - observed) / observed
        out.append(f"| {day}{at} | {observed:,} | {simulated:,} | {error:+.1%} |")
    plan = daily_plan()
    out += [
        "",
        "| days | Hữu Nghị / Tân Thanh / Chi Ma per day | arrivals per day (mean) "
        "| fruit accepted |",
        "|---|---|---:|---|",
    ]
    for first, last in PERIODS:
        rows = [r for r in plan if first <= r["day"] <= last]
        cap = rows[0]["capacity"]
        mean = sum(r["arrivals"] for r in rows) / len(rows)
        fruit = "yes" if rows[0]["fruit_share"] > 0 else "no"
        out.append(
            f"| {first:%d %b %Y} – {last:%d %b %Y} | {cap['huu-nghi']} / {cap['tan-thanh']} / "
            f"{cap['chi-ma']} | {mean:.0f} | {fruit} |"
        )
    out += [
        "",
        "| policy | crossed | spoiled | spoiled VND bn | gave up | their goods VND bn | "
        "mean wait h | yard peak (sum of gates) | held at origin, truck-hours |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    runs = [(name, run(sc)) for name, run in policies.ONLINE.items()]
    runs += [
        ("optimum", optimum(sc)),
        ("optimum, no diversion", optimum(sc, use_alternatives=False)),
    ]
    for name, outcome in runs:
        s = summarize(sc, outcome)
        peak = int(yard_occupancy(sc, outcome).sum(axis=0).max())
        out.append(
            f"| {name} | {s['crossed']:,} | {s['spoiled']:,} | "
            f"{s['spoiled_value_vnd'] / 1e9:,.1f} | {s['left']:,} | "
            f"{s['left_value_vnd'] / 1e9:,.1f} | {s['mean_wait_hours']:.0f} | "
            f"{peak:,} | {s['held_at_origin_hours']:,.0f} |"
        )
    return "\n".join(out)


if __name__ == "__main__":
    print(tables())
