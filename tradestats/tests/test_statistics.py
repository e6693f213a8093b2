"""Trade statistics from rollups kept as trucks cross: exact figures, the change on a year,
the median time to clear, suppression of cells behind fewer than three enterprises, the page
in Vietnamese, the API, and a bulk import counted like live crossings."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.test import Client
from django.utils import timezone

from accounts.choices import Role
from conftest import client_for
from cuakhau.testing import World, declare, walk_to
from shipments import services as shipments
from shipments.choices import IdDocumentType, TruckState
from shipments.models import Declaration, Driver, Enterprise, StateChange
from tradestats import queries, rollups
from tradestats.models import TradeClearance, TradeDay, TradeMonth

pytestmark = pytest.mark.django_db


def _steel(weight: str = "25000", value: str = "15000") -> list[shipments.LineInput]:
    return [
        shipments.LineInput(
            commodity="hot-rolled-steel", hs_heading="7208", weight_kg=weight, value_usd=value
        )
    ]


def _third(world: World) -> tuple[object, Driver]:
    from accounts.models import User

    enterprise = Enterprise.objects.create(
        name="Công ty CP Vận tải Thứ Ba", country="VN", tax_code="0101248141"
    )
    user = User.objects.create_user(
        username="third", password="x", role=Role.DECLARANT, enterprise=enterprise
    )
    driver = Driver.objects.create(
        full_name="Trần Văn Ba",
        id_document_type=IdDocumentType.VN_CITIZEN_ID,
        id_document_number="001090000003",
        phone="+84912345679",
        enterprise=enterprise,
    )
    return user, driver


def _cross(world: World, actor: object, driver: Driver, plate: str, **extra: object) -> Declaration:
    trip = declare(
        world,
        actor=actor,
        vehicle_plate=plate,
        driver=driver.pk,
        **extra,  # type: ignore[arg-type]
    )
    return walk_to(trip, world, TruckState.CROSSED)


def _three_enterprises(world: World) -> list[Declaration]:
    third, third_driver = _third(world)
    return [
        _cross(world, world.owner, world.owner_driver, "29C-111.01", lines=_steel()),
        _cross(world, world.owner, world.owner_driver, "29C-111.02"),  # dragon fruit
        _cross(world, world.outsider, world.outsider_driver, "12H-222.01", lines=_steel()),
        _cross(world, third, third_driver, "14C-333.01", lines=_steel("20000", "12000")),
    ]


def test_a_crossing_adds_its_trip_to_the_rollups(world: World) -> None:
    trips = _three_enterprises(world)
    year = timezone.localdate().year
    total = queries.statistics(queries.Filters(year=year), [])[0]
    assert total.trips == 4 and not total.suppressed
    assert total.tonnes == Decimal("88.0")  # 25 + 18 + 25 + 20 tonnes
    assert total.value_usd == Decimal("58200.00")
    assert total.perishable_share == 0.25
    assert total.enterprises == 3
    # The fee column is each trip's assessed infrastructure fee.
    assert total.fees_vnd == sum(
        c.amount_vnd for t in trips for c in t.charges.filter(kind="infrastructure", status="open")
    )
    # By heading: the steel has three enterprises behind it; the fruit one, so it is withheld.
    by_heading = {r.keys["heading"]: r for r in queries.statistics(queries.Filters(), ["heading"])}
    assert by_heading["7208"].trips == 3 and not by_heading["7208"].suppressed
    assert by_heading["0810"].suppressed and by_heading["0810"].trips is None
    assert by_heading["0810"].value_usd is None and by_heading["0810"].tonnes is None
    # Not crossed, not counted.
    declare(world, vehicle_plate="29C-111.09", lines=_steel())
    assert queries.statistics(queries.Filters(), [])[0].trips == 4


def test_rebuild_gives_the_same_rollups_as_the_crossings(world: World) -> None:
    _three_enterprises(world)

    def snapshot() -> tuple[list[tuple], list[tuple], list[tuple]]:
        month = sorted(
            TradeMonth.objects.values_list(
                "month", "gate", "route", "flow", "direction", "hs_heading", "enterprise",
                "trips", "perishable_trips", "weight_kg", "value_usd", "fees_vnd",
            )
        )  # fmt: skip
        day = sorted(TradeDay.objects.values_list("day", "gate", "flow", "enterprise", "trips"))
        clear = sorted(TradeClearance.objects.values_list("month", "hs_heading", "bucket", "trips"))
        return month, day, clear

    live = snapshot()
    assert rollups.rebuild() == 4
    assert snapshot() == live


def test_the_median_time_to_clear_comes_from_the_recorded_steps(world: World) -> None:
    trips = _three_enterprises(world)
    now = timezone.now()
    for hours, trip in zip((1.0, 3.0, 5.0, 30.0), trips, strict=True):
        StateChange.objects.filter(declaration=trip, to_state=TruckState.ARRIVED).update(
            at=now - timedelta(hours=hours + 1)
        )
        StateChange.objects.filter(declaration=trip, to_state=TruckState.CLEARED).update(
            at=now - timedelta(hours=1)
        )
    rollups.rebuild()
    median = queries.statistics(queries.Filters(), [])[0].median_clear_hours
    # Hours 1, 3, 5, 30: the median lies between 3 and 5; the histogram puts it in (3, 4].
    assert median is not None and 3 < median <= 4
    assert queries.median_from({}) is None
    assert queries.median_from({rollups.bucket_of(2.2): 4}) == pytest.approx(2.25)


def test_the_change_on_a_year_compares_the_same_months(world: World) -> None:
    _three_enterprises(world)
    year = timezone.localdate().year
    # Last year: the same rollup rows a year back, one truck each and half the value.
    for row in list(TradeMonth.objects.all()):
        row.pk = None
        row.month = row.month.replace(year=year - 1)
        row.trips = 1
        row.value_usd = row.value_usd / 2
        row.save()
    rows = {r.keys["gate"]: r for r in queries.statistics(queries.Filters(year=year), ["gate"])}
    hn = rows["huu-nghi"]
    assert hn.previous_trips == 4 and hn.trips_change == 0.0
    assert hn.value_change == pytest.approx(1.0)
    monthly = queries.statistics(queries.Filters(year=year), ["month"])
    assert monthly[0].trips_change == 0.0


def test_a_bulk_import_counts_the_trips_that_crossed(world: World) -> None:

    before = queries.statistics(queries.Filters(), [])
    assert before == []
    # Imported history goes through the same hook as the demo's and any migration's.
    from shipments.services import HistoricTrip, import_history

    gate = world.gates["huu-nghi"]
    now = timezone.now()
    trips = [
        HistoricTrip(
            reference=f"261101-IMP{i:03d}",
            enterprise=world.owner_enterprise,
            direction="export",
            flow="exit",
            gate=gate,
            route=None,
            vehicle=world.owner_vehicle,
            driver=world.owner_driver,
            origin_province=86,
            planned_arrival=now - timedelta(days=3),
            customs_declaration_number="",
            created_at=now - timedelta(days=4),
            lines=_steel(),
            steps=[
                ("admit", now - timedelta(days=3, hours=12), "system:test"),
                ("arrive", now - timedelta(days=3), "system:test"),
                ("clear", now - timedelta(days=3) + timedelta(hours=2), "system:test"),
                ("call", now - timedelta(days=3) + timedelta(hours=3), "system:test"),
                ("cross", now - timedelta(days=3) + timedelta(hours=4), "system:test"),
            ][: 5 if i < 3 else 2],
        )
        for i in range(5)
    ]
    import_history(trips=trips, actor_label="system:test")
    rows = TradeMonth.objects.all()
    assert sum(r.trips for r in rows) == 3
    assert TradeClearance.objects.get().trips == 3


def test_the_page_in_vietnamese_and_the_api(world: World) -> None:
    _three_enterprises(world)
    year = timezone.localdate().year
    page = Client().get(f"/statistics/?year={year}", HTTP_ACCEPT_LANGUAGE="vi")
    html = page.content.decode()
    assert page.status_code == 200
    assert "88" in html and "58.200" in html  # tonnes and USD, Vietnamese grouping
    assert 'data-chart="bar"' in html and "<svg" in html
    assert "Thống kê" in html
    bad = Client().get("/statistics/?year=20x6&gate=nowhere", HTTP_ACCEPT_LANGUAGE="vi")
    assert bad.status_code == 400
    assert (
        'data-field="year"' in bad.content.decode() and 'data-field="gate"' in bad.content.decode()
    )
    csv_text = Client().get(f"/statistics/?year={year}&csv=chapters").content.decode()
    assert csv_text.splitlines()[0].startswith("chapter,trucks,tonnes")
    api = client_for(None)
    answer = api.get(f"/api/v1/statistics/?group_by=gate,heading&year={year}").json()
    steel = next(r for r in answer["rows"] if r["heading"] == "7208")
    assert steel["trucks"] == 3 and steel["value_usd"] == 42000.0
    fruit = next(r for r in answer["rows"] if r["heading"] == "0810")
    assert fruit["suppressed"] is True and fruit["trucks"] is None
    refused = api.get("/api/v1/statistics/?group_by=colour")
    assert refused.status_code == 400 and "group_by" in refused.json()["error"]["fields"]
    top = api.get(f"/api/v1/statistics/top-commodities/?year={year}").json()
    assert [r["heading"] for r in top["gates"]["huu-nghi"]] == ["7208"]
