"""Queue lengths hour by hour: the queue forecaster against the simple baselines on queue-like
series with missing readings (the full comparison with AutoETS is in ``make bench``)."""

from __future__ import annotations

import numpy as np

from engine.queues import evaluate_queues, queue_forecast, synthetic_queues


def test_queue_forecasts_are_hourly_non_negative_with_ordered_intervals() -> None:
    history = synthetic_queues(series=3, hours=24 * 30, seed=3)
    assert 0.75 < len(history) / (3 * 24 * 30) < 0.92  # about one reading in six missing
    out, chosen = queue_forecast(history, 24)
    assert len(out) == 3 * 24 and set(chosen["unique_id"]) == set(history["unique_id"])
    assert (out["mean"] >= 0).all() and (out["lo95"] >= 0).all()
    assert (out["lo95"] <= out["lo80"]).all() and (out["lo80"] <= out["mean"]).all()
    assert (out["mean"] <= out["hi80"]).all() and (out["hi80"] <= out["hi95"]).all()
    assert np.all(np.diff(out[out["unique_id"] == out["unique_id"].iloc[0]]["ds"].to_numpy()) > 0)


def test_the_queue_forecaster_beats_seasonal_naive_and_the_last_value() -> None:
    history = synthetic_queues(series=6, hours=24 * 30, seed=5)
    scores = evaluate_queues(history, 24, origins=4, with_ets=False)
    assert scores.ratio("queue forecaster") < 0.9
    assert scores.mase["queue forecaster"] < scores.mase["last value"]
    assert 0.6 <= scores.coverage80 <= 0.97 and scores.coverage95 >= scores.coverage80


def test_the_forecast_command_forecasts_queues(tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    from engine.forecast import main

    path = tmp_path / "queues.csv"
    synthetic_queues(series=2, hours=24 * 20, seed=2).to_csv(path, index=False)
    assert main(["--history", str(path), "--kind", "queue", "--horizon", "6", "--json"]) == 0
    captured = capsys.readouterr()
    assert "filled by linear interpolation" in captured.err
    import json

    body = json.loads(captured.out)
    assert len(body["forecast"]) == 2 * 6 and len(body["input"]) == 2
