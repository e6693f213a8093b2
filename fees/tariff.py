"""The infrastructure-use fee of one trip, from a fee table: pure functions, no Django.

A table (:class:`Table`) is what a schedule in force on the trip's day says: tonnage bands, per-
trip rates by regime, goods group and vehicle class, multipliers, the cap, and any dated
reductions. :func:`assess` returns the amount with every step that produced it, so an assessment
can be explained line by line and replayed later:

1. the vehicle class: the container size when the goods travel in one, otherwise the tonnage band;
2. for each goods group on board, the rate for (regime, goods group, vehicle class) times every
   multiplier whose conditions hold (ore export ×5, inland delivery ×1.3, wharf transfer ×0.3);
3. a mixed load pays the highest of those;
4. at most the cap per trip;
5. less the largest reduction in force that day (reductions never compound);
6. rounded to the đồng.

All amounts are whole VND; factors and percentages are ``Decimal`` so nothing drifts.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

CONTAINER_CLASSES = ("20ft", "40ft")


class NoRate(Exception):
    """No rate of the table covers a goods group of the trip: the board must set one."""

    def __init__(self, missing: Sequence[tuple[str, str, str]]) -> None:
        super().__init__(", ".join("/".join(key) for key in missing))
        self.missing = tuple(missing)


def band_codes(limits_kg: Sequence[int]) -> list[str]:
    """Codes of the tonnage bands cut at ``limits_kg``: ``0-2000``, ``2000-4000``, …, ``18000+``."""
    bounds = [0, *limits_kg]
    codes = [f"{lo}-{hi}" for lo, hi in itertools.pairwise(bounds)]
    return [*codes, f"{bounds[-1]}+"]


def vehicle_class(*, container: str, tonnage_kg: Decimal, limits_kg: Sequence[int]) -> str:
    """The class a trip is charged as: its container size, or the band its tonnage falls in."""
    if container:
        if container not in CONTAINER_CLASSES:
            raise ValueError(f"unknown container size {container!r}")
        return container
    if tonnage_kg < 0:
        raise ValueError("tonnage cannot be negative")
    codes = band_codes(limits_kg)
    for code, limit in zip(codes, limits_kg, strict=False):
        if tonnage_kg < limit:
            return code
    return codes[-1]


@dataclass(frozen=True)
class Rate:
    id: int
    directions: frozenset[str]
    goods_groups: frozenset[str]
    vehicle_class: str
    amount_vnd: int
    confirmed: bool = True

    def covers(self, direction: str, goods_group: str, klass: str) -> bool:
        return (
            direction in self.directions
            and goods_group in self.goods_groups
            and klass == self.vehicle_class
        )


@dataclass(frozen=True)
class Multiplier:
    """A factor applied when every non-empty condition holds (empty means any)."""

    id: int
    code: str
    factor: Decimal
    directions: frozenset[str] = frozenset()
    goods_groups: frozenset[str] = frozenset()
    deliveries: frozenset[str] = frozenset()

    def applies(self, direction: str, goods_group: str, delivery: str) -> bool:
        return (
            (not self.directions or direction in self.directions)
            and (not self.goods_groups or goods_group in self.goods_groups)
            and (not self.deliveries or delivery in self.deliveries)
        )


@dataclass(frozen=True)
class Reduction:
    """A percentage off for trips on days ``valid_from``..``valid_to`` (inclusive)."""

    id: int
    code: str
    percent: Decimal
    valid_from: date
    valid_to: date | None = None
    directions: frozenset[str] = frozenset()
    goods_groups: frozenset[str] = frozenset()

    def applies(self, day: date, direction: str, goods_group: str) -> bool:
        return (
            self.valid_from <= day
            and (self.valid_to is None or day <= self.valid_to)
            and (not self.directions or direction in self.directions)
            and (not self.goods_groups or goods_group in self.goods_groups)
        )


@dataclass(frozen=True)
class Table:
    schedule_id: int
    cap_vnd: int
    band_limits_kg: tuple[int, ...]
    rates: tuple[Rate, ...]
    multipliers: tuple[Multiplier, ...] = ()
    reductions: tuple[Reduction, ...] = ()


@dataclass(frozen=True)
class Trip:
    day: date
    direction: str
    delivery: str
    container: str
    tonnage_kg: Decimal
    goods_groups: frozenset[str]
    #: Declared customs value per goods group (any currency, the same for all). A mixed load
    #: pays the rate of the group of highest value; without values, of the highest rate.
    group_values: tuple[tuple[str, Decimal], ...] = ()


@dataclass(frozen=True)
class Candidate:
    """What one goods group of the load would pay: the rate and the factors on it."""

    goods_group: str
    rate_id: int
    base_vnd: int
    multiplier_ids: tuple[int, ...]
    factor: Decimal
    amount: Decimal
    confirmed: bool


@dataclass(frozen=True)
class Result:
    vehicle_class: str
    candidates: tuple[Candidate, ...]
    chosen: Candidate
    before_cap: Decimal
    capped: bool
    reduction_id: int | None
    reduction_percent: Decimal
    amount_vnd: int
    confirmed: bool = field(default=True)


def _round_vnd(amount: Decimal) -> int:
    return int(amount.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def assess(table: Table, trip: Trip) -> Result:
    """The fee of ``trip`` under ``table``; raises :class:`NoRate` when a group has no rate."""
    if not trip.goods_groups:
        raise ValueError("a trip carries at least one goods group")
    klass = vehicle_class(
        container=trip.container, tonnage_kg=trip.tonnage_kg, limits_kg=table.band_limits_kg
    )
    candidates: list[Candidate] = []
    missing: list[tuple[str, str, str]] = []
    for group in sorted(trip.goods_groups):
        rate = next((r for r in table.rates if r.covers(trip.direction, group, klass)), None)
        if rate is None:
            missing.append((trip.direction, group, klass))
            continue
        applied = [m for m in table.multipliers if m.applies(trip.direction, group, trip.delivery)]
        factor = Decimal(1)
        for multiplier in applied:
            factor *= multiplier.factor
        candidates.append(
            Candidate(
                goods_group=group,
                rate_id=rate.id,
                base_vnd=rate.amount_vnd,
                multiplier_ids=tuple(m.id for m in applied),
                factor=factor,
                amount=rate.amount_vnd * factor,
                confirmed=rate.confirmed,
            )
        )
    if missing:
        raise NoRate(missing)
    # A mixed load pays the rate of the goods with the highest declared customs value
    # (Resolution 09/2025; docs/fees.md); ties, or no values given: the highest rate, then the
    # first group by code.
    values = dict(trip.group_values)
    chosen = max(candidates, key=lambda c: (values.get(c.goods_group, Decimal(0)), c.amount))
    capped = chosen.amount > table.cap_vnd
    payable = Decimal(table.cap_vnd) if capped else chosen.amount
    best = _best_reduction(table.reductions, trip.day, trip.direction, chosen.goods_group)
    percent = best.percent if best else Decimal(0)
    payable = payable * (100 - percent) / 100
    return Result(
        vehicle_class=klass,
        candidates=tuple(candidates),
        chosen=chosen,
        before_cap=chosen.amount,
        capped=capped,
        reduction_id=best.id if best else None,
        reduction_percent=percent,
        amount_vnd=_round_vnd(payable),
        confirmed=chosen.confirmed,
    )


def _best_reduction(
    reductions: Iterable[Reduction], day: date, direction: str, group: str
) -> Reduction | None:
    applicable = [r for r in reductions if r.applies(day, direction, group)]
    return max(applicable, key=lambda r: (r.percent, -r.id), default=None)


@dataclass(frozen=True)
class YardRate:
    id: int
    vehicle_class: str
    unit_minutes: int
    amount_vnd: int
    free_minutes: int = 0
    confirmed: bool = True


def yard_units(minutes: int, rate: YardRate) -> int:
    """Started units (hours or days) charged for a stay of ``minutes``, after the free time."""
    chargeable = max(0, minutes - rate.free_minutes)
    return -(-chargeable // rate.unit_minutes)
