"""The fee of a trip as pure arithmetic: worked cases and properties over generated tables."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fees import tariff

LIMITS = (2000, 4000, 10000, 18000)
CLASSES = [*tariff.band_codes(LIMITS), "20ft", "40ft"]
DIRECTIONS = ["export", "import", "temp_import_reexport"]
GROUPS = ["fresh_vegetables", "fresh_fruit", "ore", "industrial"]
DAY = date(2026, 11, 26)


def test_band_codes_and_classes() -> None:
    assert tariff.band_codes(LIMITS) == [
        "0-2000",
        "2000-4000",
        "4000-10000",
        "10000-18000",
        "18000+",
    ]
    klass = tariff.vehicle_class
    assert klass(container="", tonnage_kg=Decimal("1999.9"), limits_kg=LIMITS) == "0-2000"
    assert klass(container="", tonnage_kg=Decimal("2000"), limits_kg=LIMITS) == "2000-4000"
    assert klass(container="", tonnage_kg=Decimal("40000"), limits_kg=LIMITS) == "18000+"
    assert klass(container="40ft", tonnage_kg=Decimal("500"), limits_kg=LIMITS) == "40ft"
    with pytest.raises(ValueError, match="container"):
        klass(container="45ft", tonnage_kg=Decimal(1), limits_kg=LIMITS)


def _table(amount: int = 100_000, **kwargs: object) -> tariff.Table:
    rates = tuple(
        tariff.Rate(
            id=i,
            directions=frozenset(DIRECTIONS),
            goods_groups=frozenset(GROUPS),
            vehicle_class=c,
            amount_vnd=amount * (i + 1),
        )
        for i, c in enumerate(CLASSES)
    )
    values: dict[str, object] = {
        "schedule_id": 1,
        "cap_vnd": 5_000_000,
        "band_limits_kg": LIMITS,
        "rates": rates,
    }
    values.update(kwargs)
    return tariff.Table(**values)  # type: ignore[arg-type]


def _trip(**kwargs: object) -> tariff.Trip:
    values: dict[str, object] = {
        "day": DAY,
        "direction": "export",
        "delivery": "border",
        "container": "",
        "tonnage_kg": Decimal(1500),
        "goods_groups": frozenset({"fresh_vegetables"}),
    }
    values.update(kwargs)
    return tariff.Trip(**values)  # type: ignore[arg-type]


def test_a_missing_rate_is_named_not_guessed() -> None:
    table = _table(rates=())
    with pytest.raises(tariff.NoRate) as caught:
        tariff.assess(table, _trip())
    assert caught.value.missing == (("export", "fresh_vegetables", "0-2000"),)


def test_reductions_take_the_largest_in_force_and_never_compound() -> None:
    reductions = (
        tariff.Reduction(1, "covid", Decimal(50), date(2026, 1, 1), date(2026, 12, 31)),
        tariff.Reduction(2, "small", Decimal(10), date(2026, 1, 1)),
        tariff.Reduction(3, "expired", Decimal(90), date(2020, 1, 1), date(2021, 1, 1)),
        tariff.Reduction(
            4, "imports", Decimal(80), date(2026, 1, 1), directions=frozenset({"import"})
        ),
    )
    result = tariff.assess(_table(reductions=reductions), _trip())
    assert result.reduction_id == 1
    assert result.amount_vnd == 50_000
    assert (
        tariff.assess(_table(reductions=reductions), _trip(day=date(2027, 1, 1))).amount_vnd
        == 90_000
    )


def test_yard_units_count_started_units_after_the_free_time() -> None:
    hourly = tariff.YardRate(1, "0-2000", 60, 10_000, free_minutes=120)
    assert tariff.yard_units(0, hourly) == 0
    assert tariff.yard_units(120, hourly) == 0
    assert tariff.yard_units(121, hourly) == 1
    assert tariff.yard_units(180, hourly) == 1
    assert tariff.yard_units(181, hourly) == 2
    daily = tariff.YardRate(2, "40ft", 1440, 500_000)
    assert tariff.yard_units(1441, daily) == 2


amounts = st.integers(min_value=0, max_value=3_000_000)
factors = st.decimals(min_value=Decimal("0.1"), max_value=Decimal(6), places=2)


@st.composite
def tables(draw: st.DrawFn) -> tariff.Table:
    """Any table whose rates do not fall as the band gets heavier (as every resolution's do)."""
    rates = []
    for group in GROUPS:
        base = draw(amounts)
        steps = draw(st.lists(amounts, min_size=len(CLASSES), max_size=len(CLASSES)))
        running = base
        for i, klass in enumerate(CLASSES):
            running += steps[i] // 4
            rates.append(
                tariff.Rate(
                    id=len(rates) + 1,
                    directions=frozenset(DIRECTIONS),
                    goods_groups=frozenset({group}),
                    vehicle_class=klass,
                    amount_vnd=running,
                )
            )
    multipliers = tuple(
        tariff.Multiplier(
            id=i,
            code=f"m{i}",
            factor=draw(factors),
            directions=frozenset(draw(st.sets(st.sampled_from(DIRECTIONS)))),
            goods_groups=frozenset(draw(st.sets(st.sampled_from(GROUPS)))),
            deliveries=frozenset(draw(st.sets(st.sampled_from(["border", "inland", "wharf"])))),
        )
        for i in range(draw(st.integers(0, 3)))
    )
    return tariff.Table(
        schedule_id=1,
        cap_vnd=draw(st.integers(min_value=1, max_value=8_000_000)),
        band_limits_kg=LIMITS,
        rates=tuple(rates),
        multipliers=multipliers,
    )


trips = st.builds(
    tariff.Trip,
    day=st.just(DAY),
    direction=st.sampled_from(DIRECTIONS),
    delivery=st.sampled_from(["border", "inland", "wharf"]),
    container=st.sampled_from(["", "", "20ft", "40ft"]),
    tonnage_kg=st.decimals(min_value=0, max_value=60000, places=1),
    goods_groups=st.frozensets(st.sampled_from(GROUPS), min_size=1),
)


@settings(max_examples=300, deadline=None)
@given(tables(), trips)
def test_never_above_the_cap_and_never_negative(table: tariff.Table, trip: tariff.Trip) -> None:
    result = tariff.assess(table, trip)
    assert 0 <= result.amount_vnd <= table.cap_vnd


@settings(max_examples=300, deadline=None)
@given(tables(), trips, st.decimals(min_value=0, max_value=60000, places=1))
def test_monotone_in_tonnage(table: tariff.Table, trip: tariff.Trip, more: Decimal) -> None:
    loose = tariff.Trip(**{**trip.__dict__, "container": ""})
    heavier = tariff.Trip(**{**loose.__dict__, "tonnage_kg": loose.tonnage_kg + more})
    assert tariff.assess(table, heavier).amount_vnd >= tariff.assess(table, loose).amount_vnd


@settings(max_examples=300, deadline=None)
@given(
    tables(),
    trips,
    st.decimals(min_value=Decimal("0.01"), max_value=100, places=2),
    st.sets(st.sampled_from(GROUPS)),
)
def test_a_reduction_never_raises_a_fee(
    table: tariff.Table, trip: tariff.Trip, percent: Decimal, groups: set[str]
) -> None:
    reduced = tariff.Table(
        **{
            **table.__dict__,
            "reductions": (
                tariff.Reduction(9, "r", percent, DAY, DAY, goods_groups=frozenset(groups)),
            ),
        }
    )
    assert tariff.assess(reduced, trip).amount_vnd <= tariff.assess(table, trip).amount_vnd


@settings(max_examples=200, deadline=None)
@given(tables(), trips, st.data())
def test_a_mixed_load_pays_the_rate_of_its_most_valuable_goods(
    table: tariff.Table, trip: tariff.Trip, data: st.DataObject
) -> None:
    """Issue 15: the rate of the goods with the highest declared customs value (ties, and
    loads declared without values: the highest rate)."""
    values = {g: Decimal(data.draw(st.integers(0, 5))) for g in trip.goods_groups}
    valued = tariff.Trip(**{**trip.__dict__, "group_values": tuple(sorted(values.items()))})
    alone = {
        g: tariff.assess(table, tariff.Trip(**{**trip.__dict__, "goods_groups": frozenset({g})}))
        for g in trip.goods_groups
    }
    top = max(values.values())
    assert tariff.assess(table, valued).amount_vnd == max(
        alone[g].amount_vnd for g in trip.goods_groups if values[g] == top
    )
    assert tariff.assess(table, trip).amount_vnd == max(r.amount_vnd for r in alone.values())
