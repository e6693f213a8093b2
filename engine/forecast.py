"""Forecasts of count series (trucks per day or per hour) and of the backlog they make.

The model is a holiday-adjusted exponential smoothing: per series, an ordinary least squares fit
on ``log(1 + y)`` estimates how much Tết / Spring Festival and the other public holidays of
Vietnam and China lower traffic (with weekday or hour-of-day dummies and a smooth trend, so the
effects are not confused with them). The series is divided by those effects, forecast with
statsforecast's ETS (additive errors, no trend, additive season of 7 days or 24 hours), and
multiplied back by the effects of the days ahead, intervals included. Input and output follow
statsforecast's long format: ``unique_id, ds, y`` in, ``unique_id, ds, mean, lo80, hi80, lo95,
hi95`` out. ``evaluate`` scores it against SeasonalNaive by rolling origin (MASE, coverage).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache
from typing import Any

import holidays as holiday_calendars
import numpy as np
import numpy.typing as npt
import pandas as pd
from statsforecast import StatsForecast
from statsforecast.models import AutoETS, SeasonalNaive

LEVELS = (80, 95)
FEATURES = ("tet", "vn_holiday", "cn_holiday")
OUTPUT_COLUMNS = ["unique_id", "ds", "mean", "lo80", "hi80", "lo95", "hi95"]


class ForecastInputError(ValueError):
    pass


@lru_cache(maxsize=32)
def _holiday_days(year: int) -> tuple[frozenset[date], frozenset[date], frozenset[date]]:
    vn = holiday_calendars.country_holidays("VN", years=year, language="en_US")
    cn = holiday_calendars.country_holidays("CN", years=year)
    new_year = next((d for d, n in sorted(vn.items()) if n == "Lunar New Year"), None)
    tet = frozenset(new_year + timedelta(days=k) for k in range(-3, 6)) if new_year else frozenset()
    return tet, frozenset(vn) - tet, frozenset(cn) - tet


def holiday_features(ds: pd.Series | pd.DatetimeIndex) -> pd.DataFrame:
    """Indicator columns: the Tết / Spring Festival window (eve-3 to the fifth day), other
    Vietnamese public holidays, other Chinese public holidays."""
    days = pd.DatetimeIndex(ds).date
    out = {name: np.zeros(len(days)) for name in FEATURES}
    for k, day in enumerate(days):
        tet, vn, cn = _holiday_days(day.year)
        out["tet"][k] = day in tet
        out["vn_holiday"][k] = day in vn
        out["cn_holiday"][k] = day in cn
    return pd.DataFrame(out)


def _season(freq: str) -> int:
    return 24 if freq == "h" else 7


def _effects(group: pd.DataFrame, freq: str) -> npt.NDArray[np.float64]:
    """Holiday coefficients on the log scale for one series."""
    x = holiday_features(group["ds"]).to_numpy()
    stamps = pd.DatetimeIndex(group["ds"])
    season = stamps.hour if freq == "h" else stamps.dayofweek
    dummies = np.eye(_season(freq))[np.asarray(season)]
    t = np.arange(len(group)) / max(1, len(group))
    design = np.column_stack([dummies, t, t**2, x])
    coef, *_ = np.linalg.lstsq(design, np.log1p(group["y"].to_numpy(dtype=float)), rcond=None)
    effects: npt.NDArray[np.float64] = np.where(x.any(axis=0), coef[-len(FEATURES) :], 0.0)
    return effects


#: Gaps of up to this many periods are filled (linear interpolation); longer ones cut the
#: history there (``--max-gap``).
MAX_GAP = 6


def _columns(df: pd.DataFrame) -> pd.DataFrame:
    """The three columns, typed; raise naming the column, or the row and value at fault."""
    missing = [c for c in ("unique_id", "ds", "y") if c not in df.columns]
    if missing:
        raise ForecastInputError(f"missing column(s): {', '.join(missing)} (need unique_id,ds,y)")
    out = df[["unique_id", "ds", "y"]].copy()
    out["unique_id"] = out["unique_id"].astype(str)
    ds = pd.to_datetime(out["ds"], errors="coerce", format="ISO8601")
    if ds.isna().any():
        row = int(np.flatnonzero(ds.isna())[0])
        raise ForecastInputError(f"row {row + 2}: ds {df['ds'].iloc[row]!r} is not a date or time")
    if getattr(ds.dt, "tz", None) is not None:
        ds = ds.dt.tz_localize(None)
    out["ds"] = ds
    y = pd.to_numeric(out["y"], errors="coerce")
    if y.isna().any() or (y < 0).any():
        row = int(np.flatnonzero(y.isna() | (y < 0))[0])
        raise ForecastInputError(f"row {row + 2}: y {df['y'].iloc[row]!r} must be a count ≥ 0")
    out["y"] = y.astype(float)
    return out


def regularise(
    df: pd.DataFrame, freq: str, max_gap: int = MAX_GAP
) -> tuple[pd.DataFrame, list[dict[str, Any]]]:
    """One value per period for every usable series, and what was done to each.

    Readings are put in their period (the hour or day they fall in) and averaged there, so
    duplicates and readings off the hour (every 30 minutes, at 10:07) become one value. Runs of
    up to ``max_gap`` missing periods are filled by linear interpolation between the readings
    around them. A longer gap cuts the history: only the part after the last long gap is kept.
    A series left shorter than three seasons is skipped. The report says, per series, how many
    readings there were, how many periods were averaged from several, how many were filled,
    where the history was cut and why a series was skipped.
    """
    freq = "h" if freq.upper() == "H" else "D"
    frame = _columns(df)
    step = pd.Timedelta(hours=1) if freq == "h" else pd.Timedelta(days=1)
    unit = "hour" if freq == "h" else "day"
    frame["period"] = frame["ds"].dt.floor("h" if freq == "h" else "D")
    kept: list[pd.DataFrame] = []
    report: list[dict[str, Any]] = []
    for uid, group in frame.groupby("unique_id", sort=True):
        counts = group.groupby("period")["y"].agg(["mean", "size"])
        row: dict[str, Any] = {
            "unique_id": uid,
            "readings": len(group),
            "off_period": int((group["ds"] != group["period"]).sum()),
            "averaged": int((counts["size"] > 1).sum()),
            "filled": 0,
            "cut_before": None,
            "skipped": None,
        }
        full = pd.date_range(counts.index.min(), counts.index.max(), freq=step)
        values = counts["mean"].reindex(full)
        missing = values.isna().to_numpy()
        # Runs of missing periods: a long one cuts the history after it.
        run_id = np.cumsum(~missing)
        lengths = pd.Series(missing).groupby(run_id).transform("sum").to_numpy()
        long_gap = missing & (lengths > max_gap)
        if long_gap.any():
            last = int(np.flatnonzero(long_gap)[-1])
            row["cut_before"] = str(full[last + 1])
            values = values.iloc[last + 1 :]
            missing = missing[last + 1 :]
        row["filled"] = int(missing.sum())
        values = values.interpolate(method="linear", limit_area="inside")
        row["periods"] = len(values)
        need = 3 * _season(freq)
        if len(values) < need:
            row["skipped"] = f"{len(values)} {unit}s of usable history; needs at least {need}"
        else:
            kept.append(
                pd.DataFrame({"unique_id": uid, "ds": values.index, "y": values.to_numpy()})
            )
        report.append(row)
    if not kept:
        reasons = "; ".join(f"series {r['unique_id']}: {r['skipped']}" for r in report)
        raise ForecastInputError(reasons or "no series")
    out = pd.concat(kept, ignore_index=True)
    return out.sort_values(["unique_id", "ds"]).reset_index(drop=True), report


def describe(report: Sequence[dict[str, Any]], freq: str = "D") -> list[str]:
    """The report in words, one line per series that was changed or skipped."""
    unit = "hour" if freq.upper() == "H" else "day"
    lines = []
    for r in report:
        done = []
        if r["averaged"]:
            done.append(f"{r['averaged']} {unit}s averaged from several readings")
        if r["off_period"]:
            done.append(f"{r['off_period']} readings off the {unit} put in their {unit}")
        if r["filled"]:
            done.append(f"{r['filled']} missing {unit}s filled by linear interpolation")
        if r["cut_before"]:
            done.append(f"history before {r['cut_before']} dropped (a gap longer than allowed)")
        if r["skipped"]:
            done.append(f"skipped: {r['skipped']}")
        if done:
            lines.append(f"series {r['unique_id']}: " + "; ".join(done))
    return lines


def validate(df: pd.DataFrame, freq: str) -> pd.DataFrame:
    """A history ready to forecast: regularised (:func:`regularise`), usable series only."""
    return regularise(df, freq)[0]


def forecast(
    history: pd.DataFrame, horizon: int, freq: str = "D", max_gap: int = MAX_GAP
) -> pd.DataFrame:
    """Point forecasts with 80 % and 95 % intervals for every usable series of ``history``."""
    return forecast_with_report(history, horizon, freq, max_gap)[0]


def forecast_with_report(
    history: pd.DataFrame, horizon: int, freq: str = "D", max_gap: int = MAX_GAP
) -> tuple[pd.DataFrame, list[dict[str, Any]]]:
    """:func:`forecast`, and what :func:`regularise` did to each series."""
    freq = "h" if freq.upper() == "H" else "D"
    history, report = regularise(history, freq, max_gap)
    step = pd.Timedelta(hours=1) if freq == "h" else pd.Timedelta(days=1)
    adjusted, factors = [], []
    for uid, group in history.groupby("unique_id", sort=False):
        beta = _effects(group, freq)
        x = holiday_features(group["ds"]).to_numpy()
        adjusted.append(
            pd.DataFrame(
                {
                    "unique_id": uid,
                    "ds": group["ds"].to_numpy(),
                    "y": group["y"].to_numpy() * np.exp(-x @ beta),
                }
            )
        )
        future = pd.date_range(group["ds"].iloc[-1] + step, periods=horizon, freq=step)
        factor = np.exp(holiday_features(future).to_numpy() @ beta)
        factors.append(pd.DataFrame({"unique_id": uid, "ds": future, "factor": factor}))
    model = AutoETS(season_length=_season(freq), model="ANA")
    sf = StatsForecast(models=[model], freq=freq, n_jobs=1)
    raw = sf.forecast(df=pd.concat(adjusted), h=horizon, level=list(LEVELS))
    raw["unique_id"] = raw["unique_id"].astype(str)
    merged = raw.merge(pd.concat(factors), on=["unique_id", "ds"], how="left")
    out = pd.DataFrame({"unique_id": merged["unique_id"], "ds": merged["ds"]})
    out["mean"] = merged["AutoETS"] * merged["factor"]
    for level in LEVELS:
        out[f"lo{level}"] = (merged[f"AutoETS-lo-{level}"] * merged["factor"]).clip(lower=0)
        out[f"hi{level}"] = merged[f"AutoETS-hi-{level}"] * merged["factor"]
    out["mean"] = out["mean"].clip(lower=0)
    return out[OUTPUT_COLUMNS], report


def seasonal_naive(history: pd.DataFrame, horizon: int, freq: str = "D") -> pd.DataFrame:
    freq = "h" if freq.upper() == "H" else "D"
    sf = StatsForecast(models=[SeasonalNaive(season_length=_season(freq))], freq=freq, n_jobs=1)
    raw = sf.forecast(df=history[["unique_id", "ds", "y"]], h=horizon)
    raw["unique_id"] = raw["unique_id"].astype(str)
    return raw.rename(columns={"SeasonalNaive": "mean"})[["unique_id", "ds", "mean"]]


@dataclass
class Evaluation:
    windows: int
    mase: float
    mase_seasonal_naive: float
    coverage80: float
    coverage95: float
    fit_seconds_per_window: float
    #: On the same origins, when asked for: statsforecast's AutoETS out of the box, last value.
    mase_autoets: float | None = None
    mase_last_value: float | None = None

    @property
    def mase_ratio(self) -> float:
        return self.mase / self.mase_seasonal_naive

    def as_dict(self) -> dict[str, float]:
        return {
            "windows": self.windows,
            "mase": round(self.mase, 4),
            "mase_seasonal_naive": round(self.mase_seasonal_naive, 4),
            "mase_ratio": round(self.mase_ratio, 4),
            "coverage80": round(self.coverage80, 4),
            "coverage95": round(self.coverage95, 4),
            "fit_seconds_per_window": round(self.fit_seconds_per_window, 3),
        }


def evaluate(
    history: pd.DataFrame,
    horizon: int,
    *,
    windows: int = 8,
    freq: str = "D",
    baselines: bool = False,
) -> Evaluation:
    """Rolling origin: forecast ``horizon`` ahead from ``windows`` cut-offs spread over the last
    part of the history; MASE scaled by each series' in-sample seasonal naive error."""
    freq_code = "h" if freq.upper() == "H" else "D"
    history = validate(history, freq_code)
    stamps = np.sort(history["ds"].unique())
    season = _season(freq_code)
    span = min(len(stamps) - 3 * season - horizon, windows * horizon * 2)
    if span < windows:
        raise ForecastInputError("history too short for that many evaluation windows")
    cut_positions = np.linspace(
        len(stamps) - horizon - span, len(stamps) - horizon, windows
    ).astype(int)
    errors_model, errors_naive, inside80, inside95, seconds = [], [], [], [], []
    errors_ets: list[npt.NDArray[np.float64]] = []
    errors_last: list[npt.NDArray[np.float64]] = []
    for pos in cut_positions:
        cut = stamps[pos]
        train = history[history["ds"] < cut]
        test = history[(history["ds"] >= cut) & (history["ds"] <= stamps[pos + horizon - 1])]
        started = time.perf_counter()
        model = forecast(train, horizon, freq_code)
        seconds.append(time.perf_counter() - started)
        naive = seasonal_naive(train, horizon, freq_code)
        scale = train.groupby("unique_id")["y"].apply(
            lambda s: float(np.mean(np.abs(s.to_numpy()[season:] - s.to_numpy()[:-season]))) or 1.0
        )
        merged = test.merge(model, on=["unique_id", "ds"]).merge(
            naive, on=["unique_id", "ds"], suffixes=("", "_naive")
        )
        denominator = merged["unique_id"].map(scale)
        errors_model.append((np.abs(merged["y"] - merged["mean"]) / denominator).to_numpy())
        errors_naive.append((np.abs(merged["y"] - merged["mean_naive"]) / denominator).to_numpy())
        inside80.append(
            ((merged["y"] >= merged["lo80"]) & (merged["y"] <= merged["hi80"])).to_numpy()
        )
        inside95.append(
            ((merged["y"] >= merged["lo95"]) & (merged["y"] <= merged["hi95"])).to_numpy()
        )
        if baselines:
            sf = StatsForecast(models=[AutoETS(season_length=season)], freq=freq_code, n_jobs=1)
            ets = sf.forecast(df=train[["unique_id", "ds", "y"]], h=horizon)
            ets["unique_id"] = ets["unique_id"].astype(str)
            last = train.groupby("unique_id")["y"].last()
            both = merged.merge(ets[["unique_id", "ds", "AutoETS"]], on=["unique_id", "ds"])
            scale_both = both["unique_id"].map(scale)
            errors_ets.append((np.abs(both["y"] - both["AutoETS"]) / scale_both).to_numpy())
            errors_last.append(
                (np.abs(both["y"] - both["unique_id"].map(last)) / scale_both).to_numpy()
            )
    return Evaluation(
        windows=windows,
        mase=float(np.mean(np.concatenate(errors_model))),
        mase_seasonal_naive=float(np.mean(np.concatenate(errors_naive))),
        coverage80=float(np.mean(np.concatenate(inside80))),
        coverage95=float(np.mean(np.concatenate(inside95))),
        fit_seconds_per_window=float(np.mean(seconds)),
        mase_autoets=float(np.mean(np.concatenate(errors_ets))) if errors_ets else None,
        mase_last_value=float(np.mean(np.concatenate(errors_last))) if errors_last else None,
    )


