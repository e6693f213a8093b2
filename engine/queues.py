"""Forecasting queue lengths hour by hour (trucks waiting at a gate), and judging it.

Queue lengths are not arrivals: they persist (the last reading matters most), never go below
zero, and follow the day's rhythm of arrivals against the gate's capacity. The forecaster here
is built for that. For each series it computes four forecasts from the regular hourly history:

* ``last``: the last value, kept;
* ``seasonal``: the same hour yesterday (seasonal naive, 24 h);
* ``profile``: the typical day (the median of each hour over the last 14 days) with today's
  deviation from it carried forward and fading at the rate the history shows (an AR(1) on the
  deviations, fitted by least squares): ``p[h+k] + φ^k (y_t − p[h])``;
* ``delta``: the last value moved by the typical change between the hours: ``y_t + p[h+k] − p[h]``;

backtests each on the last ``BACKTEST_DAYS`` daily origins of the series itself, and forecasts
with the mean of the two with the smallest mean absolute error there. Forecasts are clipped at
zero; the 80 % and 95 % intervals are the backtest's absolute errors at each step ahead.

``evaluate_queues`` scores it by rolling origin against AutoETS out of the box, the last value
and the seasonal naive forecast, as MASE scaled by each series' in-sample seasonal naive error.
``synthetic_queues`` makes an evaluation set: M/M/c-like queues driven by daily arrival profiles
and capacity closures, read with about one hour in six missing.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

from engine.forecast import LEVELS, OUTPUT_COLUMNS, ForecastInputError, regularise

Array = npt.NDArray[np.float64]
SEASON = 24
PROFILE_DAYS = 14
BACKTEST_DAYS = 10


def _profile(y: Array, hours: npt.NDArray[np.int64]) -> Array:
    """The median of each hour of the day over the last ``PROFILE_DAYS`` days."""
    recent = slice(max(0, len(y) - PROFILE_DAYS * SEASON), len(y))
    out: Array = np.zeros(SEASON)
    for h in range(SEASON):
        values = y[recent][hours[recent] == h]
        out[h] = float(np.median(values)) if len(values) else float(np.median(y))
    return out


def _phi(y: Array, hours: npt.NDArray[np.int64], profile: Array) -> float:
    """How much of an hour's deviation from the typical day is left the next hour."""
    dev = y - profile[hours]
    a, b = dev[:-1], dev[1:]
    denominator = float(a @ a)
    return float(np.clip((a @ b) / denominator, 0.0, 0.999)) if denominator > 0 else 0.0


Candidate = Callable[[Array, npt.NDArray[np.int64], int], Array]


def _last(y: Array, hours: npt.NDArray[np.int64], horizon: int) -> Array:
    return np.full(horizon, y[-1])


def _seasonal(y: Array, hours: npt.NDArray[np.int64], horizon: int) -> Array:
    return np.resize(y[-SEASON:], horizon)


def _profile_ar(y: Array, hours: npt.NDArray[np.int64], horizon: int) -> Array:
    profile = _profile(y, hours)
    phi = _phi(y, hours, profile)
    ahead = (hours[-1] + 1 + np.arange(horizon)) % SEASON
    out: Array = profile[ahead] + phi ** np.arange(1, horizon + 1) * (y[-1] - profile[hours[-1]])
    return out


def _delta(y: Array, hours: npt.NDArray[np.int64], horizon: int) -> Array:
    profile = _profile(y, hours)
    ahead = (hours[-1] + 1 + np.arange(horizon)) % SEASON
    out: Array = y[-1] + profile[ahead] - profile[hours[-1]]
    return out


def _direct(y: Array, hours: npt.NDArray[np.int64], horizon: int) -> Array:
    """A regression per step ahead k on what is known at t: the last value, the last hour's
    change, the value 24 h before the target hour and the typical day at the target hour
    (least squares with a small ridge), fitted on the series' own history."""
    profile = _profile(y, hours)
    n = len(y)
    out: Array = np.empty(horizon)
    ahead_hours = (hours[-1] + 1 + np.arange(horizon)) % SEASON
    for k in range(1, horizon + 1):
        t = np.arange(SEASON, n - k)
        if len(t) < 2 * SEASON:
            out[k - 1] = y[-1]
            continue
        design = np.column_stack(
            [
                np.ones(len(t)),
                y[t],
                y[t] - y[t - 1],
                y[t + k - SEASON],
                profile[(hours[t] + k) % SEASON],
            ]
        )
        target = y[t + k]
        ridge = 1e-3 * np.eye(design.shape[1]) * float(design[:, 1] @ design[:, 1]) / len(t)
        coef = np.linalg.solve(design.T @ design + ridge, design.T @ target)
        now = np.array(
            [1.0, y[-1], y[-1] - y[-2], y[n - 1 + k - SEASON], profile[ahead_hours[k - 1]]]
        )
        out[k - 1] = float(now @ coef)
    return out


