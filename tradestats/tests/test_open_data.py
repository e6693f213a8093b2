"""Open data: stable CSV and JSON datasets and a Frictionless Data Package that validates, with
no enterprise, vehicle or person in them and cells behind fewer than three enterprises
suppressed."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import frictionless
import pytest
from django.test import Client

from cuakhau.testing import World
from shipments.models import Declaration
from tradestats import opendata
from tradestats.tests.test_statistics import _three_enterprises

pytestmark = pytest.mark.django_db


def _rows(name: str) -> list[dict[str, str]]:
    text = Client().get(f"/open-data/{name}.csv").content.decode()
    return list(csv.DictReader(io.StringIO(text)))


def test_the_datapackage_and_its_data_validate_against_the_frictionless_schema(
    world: World, tmp_path: Path
) -> None:
    _three_enterprises(world)
    client = Client()
    descriptor = client.get("/open-data/datapackage.json").json()
    assert descriptor["licenses"][0]["name"] == "CC-BY-4.0"
    assert {r["name"] for r in descriptor["resources"]} == set(opendata.DATASETS)
    (tmp_path / "datapackage.json").write_text(json.dumps(descriptor), encoding="utf-8")
    for resource in descriptor["resources"]:
        body = client.get(f"/open-data/{resource['path']}").content
        (tmp_path / resource["path"]).write_bytes(body)
    report = frictionless.validate(str(tmp_path / "datapackage.json"))
    assert report.valid, report.flatten(["title", "message"])
    # A broken descriptor does not validate: the check can fail.
    descriptor["resources"][0]["schema"]["fields"][0]["type"] = "not-a-type"
    (tmp_path / "datapackage.json").write_text(json.dumps(descriptor), encoding="utf-8")
    assert not frictionless.validate(str(tmp_path / "datapackage.json")).valid


def test_cells_behind_fewer_than_three_enterprises_are_suppressed(world: World) -> None:
    _three_enterprises(world)
    monthly = _rows("commodities-monthly")
    steel = next(r for r in monthly if r["hs_heading"] == "7208")
    fruit = next(r for r in monthly if r["hs_heading"] == "0810")
    assert (steel["trucks"], steel["suppressed"]) == ("3", "false")
    assert fruit["suppressed"] == "true"
    assert fruit["trucks"] == fruit["tonnes"] == fruit["value_usd"] == ""
    assert fruit["median_hours_to_clear"] == ""
    daily = _rows("traffic-daily")
    assert [(r["gate"], r["direction"], r["trucks"], r["suppressed"]) for r in daily] == [
        ("huu-nghi", "exit", "4", "false")
    ]
    # Two enterprises on a day would be withheld: drop the third's trip from the rollup.
    from tradestats.models import TradeDay

    TradeDay.objects.filter(enterprise__tax_code="0101248141").delete()
    assert _rows("traffic-daily")[0]["trucks"] == ""


def test_nothing_identifies_an_enterprise_a_vehicle_or_a_person(world: World) -> None:
    trips = _three_enterprises(world)
    client = Client()
    everything = "".join(
        client.get(f"/open-data/{name}.{fmt}").content.decode()
        for name in opendata.DATASETS
        for fmt in ("csv", "json")
    )
    for trip in Declaration.objects.filter(pk__in=[t.pk for t in trips]).select_related(
        "enterprise", "vehicle", "driver"
    ):
        for secret in (
            trip.enterprise.name,
            trip.enterprise.tax_code,
            trip.vehicle.plate,
            trip.driver.full_name,
            trip.reference,
        ):
            assert secret not in everything
    assert client.get("/open-data/nothing.csv").status_code == 404
    assert client.get("/open-data/hours.xml").status_code == 404
    index = client.get("/open-data/", HTTP_ACCEPT_LANGUAGE="vi").content.decode()
    assert "datapackage.json" in index and "/open-data/closures.csv" in index
    closures = _rows("closures")
    assert any(r["kind"] == "pre_registered" and r["date"] == "2024-02-14" for r in closures)