def synthetic_arrivals(
    series: int = 50, start: str = "2024-01-01", days: int = 731, seed: int = 1
) -> pd.DataFrame:
    """Daily truck arrivals with a weekly pattern, drift, Tết and both countries' holidays."""
    rng = np.random.default_rng(seed)
    ds = pd.date_range(start, periods=days, freq="D")
    x = holiday_features(ds)
    weekly = np.array([1.03, 1.04, 1.04, 1.03, 1.02, 0.97, 0.87])
    frames = []
    for s in range(series):
        level = rng.uniform(30, 900)
        drift = np.linspace(0, rng.uniform(-0.1, 0.2), days)
        mean = (
            level
            * (1 + drift)
            * weekly[ds.dayofweek]
            * (1 - 0.9 * x["tet"].to_numpy())
            * (1 - 0.3 * x["vn_holiday"].to_numpy())
            * (1 - 0.25 * x["cn_holiday"].to_numpy())
        )
        y = rng.poisson(mean * np.exp(rng.normal(0, 0.05, days)))
        frames.append(pd.DataFrame({"unique_id": f"gate-{s:02d}", "ds": ds, "y": y.astype(float)}))
    return pd.concat(frames, ignore_index=True)


@dataclass
class Backlog:
    days: list[str]
    p10: list[float]
    p50: list[float]
    p90: list[float]
    prob_full: list[float]
    first_day_likely_full: str | None


