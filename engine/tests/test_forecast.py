import numpy as np
import pandas as pd
import pytest

from engine.forecast import (
    BacklogLane,
    ForecastInputError,
    backlog,
    evaluate,
    forecast,
    holiday_features,
    shared_backlog,
    synthetic_arrivals,
)


def test_holiday_features_know_tet_and_both_countries() -> None:
    x = holiday_features(pd.to_datetime(["2027-02-06", "2027-10-01", "2027-09-02", "2027-03-10"]))
    assert x["tet"].tolist() == [1, 0, 0, 0]
    assert x["cn_holiday"].tolist() == [0, 1, 0, 0]  # China's National Day
    assert x["vn_holiday"].tolist() == [0, 0, 1, 0]  # Vietnam's National Day


def test_forecast_format_and_holiday_dip() -> None:
    history = synthetic_arrivals(series=3, start="2024-01-01", days=400, seed=3)
    out = forecast(history, 14)
    assert list(out.columns) == ["unique_id", "ds", "mean", "lo80", "hi80", "lo95", "hi95"]
    assert len(out) == 3 * 14
    assert (out["lo95"] <= out["lo80"]).all() and (out["lo80"] <= out["mean"]).all()
    assert (out["mean"] <= out["hi80"]).all() and (out["hi80"] <= out["hi95"]).all()
    # Forecasting into Tết 2025 (29 Jan): the holiday effect learnt from Tết 2024 applies.
    tet = synthetic_arrivals(series=1, start="2023-10-01", days=480, seed=4)
    ahead = forecast(tet, 21)
    around = ahead.set_index("ds")["mean"]
    assert around[pd.Timestamp("2025-01-29")] < 0.4 * around[pd.Timestamp("2025-02-12")]


def test_rolling_origin_beats_seasonal_naive_with_calibrated_intervals() -> None:
    history = synthetic_arrivals(series=12, days=731, seed=11)
    scores = evaluate(history, 14, windows=6)
    assert scores.mase_ratio <= 0.85
    assert 0.70 <= scores.coverage80 <= 0.90
    assert scores.coverage95 >= 0.88


@pytest.mark.parametrize(
    ("frame", "message"),
    [
        (pd.DataFrame({"unique_id": ["a"], "ds": ["2024-01-01"]}), "missing column"),
        (pd.DataFrame({"unique_id": ["a"] * 30, "ds": ["bad"] * 30, "y": [1] * 30}), "row 2: ds"),
        (
            pd.DataFrame(
                {
                    "unique_id": ["a"] * 30,
                    "ds": pd.date_range("2024-01-01", periods=30),
                    "y": [-1] * 30,
                }
            ),
            "must be a count",
        ),
        (
            pd.DataFrame(
                {
                    "unique_id": ["a"] * 30,
                    "ds": list(pd.date_range("2024-01-01", periods=15)) * 2,
                    "y": [1] * 30,
                }
            ),
            "needs at least 21",  # duplicates are averaged: 15 days remain
        ),
        (
            pd.DataFrame(
                {
                    "unique_id": ["a"] * 10,
                    "ds": pd.date_range("2024-01-01", periods=10),
                    "y": [1] * 10,
                }
            ),
            "at least 21",
        ),
    ],
)
def test_bad_history_is_refused_clearly(frame: pd.DataFrame, message: str) -> None:
    with pytest.raises(ForecastInputError, match=message):
        forecast(frame, 7)


def test_backlog_finds_the_day_the_yard_fills() -> None:
    days = pd.date_range("2026-01-01", periods=10)
    rows = pd.DataFrame(
        {
            "unique_id": "x",
            "ds": days,
            "mean": 300.0,
            "lo80": 280.0,
            "hi80": 320.0,
            "lo95": 270.0,
            "hi95": 330.0,
        }
    )
    result = backlog(rows, [200] * 10, initial_queue=100, yard_capacity=550)
    # +100 trucks a day on top of 100: about 500 after day 4, 600 after day 5.
    assert result.first_day_likely_full == "2026-01-05"
    assert np.all(np.diff(result.p50) > 0)
    calm = backlog(rows, [400] * 10, initial_queue=0, yard_capacity=600)
    assert calm.first_day_likely_full is None and max(calm.prob_full) == 0