CANDIDATES: dict[str, Candidate] = {
    "direct": _direct,
    "last": _last,
    "seasonal": _seasonal,
    "profile": _profile_ar,
    "delta": _delta,
}


@dataclass
class Choice:
    models: tuple[str, ...]
    errors: Array  # backtest absolute errors of the chosen mean, [origin, step]


def _choose(y: Array, hours: npt.NDArray[np.int64], horizon: int) -> Choice:
    """Backtest every candidate on the last daily origins; keep the best two."""
    origins = [len(y) - horizon - k * SEASON for k in range(BACKTEST_DAYS)]
    origins = [o for o in origins if o >= 3 * SEASON]
    if not origins:
        return Choice(("last",), np.zeros((1, horizon)))
    made = {
        name: np.stack([run(y[:o], hours[:o], horizon) for o in origins])
        for name, run in CANDIDATES.items()
    }
    truth = np.stack([y[o : o + horizon] for o in origins])
    score = {name: float(np.mean(np.abs(f.clip(min=0) - truth))) for name, f in made.items()}
    best = tuple(sorted(score, key=lambda name: score[name])[:2])
    mean = np.mean([made[name] for name in best], axis=0).clip(min=0)
    return Choice(best, np.abs(mean - truth))


def queue_forecast(
    history: pd.DataFrame, horizon: int, max_gap: int = 6
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Hourly forecasts of queue lengths with intervals, and which models each series chose.

    ``history`` is long format (``unique_id, ds, y``), gappy or irregular as readings come:
    it is regularised first (:func:`engine.forecast.regularise`)."""
    frame, _report = regularise(history, "H", max_gap)
    rows, chosen = [], []
    for uid, group in frame.groupby("unique_id", sort=True):
        y = group["y"].to_numpy(dtype=float)
        stamps = pd.DatetimeIndex(group["ds"])
        hours = np.asarray(stamps.hour, dtype=np.int64)
        choice = _choose(y, hours, horizon)
        mean = np.mean([CANDIDATES[m](y, hours, horizon) for m in choice.models], axis=0)
        mean = mean.clip(min=0)
        future = pd.date_range(stamps[-1] + pd.Timedelta(hours=1), periods=horizon, freq="h")
        out = pd.DataFrame({"unique_id": uid, "ds": future, "mean": mean})
        # Interval half-widths: the backtest's absolute errors, pooled over neighbouring steps
        # ahead (a few days of origins are too few for a 95 % quantile at each step alone).
        pooled = [
            choice.errors[:, max(0, k - 2) : k + 3].ravel() for k in range(choice.errors.shape[1])
        ]
        for level in LEVELS:
            width = np.array([np.quantile(p, level / 100) for p in pooled])
            out[f"lo{level}"] = (mean - width).clip(min=0)
            out[f"hi{level}"] = mean + width
        rows.append(out)
        chosen.append({"unique_id": uid, "models": "+".join(choice.models)})
    return pd.concat(rows, ignore_index=True)[OUTPUT_COLUMNS], pd.DataFrame(chosen)


def synthetic_queues(
    series: int = 15, hours: int = 24 * 45, seed: int = 1, missing: float = 1 / 6
) -> pd.DataFrame:
    """Hourly queue lengths at land-border gates: Poisson arrivals on a daily profile (peaks in
    the morning and afternoon), a gate that clears only in its opening hours at a capacity that
    varies by day and is sometimes cut or closed, and readings that are missing about one hour
    in ``1 / missing`` and jittered by a few trucks."""
    rng = np.random.default_rng(seed)
    start = pd.Timestamp("2026-05-01")
    stamps = pd.date_range(start, periods=hours, freq="h")
    hour = np.asarray(stamps.hour)
    shape = 0.3 + np.exp(-((hour - 9) ** 2) / 8) + 0.8 * np.exp(-((hour - 15) ** 2) / 10)
    frames = []
    for s in range(series):
        level = rng.uniform(3, 30)  # trucks an hour at the peak
        # Most e-queue borders clear round the clock; Lạng Sơn's gates keep goods hours.
        if rng.random() < 0.6:
            open_from, open_to = 0, 24
            # Trucks registered for the e-queue come through the day more evenly.
            profile = 0.85 + 0.3 * (shape - shape.min()) / (shape.max() - shape.min())
        else:
            open_from, open_to = int(rng.integers(6, 9)), int(rng.integers(17, 23))
            profile = shape
        daily_capacity = (
            level * shape.sum() / 24 * 24 / (open_to - open_from) * rng.uniform(0.9, 1.15)
        )
        days = hours // 24 + 1
        factor = rng.uniform(0.8, 1.2, days)
        cut = rng.random(days) < 0.08
        factor[cut] *= rng.uniform(0.0, 0.4, cut.sum())
        queue = rng.uniform(10, 40) * level
        y = np.empty(hours)
        for t in range(hours):
            arrivals = rng.poisson(level * profile[t])
            capacity = (
                rng.poisson(daily_capacity * factor[t // 24])
                if open_from <= hour[t] < open_to
                else 0
            )
            queue = max(0.0, queue + arrivals - capacity)
            y[t] = queue
        seen = rng.random(hours) >= missing
        jitter = rng.normal(0, 0.05 * level, hours)
        frames.append(
            pd.DataFrame(
                {
                    "unique_id": f"queue-{s:02d}",
                    "ds": stamps[seen],
                    "y": np.maximum(0.0, np.round(y + jitter))[seen],
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


@dataclass
class QueueScores:
    origins: int
    mase: dict[str, float]
    coverage80: float
    coverage95: float
    seconds_per_origin: float

    def ratio(self, name: str) -> float:
        return self.mase[name] / self.mase["seasonal naive"]


def evaluate_queues(
    history: pd.DataFrame, horizon: int = 24, origins: int = 10, *, with_ets: bool = True
) -> QueueScores:
    """Rolling origins every 11 hours over the end of the history (so they fall at every time
    of day): MASE of the queue forecaster, AutoETS out of the box, the last value and the
    seasonal naive forecast on the same origins, and the forecaster's interval coverage."""
    frame, _report = regularise(history, "H")
    last = frame["ds"].max()
    cuts = [last - pd.Timedelta(hours=horizon - 1 + 11 * k) for k in range(origins)]
    totals: dict[str, list[Array]] = {
        "queue forecaster": [],
        "AutoETS": [],
        "last value": [],
        "seasonal naive": [],
    }
    inside80: list[Array] = []
    inside95: list[Array] = []
    seconds = []
    for cut in cuts:
        train = frame[frame["ds"] < cut]
        test = frame[(frame["ds"] >= cut) & (frame["ds"] < cut + pd.Timedelta(hours=horizon))]
        if train.groupby("unique_id").size().min() < 4 * SEASON:
            raise ForecastInputError("history too short for that many origins")
        started = time.perf_counter()
        ours, _chosen = queue_forecast(train, horizon)
        seconds.append(time.perf_counter() - started)
        scale = train.groupby("unique_id")["y"].apply(
            lambda s: float(np.mean(np.abs(s.to_numpy()[SEASON:] - s.to_numpy()[:-SEASON]))) or 1.0
        )
        merged = test.merge(ours, on=["unique_id", "ds"])
        baselines = _baselines(train, horizon, with_ets)
        merged = merged.merge(baselines, on=["unique_id", "ds"])
        denominator = merged["unique_id"].map(scale).to_numpy()
        truth = merged["y"].to_numpy()
        for name, column in (
            ("queue forecaster", "mean"),
            ("AutoETS", "ets"),
            ("last value", "last"),
            ("seasonal naive", "seasonal"),
        ):
            if column in merged:
                totals[name].append(np.abs(truth - merged[column].to_numpy()) / denominator)
        inside80.append(((truth >= merged["lo80"]) & (truth <= merged["hi80"])).to_numpy())
        inside95.append(((truth >= merged["lo95"]) & (truth <= merged["hi95"])).to_numpy())
    return QueueScores(
        origins=len(cuts),
        mase={k: float(np.mean(np.concatenate(v))) for k, v in totals.items() if v},
        coverage80=float(np.mean(np.concatenate(inside80))),
        coverage95=float(np.mean(np.concatenate(inside95))),
        seconds_per_origin=float(np.mean(seconds)),
    )


def _baselines(train: pd.DataFrame, horizon: int, with_ets: bool) -> pd.DataFrame:
    rows = []
    for uid, group in train.groupby("unique_id", sort=True):
        y = group["y"].to_numpy(dtype=float)
        future = pd.date_range(
            group["ds"].iloc[-1] + pd.Timedelta(hours=1), periods=horizon, freq="h"
        )
        rows.append(
            pd.DataFrame(
                {
                    "unique_id": uid,
                    "ds": future,
                    "last": np.full(horizon, y[-1]),
                    "seasonal": np.resize(y[-SEASON:], horizon),
                }
            )
        )
    out = pd.concat(rows, ignore_index=True)
    if with_ets:
        from statsforecast import StatsForecast
        from statsforecast.models import AutoETS

        sf = StatsForecast(models=[AutoETS(season_length=SEASON)], freq="h", n_jobs=1)
        ets = sf.forecast(df=train[["unique_id", "ds", "y"]], h=horizon)
        ets["unique_id"] = ets["unique_id"].astype(str)
        out = out.merge(
            ets.rename(columns={"AutoETS": "ets"})[["unique_id", "ds", "ets"]],
            on=["unique_id", "ds"],
        )
    return out
