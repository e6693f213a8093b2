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
        )
        sync.row(Yard, {"code": row["code"]}, values)
    for row in data["working_hours"]:
        for flow in row["flows"]:
            for weekday in row["weekdays"]:
                sync.row(
                    WorkingHours,
                    {
                        "gate": gates[row["gate"]],
                        "route": None,
                        "flow": flow,
                        "weekday": weekday,
                        "valid_from": date.fromisoformat(row["valid_from"]),
                    },
                    {
                        "opens": time.fromisoformat(row["opens"]),
                        "closes": time.fromisoformat(row["closes"]),
                        "valid_until": date.fromisoformat(row["valid_until"])
                        if row["valid_until"]
                        else None,
                        "source": row["source"],
                    },
                )
    for row in data["foreign_hours"]:
        for weekday in row["weekdays"]:
            sync.row(
                ForeignHours,
                {
                    "foreign_gate": foreign[row["foreign_gate"]],
                    "weekday": weekday,
                    "valid_from": date.fromisoformat(row["valid_from"]),
                },
                {
                    "opens": time.fromisoformat(row["opens"]),
                    "closes": time.fromisoformat(row["closes"]),
                    "time_zone": row["time_zone"],
                    "valid_until": date.fromisoformat(row["valid_until"])
                    if row["valid_until"]
                    else None,
                    "source": row["source"],
                },
            )
    for row in data["hours_exceptions"]["notices"]:
        first, last = date.fromisoformat(row["first"]), date.fromisoformat(row["last"])
        for offset in range((last - first).days + 1):
            sync.row(
                HoursException,
                {
                    "gate": gates[row["gate"]],
                    "route": routes.get(row["route"]) if row["route"] else None,
                    "flow": row["flow"],
                    "date": first + timedelta(days=offset),
                },
                {
                    "closed": row["kind"] == "closed",
                    "pre_registered_only": row["kind"] == "pre_registered",
                    "reason": row["reason"],
                    # Published before the day began: bookings made before that count as
                    # registered (the notices' own publication dates are not in the sources).
                    "published_at": datetime.combine(first, time(0), tzinfo=ZoneInfo(LOCAL)),
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
