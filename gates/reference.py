"""Load Lạng Sơn's gate register from ``gates/data/lang-son.json``.

Idempotent, and it never overwrites what the board changed: missing rows are created, existing
ones kept (``cuakhau.reference.ReferenceSync`` lists their differences from the shipped data, and
writes them only when asked).
"""

from __future__ import annotations

import json
from collections import Counter
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from django.db import transaction

from cuakhau.reference import ReferenceSync
from gates.models import (
    CapacityPlan,
    ForeignGate,
    ForeignHours,
    Gate,
    HoursException,
    Route,
    TwoWayDelivery,
    WorkingHours,
    Yard,
    YardOperator,
)

DATA_FILE = Path(__file__).parent / "data" / "lang-son.json"
#: Dates in the shipped notices are Lạng Sơn dates.
LOCAL = "Asia/Ho_Chi_Minh"


def reference_data() -> dict[str, Any]:
    return json.loads(DATA_FILE.read_text(encoding="utf-8"))


def _windows(row: dict[str, Any]) -> list[tuple[time, time]]:
    """A row's windows: ``windows`` ([["07:30", "11:00"], ...]) or one ``opens``/``closes``."""
    pairs = row.get("windows") or [[row["opens"], row["closes"]]]
    return [(time.fromisoformat(a), time.fromisoformat(b)) for a, b in pairs]


@transaction.atomic
def load_gates(sync: ReferenceSync | None = None) -> Counter[str]:
    data = reference_data()
    sync = sync or ReferenceSync()
    before = Counter(sync.counts)
    foreign = {
        row["code"]: sync.row(
            ForeignGate,
            {"code": row["code"]},
            {k: v for k, v in row.items() if k != "code"},
        )
        for row in data["foreign_gates"]
    }
    gates = {}
    for row in data["gates"]:
        values = {k: v for k, v in row.items() if k not in ("code", "foreign_gate")}
        values["foreign_gate"] = foreign.get(row["foreign_gate"]) if row["foreign_gate"] else None
        gates[row["code"]] = sync.row(Gate, {"code": row["code"]}, values)
    routes = {}
    for row in data["routes"]:
        values = {k: v for k, v in row.items() if k not in ("code", "gate", "foreign_gate")}
        values.update(gate=gates[row["gate"]], foreign_gate=foreign.get(row["foreign_gate"]))
        routes[row["code"]] = sync.row(Route, {"code": row["code"]}, values)
    for row in data["two_way_delivery"]:
        sync.row(
            TwoWayDelivery,
            {"route": routes[row["route"]], "starts_on": date.fromisoformat(row["starts_on"])},
            {
                "ends_on": date.fromisoformat(row["ends_on"]) if row["ends_on"] else None,
                **{
                    k: row[k]
                    for k in (
                        "two_way_dwell_hours",
                        "other_dwell_hours",
                        "one_owner",
                        "one_kind_of_goods",
                        "source",
                    )
                },
            },
        )
    operators = {
        row["code"]: sync.row(
            YardOperator, {"code": row["code"]}, {k: v for k, v in row.items() if k != "code"}
        )
        for row in data["yard_operators"]
    }
    for row in data["yards"]:
        values = {k: v for k, v in row.items() if k not in ("code", "gate", "route", "operator")}
        values.update(
            gate=gates[row["gate"]],
            route=routes.get(row["route"]) if row["route"] else None,
            operator=operators[row["operator"]] if row["operator"] else None,
            capacity_as_of=(
                date.fromisoformat(row["capacity_as_of"]) if row.get("capacity_as_of") else None
            ),
        )
        sync.row(Yard, {"code": row["code"]}, values)
    for row in data["working_hours"]:
        for flow in row["flows"]:
            for weekday in row["weekdays"]:
                for opens, closes in _windows(row):
                    sync.row(
                        WorkingHours,
                        {
                            "gate": gates[row["gate"]],
                            "route": routes[row["route"]] if row.get("route") else None,
                            "flow": flow,
                            "weekday": weekday,
                            "valid_from": date.fromisoformat(row["valid_from"]),
                            "opens": opens,
                        },
                        {
                            "closes": closes,
                            "valid_until": date.fromisoformat(row["valid_until"])
                            if row["valid_until"]
                            else None,
                            "source": row["source"],
                        },
                    )
    for row in data["foreign_hours"]:
        for weekday in row["weekdays"]:
            for opens, closes in _windows(row):
                sync.row(
                    ForeignHours,
                    {
                        "foreign_gate": foreign[row["foreign_gate"]],
                        "weekday": weekday,
                        "valid_from": date.fromisoformat(row["valid_from"]),
                        "opens": opens,
                    },
                    {
                        "closes": closes,
                        "time_zone": row["time_zone"],
                        "valid_until": date.fromisoformat(row["valid_until"])
                        if row["valid_until"]
                        else None,
                        "source": row["source"],
                    },
                )
    zone = ZoneInfo(LOCAL)
    for row in data["hours_exceptions"]["notices"]:
        first, last = date.fromisoformat(row["first"]), date.fromisoformat(row["last"])
        published = (
            datetime.fromisoformat(row["published"])
            if row.get("published")
            else datetime.combine(first, time(0), tzinfo=zone)
        )
        # Pre-registered goods only: registered by the end of the day given, else by the start
        # of the notice's first day.
        deadline = None
        if row["kind"] == "pre_registered":
            by = row.get("registered_by")
            deadline = datetime.combine(
                date.fromisoformat(by) + timedelta(days=1) if by else first, time(0), tzinfo=zone
            )
        windows: list[tuple[time | None, time | None]] = (
            list(_windows(row)) if row.get("windows") else [(None, None)]
        )
        for offset in range((last - first).days + 1):
            for start, end in windows:
                sync.row(
                    HoursException,
                    {
                        "gate": gates[row["gate"]],
                        "route": routes.get(row["route"]) if row["route"] else None,
                        "flow": row["flow"],
                        "date": first + timedelta(days=offset),
                        "opens": start,
                    },
                    {
                        "closes": end,
                        "closed": row["kind"] == "closed",
                        "pre_registered_only": row["kind"] == "pre_registered",
                        "registered_by": deadline,
                        "reason": row["reason"],
                        "wait_at": row.get("wait_at", ""),
                        "notice": row.get("notice", ""),
                        "published_at": published,
                        "source": row["source"],
                    },
                )
    for row in data["capacity_plans"]:
        sync.row(
            CapacityPlan,
            {
                "gate": gates[row["gate"]],
                "route": routes.get(row["route"]) if row["route"] else None,
                "flow": row["flow"],
                "effective_from": datetime.fromisoformat(row["effective_from"]),
            },
            {"trucks_per_hour": row["trucks_per_hour"], "source": row["source"]},
        )
    return sync.counts - before
