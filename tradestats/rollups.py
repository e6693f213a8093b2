"""Keeping the rollups (``tradestats.models``) up to date: a crossing adds its trip; a bulk
import adds the ones that crossed; ``rebuild`` recomputes everything from the trips (after the
demo's fees, or to check the rollups)."""

from __future__ import annotations

from bisect import bisect_right
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F, Sum
from django.utils import timezone

from fees.choices import ChargeKind, ChargeStatus
from fees.models import Charge
from shipments.choices import TruckState
from shipments.models import Declaration, GoodsLine, StateChange
from tradestats.models import TradeClearance, TradeDay, TradeMonth

#: Upper edges (hours) of the time-to-clear buckets; the last bucket is open.
CLEAR_EDGES: tuple[float, ...] = (
    0.25, 0.5, 0.75, 1, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10, 12, 16, 20, 24, 36, 48, 72, 120, 168,
)  # fmt: skip
CROSSED = (TruckState.CROSSED, TruckState.RETURNED)
_CHUNK = 5000


def bucket_of(hours: float) -> int:
    return bisect_right(CLEAR_EDGES, hours)


@dataclass
class _Sums:
    trips: int = 0
    perishable_trips: int = 0
    weight_kg: Decimal = Decimal(0)
    value_usd: Decimal = Decimal(0)
    fees_vnd: int = 0

    def add(self, other: _Sums) -> None:
        self.trips += other.trips
        self.perishable_trips += other.perishable_trips
        self.weight_kg += other.weight_kg
        self.value_usd += other.value_usd
        self.fees_vnd += other.fees_vnd


@dataclass
class _Batch:
    months: dict[tuple[Any, ...], _Sums] = field(default_factory=lambda: defaultdict(_Sums))
    days: dict[tuple[Any, ...], _Sums] = field(default_factory=lambda: defaultdict(_Sums))
    clearance: dict[tuple[Any, ...], int] = field(default_factory=lambda: defaultdict(int))


def _contributions(ids: Sequence[int]) -> _Batch:
    """What the crossed trips among ``ids`` add to each rollup cell."""
    batch = _Batch()
    tz = timezone.get_current_timezone()
    for start in range(0, len(ids), _CHUNK):
        chunk = list(ids[start : start + _CHUNK])
        trips = {
            row["pk"]: row
            for row in Declaration.objects.filter(pk__in=chunk, state__in=CROSSED).values(
                "pk",
                "gate_id",
                "route__code",
                "flow",
                "direction",
                "enterprise_id",
                "perishable",
            )
        }
        if not trips:
            continue
        moments: dict[int, dict[str, datetime]] = defaultdict(dict)
        for declaration_id, to_state, at in StateChange.objects.filter(
            declaration_id__in=trips,
            to_state__in=(TruckState.ARRIVED, TruckState.CLEARED, TruckState.CROSSED),
        ).values_list("declaration_id", "to_state", "at"):
            moments[declaration_id][to_state] = at
        goods: dict[int, list[tuple[Decimal, Decimal, str]]] = defaultdict(list)
        for declaration_id, value, weight, heading in GoodsLine.objects.filter(
            declaration_id__in=trips
        ).values_list("declaration_id", "value_usd", "weight_kg", "hs_heading"):
            goods[declaration_id].append((value, weight, heading))
        fees = dict(
            Charge.objects.filter(
                declaration_id__in=trips,
                kind=ChargeKind.INFRASTRUCTURE,
                status=ChargeStatus.OPEN,
            )
            .values("declaration_id")
            .annotate(total=Sum("amount_vnd"))
            .values_list("declaration_id", "total")
        )
        for pk, trip in trips.items():
            crossed = moments[pk].get(TruckState.CROSSED)
            lines = goods.get(pk)
            if crossed is None or not lines:
                continue
            day = crossed.astimezone(tz).date()
            month = day.replace(day=1)
            # The main commodity: the line of highest declared value (first on a tie).
            heading = max(lines, key=lambda line: line[0])[2]
            sums = _Sums(
                trips=1,
                perishable_trips=int(trip["perishable"]),
                weight_kg=sum((w for _v, w, _h in lines), Decimal(0)),
                value_usd=sum((v for v, _w, _h in lines), Decimal(0)),
                fees_vnd=int(fees.get(pk) or 0),
            )
            route = trip["route__code"] or ""
            cell = (month, trip["gate_id"], route, trip["flow"], trip["direction"])
            batch.months[(*cell, heading, trip["enterprise_id"])].add(sums)
            batch.days[(day, trip["gate_id"], trip["flow"], trip["enterprise_id"])].add(sums)
            arrived, cleared = (
                moments[pk].get(TruckState.ARRIVED),
                moments[pk].get(TruckState.CLEARED),
            )
            if arrived is not None and cleared is not None and cleared >= arrived:
                hours = (cleared - arrived).total_seconds() / 3600
                batch.clearance[(*cell, heading, bucket_of(hours))] += 1
    return batch