@dataclass(frozen=True)
class BacklogLane:
    """One direction of a shared yard: its arrivals forecast, what it clears each day, and the
    trucks of it waiting now."""

    forecast_rows: pd.DataFrame
    capacity_per_day: Sequence[float]
    initial_queue: int


def backlog(
    forecast_rows: pd.DataFrame,
    capacity_per_day: Sequence[float],
    *,
    initial_queue: int,
    yard_capacity: int,
    paths: int = 2000,
    seed: int = 7,
    leave_rate: float = 0.0,
) -> Backlog:
    """Sample paths of daily arrivals from one series' forecast through a capacity plan.

    Each day's arrivals are drawn from a normal law matched to the 80 % interval, truncated at
    zero; the queue follows ``Q = max(0, Q + arrivals - capacity)``. Days are drawn
    independently, which understates the spread of long runs of high or low traffic.
    ``leave_rate`` is the chance that a truck still waiting at the end of a day gives up
    before the next (sold at home, sent by rail or a port): each path draws its leavers
    binomially.
    """
    return shared_backlog(
        [BacklogLane(forecast_rows, capacity_per_day, initial_queue)],
        yard_capacity=yard_capacity,
        paths=paths,
        seed=seed,
        leave_rate=leave_rate,
    )


def shared_backlog(
    lanes: Sequence[BacklogLane],
    *,
    yard_capacity: int,
    paths: int = 2000,
    seed: int = 7,
    leave_rate: float = 0.0,
) -> Backlog:
    """:func:`backlog` for a yard shared by several lanes (entry and exit): each lane queues
    for its own capacity, and the yard holds their sum on each sampled path, so the
    percentiles and the chance of a full yard are those of the total, not sums of each lane's
    (a lane's idle capacity cannot serve the other)."""
    if not lanes:
        raise ForecastInputError("give at least one lane")
    if not 0 <= leave_rate < 1:
        raise ForecastInputError("leave_rate is a daily probability, from 0 to below 1")
    ordered = [lane.forecast_rows.sort_values("ds") for lane in lanes]
    days = [str(pd.Timestamp(d).date()) for d in ordered[0]["ds"]]
    for lane, rows in zip(lanes, ordered, strict=True):
        if len(lane.capacity_per_day) != len(rows):
            raise ForecastInputError("give one capacity per forecast day")
        if [str(pd.Timestamp(d).date()) for d in rows["ds"]] != days:
            raise ForecastInputError("every lane of a yard forecasts the same days")
    rng = np.random.default_rng(seed)
    draws = []
    for rows in ordered:
        sigma = np.maximum((rows["hi80"] - rows["lo80"]).to_numpy() / (2 * 1.2816), 1e-9)
        draws.append(
            np.maximum(0.0, rng.normal(rows["mean"].to_numpy(), sigma, size=(paths, len(rows))))
        )
    queues = [np.full(paths, float(lane.initial_queue)) for lane in lanes]
    levels = np.zeros((paths, len(days)))
    for d in range(len(days)):
        for k, lane in enumerate(lanes):
            queue = np.maximum(0.0, queues[k] + np.round(draws[k][:, d]) - lane.capacity_per_day[d])
            if leave_rate:
                queue = queue - rng.binomial(queue.astype(np.int64), leave_rate)
            queues[k] = queue
            levels[:, d] += queue
    full = (levels >= yard_capacity).mean(axis=0)
    likely = np.flatnonzero(full >= 0.5)
    return Backlog(
        days=days,
        p10=np.percentile(levels, 10, axis=0).round(1).tolist(),
        p50=np.percentile(levels, 50, axis=0).round(1).tolist(),
        p90=np.percentile(levels, 90, axis=0).round(1).tolist(),
        prob_full=full.round(3).tolist(),
        first_day_likely_full=days[int(likely[0])] if len(likely) else None,
    )