def test_hourly_series() -> None:
    rng = np.random.default_rng(0)
    ds = pd.date_range("2025-01-01", periods=24 * 60, freq="h")
    daily_wave = 20 + 10 * np.sin(np.arange(len(ds)) * 2 * np.pi / 24)
    history = pd.DataFrame({"unique_id": "huu-nghi", "ds": ds, "y": rng.poisson(daily_wave)})
    out = forecast(history, 48, "H")
    assert len(out) == 48 and out["ds"].iloc[0] == pd.Timestamp("2025-03-02 00:00")
    peak, trough = out["mean"].iloc[6], out["mean"].iloc[18]  # the wave peaks at 06:00
    assert peak > trough + 10


def test_gappy_irregular_queue_readings_are_regularised_and_reported() -> None:
    """Issue 14: real feeds miss readings, repeat them and read every 30 minutes or at 10:07.
    Every usable series is forecast; what was averaged, filled, cut or skipped is reported."""
    from engine.forecast import describe, forecast_with_report

    rng = np.random.default_rng(4)
    hours = pd.date_range("2026-05-01", periods=24 * 30, freq="h")
    base = 40 + 25 * np.sin(2 * np.pi * hours.hour / 24)
    rows = []
    for uid, offset in (("gate-a", 0), ("gate-b", 7)):
        for k, stamp in enumerate(hours):
            if rng.random() < 1 / 6:
                continue  # about one hour in six missing
            for minute in (0, 30) if uid == "gate-a" else (offset,):
                rows.append((uid, stamp + pd.Timedelta(minutes=minute), base[k] + rng.normal(0, 3)))
    # A duplicate reading, a long outage (3 days) in gate-b, and a series too short to use.
    rows.append(("gate-a", hours[100], 55.0))
    rows = [r for r in rows if not (r[0] == "gate-b" and hours[200] <= r[1] < hours[272])]
    rows += [("new-camera", hours[-10] + pd.Timedelta(hours=k), 5.0) for k in range(10)]
    history = pd.DataFrame(rows, columns=["unique_id", "ds", "y"])
    result, report = forecast_with_report(history, 24, "H")
    by = {r["unique_id"]: r for r in report}
    assert set(result["unique_id"]) == {"gate-a", "gate-b"}
    assert len(result) == 2 * 24 and (result["mean"] >= 0).all()
    assert by["gate-a"]["averaged"] > 500 and by["gate-a"]["filled"] > 50
    assert by["gate-b"]["off_period"] > 500  # read at minute 7
    assert by["gate-b"]["cut_before"] is not None and by["gate-b"]["periods"] < 24 * 30 - 200
    assert by["new-camera"]["skipped"] and "needs at least 72" in by["new-camera"]["skipped"]
    words = "\n".join(describe(report, "H"))
    assert "filled by linear interpolation" in words and "skipped" in words


def test_evaluation_scores_the_baselines_on_the_same_origins() -> None:
    history = synthetic_arrivals(series=2, days=140, seed=4)
    scores = evaluate(history, 7, windows=2, baselines=True)
    assert scores.mase_autoets is not None and scores.mase_autoets > 0
    assert scores.mase_last_value is not None and scores.mase_last_value > 0


def test_a_shared_yard_is_full_when_its_lanes_together_fill_it() -> None:
    """Entry and exit each hold 250 trucks a day in a yard of 300: neither alone fills it, the
    yard does (issue 23: admission held entry at 300 places while exit stayed open)."""
    days = pd.date_range("2026-01-01", periods=5)
    rows = pd.DataFrame({"unique_id": "x", "ds": days, "mean": 100.0, "lo80": 90.0, "hi80": 110.0})
    alone = backlog(rows, [100] * 5, initial_queue=250, yard_capacity=300)
    assert max(alone.prob_full) < 0.01 and alone.first_day_likely_full is None
    lanes = [BacklogLane(rows, [100] * 5, 250), BacklogLane(rows, [100] * 5, 250)]
    shared = shared_backlog(lanes, yard_capacity=300)
    assert min(shared.prob_full) == 1.0
    assert shared.p50[0] == pytest.approx(500, abs=15)
    # One lane's idle capacity does not serve the other: 250 waiting at a closed exit stay.
    idle = shared_backlog(
        [
            BacklogLane(rows, [0] * 5, 250),
            BacklogLane(rows.assign(mean=0.0, lo80=0.0, hi80=0.0), [1000] * 5, 0),
        ],
        yard_capacity=10_000,
    )
    assert idle.p50[0] >= 340
    with pytest.raises(ForecastInputError):
        shared_backlog([BacklogLane(rows, [1] * 4, 0)], yard_capacity=1)