_MONTH_KEYS = ("month", "gate_id", "route", "flow", "direction", "hs_heading", "enterprise_id")
_CLEAR_KEYS = ("month", "gate_id", "route", "flow", "direction", "hs_heading", "bucket")
_DAY_KEYS = ("day", "gate_id", "flow", "enterprise_id")


def _apply(batch: _Batch) -> None:
    """Add the batch to the rollups: existing cells are incremented in the database (F()),
    new ones created; the caller holds the transaction."""
    for model, keys, cells in (
        (TradeMonth, _MONTH_KEYS, batch.months),
        (TradeDay, _DAY_KEYS, batch.days),
    ):
        for key, sums in cells.items():
            lookup = dict(zip(keys, key, strict=True))
            values = {
                "trips": sums.trips,
                "perishable_trips": sums.perishable_trips,
                "weight_kg": sums.weight_kg,
                "value_usd": sums.value_usd,
            }
            if model is TradeMonth:
                values["fees_vnd"] = sums.fees_vnd
            _increment(model, lookup, values)
    for key, trips in batch.clearance.items():
        _increment(TradeClearance, dict(zip(_CLEAR_KEYS, key, strict=True)), {"trips": trips})


def _increment(model: Any, lookup: dict[str, Any], values: dict[str, Any]) -> None:
    """Add ``values`` to the cell, creating it if missing. Two crossings creating the same cell
    at once: the second insert waits for the first and fails on the unique cell; it then adds."""
    increments = {name: F(name) + value for name, value in values.items()}
    if model.objects.filter(**lookup).update(**increments):
        return
    try:
        with transaction.atomic():
            model.objects.create(**lookup, **values)
    except IntegrityError:
        model.objects.filter(**lookup).update(**increments)


def add_crossed(ids: Sequence[int]) -> None:
    """Count the trips among ``ids`` that have crossed (a bulk import of history)."""
    with transaction.atomic():
        _apply(_contributions(ids))


def on_cross(declaration: Declaration, move: object, actor: object) -> None:
    """Lifecycle effect: the truck crossed, inside the crossing's transaction."""
    _apply(_contributions([declaration.pk]))


def _bulk(batch: _Batch) -> None:
    TradeMonth.objects.bulk_create(
        [
            TradeMonth(**dict(zip(_MONTH_KEYS, key, strict=True)), **vars(sums))
            for key, sums in batch.months.items()
        ],
        batch_size=_CHUNK,
    )
    TradeDay.objects.bulk_create(
        [
            TradeDay(
                **dict(zip(_DAY_KEYS, key, strict=True)),
                **{k: v for k, v in vars(sums).items() if k != "fees_vnd"},
            )
            for key, sums in batch.days.items()
        ],
        batch_size=_CHUNK,
    )
    TradeClearance.objects.bulk_create(
        [
            TradeClearance(**dict(zip(_CLEAR_KEYS, key, strict=True)), trips=trips)
            for key, trips in batch.clearance.items()
        ],
        batch_size=_CHUNK,
    )


def rebuild() -> int:
    """Recompute the rollups from the trips that crossed; returns the trips counted."""
    ids = list(
        Declaration.objects.filter(state__in=CROSSED).order_by("pk").values_list("pk", flat=True)
    )
    with transaction.atomic():
        TradeMonth.objects.all().delete()
        TradeDay.objects.all().delete()
        TradeClearance.objects.all().delete()
        total = _Batch()
        for start in range(0, len(ids), _CHUNK * 4):
            part = _contributions(ids[start : start + _CHUNK * 4])
            for key, sums in part.months.items():
                total.months[key].add(sums)
            for key, sums in part.days.items():
                total.days[key].add(sums)
            for key, trips in part.clearance.items():
                total.clearance[key] += trips
        _bulk(total)
    return sum(s.trips for s in total.months.values())