def main(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="cuakhau forecast",
        description="Forecast count series in long format (unique_id,ds,y).",
    )
    parser.add_argument("--history", required=True, help="CSV with unique_id,ds,y")
    parser.add_argument("--horizon", type=int, default=14)
    parser.add_argument("--freq", choices=["D", "H"], default="D")
    parser.add_argument("--json", action="store_true")
    parser.add_argument(
        "--kind",
        choices=["arrivals", "queue"],
        default="arrivals",
        help="arrivals: counts per day or hour (holiday-adjusted ETS); queue: trucks waiting, "
        "hour by hour (engine.queues, implies --freq H)",
    )
    parser.add_argument("--evaluate", action="store_true", help="print rolling-origin scores")
    parser.add_argument("--windows", type=int, default=8)
    parser.add_argument(
        "--max-gap",
        type=int,
        default=MAX_GAP,
        help=f"fill gaps of up to this many periods (default {MAX_GAP}); a longer gap cuts "
        "the history there",
    )
    args = parser.parse_args(argv)
    if not 0 <= args.max_gap <= 10_000:
        print("error: --max-gap must be from 0 to 10000", file=sys.stderr)
        return 2
    if not 1 <= args.horizon <= 366:
        print("error: --horizon must be from 1 to 366", file=sys.stderr)
        return 2
    try:
        history = pd.read_csv(args.history)
    except (OSError, ValueError) as exc:
        print(f"error: cannot read {args.history}: {exc}", file=sys.stderr)
        return 2
    try:
        if args.evaluate:
            scores = evaluate(history, args.horizon, windows=args.windows, freq=args.freq).as_dict()
            if args.json:
                json.dump(scores, sys.stdout)
                sys.stdout.write("\n")
            else:
                for key, value in scores.items():
                    print(f"{key:<24} {value}")
            return 0
        if args.kind == "queue":
            from engine.queues import queue_forecast

            args.freq = "H"
            _frame, report = regularise(history, "H", args.max_gap)
            result, _chosen = queue_forecast(history, args.horizon, args.max_gap)
        else:
            result, report = forecast_with_report(history, args.horizon, args.freq, args.max_gap)
    except ForecastInputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    for line in describe(report, args.freq):
        print(line, file=sys.stderr)
    if args.json:
        records: list[dict[str, Any]] = json.loads(
            result.to_json(orient="records", date_format="iso")
        )
        json.dump({"forecast": records, "input": report}, sys.stdout)
        sys.stdout.write("\n")
    else:
        result.to_csv(sys.stdout, index=False, float_format="%.3f")
    return 0
