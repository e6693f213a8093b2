import json
import subprocess
import sys
from pathlib import Path

import pandas as pd

from engine.forecast import synthetic_arrivals

EXAMPLE = {
    "name": "example",
    "start": "2021-12-01T00:00:00+07:00",
    "horizon_hours": 48,
    "gates": [
        {
            "id": "huu-nghi",
            "yard_capacity": 600,
            "capacity": [{"from_hour": 0, "per_hour": 2}, {"from_hour": 24, "per_hour": 0}],
        },
        {"id": "tan-thanh", "capacity": [{"from_hour": 0, "per_hour": 1}]},
    ],
    "trucks": [
        {
            "id": f"t{k}",
            "ready_hour": k * 0.75,
            "gate": "huu-nghi",
            "alt_gates": ["tan-thanh"],
            "perishable": k % 2 == 0,
            "shelf_life_hours": 12,
            "value_vnd": 450000000,
        }
        for k in range(40)
    ],
}


def _run(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "cuakhau.cli", *args],
        input=stdin,
        capture_output=True,
        text=True,
        check=False,
    )


def test_simulate_json_contract(tmp_path: Path) -> None:
    path = tmp_path / "s.json"
    path.write_text(json.dumps(EXAMPLE))
    result = _run("simulate", "--scenario", str(path), "--policy", "all", "--json")
    assert result.returncode == 0, result.stderr
    bodies = json.loads(result.stdout)
    assert [b["policy"] for b in bodies] == [
        "fifo",
        "edf",
        "priority",
        "admission",
        "divert",
        "reserve",
        "optimum",
    ]
    for body in bodies:
        assert set(body["summary"]) >= {
            "crossed",
            "uncrossed",
            "spoiled",
            "spoiled_value_vnd",
            "mean_wait_hours",
            "p95_wait_hours",
            "truck_hours_waiting",
            "max_yard_occupancy",
            "held_at_origin_hours",
            "left",
            "left_value_vnd",
        }
        assert set(body["trucks"][0]) == {
            "id",
            "gate",
            "cross_hour",
            "wait_hours",
            "spoiled",
            "left_hour",
        }
        assert body["summary"]["crossed"] + body["summary"]["uncrossed"] == 40
        assert any(t["cross_hour"] is None for t in body["trucks"]) == (
            body["summary"]["uncrossed"] > 0
        )
    table = _run("simulate", "--scenario", str(path))
    assert "optimum" in table.stdout and "fluid lower bound" in table.stdout


def test_simulate_names_the_bad_field() -> None:
    bad = dict(EXAMPLE, trucks=[{"id": "t9", "ready_hour": -1, "gate": "huu-nghi"}])
    result = _run("simulate", "--scenario", "-", stdin=json.dumps(bad))
    assert result.returncode == 2
    assert "trucks[0] (t9).ready_hour" in result.stderr
    broken = _run("simulate", "--scenario", "-", stdin="{not json")
    assert broken.returncode != 0 and "not valid JSON" in broken.stderr


def test_scenario_command_writes_the_reference(tmp_path: Path) -> None:
    out = tmp_path / "ls.json"
    result = _run("scenario", "lang-son-2021-12", "--output", str(out))
    assert result.returncode == 0, result.stderr
    assert json.loads(out.read_text())["name"] == "lang-son-2021-12"


def test_forecast_command(tmp_path: Path) -> None:
    path = tmp_path / "h.csv"
    synthetic_arrivals(series=2, days=120, seed=2).to_csv(path, index=False)
    result = _run("forecast", "--history", str(path), "--horizon", "7")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.strip().splitlines()
    assert lines[0] == "unique_id,ds,mean,lo80,hi80,lo95,hi95" and len(lines) == 1 + 2 * 7
    gappy = synthetic_arrivals(series=2, days=120, seed=2)
    gappy = gappy.drop(index=gappy.index[[10, 11, 50]])  # missing days
    repeated = gappy.iloc[[5]].assign(y=3.0)  # a day read twice
    gappy = pd.concat([gappy, repeated], ignore_index=True)
    short = tmp_path / "gappy.csv"
    gappy.to_csv(short, index=False)
    reported = _run("forecast", "--history", str(short), "--horizon", "3", "--json")
    assert reported.returncode == 0, reported.stderr
    assert "filled by linear interpolation" in reported.stderr
    body = json.loads(reported.stdout)
    assert len(body["forecast"]) == 2 * 3
    assert sum(r["filled"] for r in body["input"]) == 3
    bad = tmp_path / "bad.csv"
    bad.write_text("unique_id,ds\na,2024-01-01\n")
    refused = _run("forecast", "--history", str(bad))
    assert refused.returncode == 2 and "missing column" in refused.stderr
