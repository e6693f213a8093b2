"""Formulas typed by users are exported as text, in every CSV (a reason typed as
``=HYPERLINK(…)`` ran in the reader's Excel)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from cuakhau.csvsafe import safe_cell
from cuakhau.testing import World, declare
from gates import services as gates
from tradestats import opendata

pytestmark = pytest.mark.django_db

FORMULA = '=HYPERLINK("http://example.invalid","click")'


@pytest.mark.parametrize(
    ("raw", "written"),
    [
        (FORMULA, "'" + FORMULA),
        ("+84912345678", "'+84912345678"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("-1+2", "'-1+2"),
        ("-5", "-5"),
        ("-2,5", "-2,5"),
        ("Tết", "Tết"),
        (12, 12),
    ],
)
def test_a_cell_a_spreadsheet_would_run_is_written_as_text(raw: object, written: object) -> None:
    assert safe_cell(raw) == written


def test_the_declarations_csv_and_the_open_closures_neutralise_formulas(world: World) -> None:
    world.owner_enterprise.name = FORMULA
    world.owner_enterprise.save()
    declare(world)
    web = Client()
    web.force_login(world.board)
    body = b"".join(web.get("/declarations/", {"format": "csv"}).streaming_content).decode()
    assert "'" + FORMULA.replace('"', '""') in body
    assert "\n=" not in body and ",=" not in body
    day = timezone.localdate() + timedelta(days=3)
    gates.do_add_exception(
        actor=world.board,
        gate_code="huu-nghi",
        data=gates.ExceptionInput(day=day, closed=True, reason=FORMULA),
    )
    closures = [d for name, d in opendata.DATASETS.items() if "closure" in name]
    assert closures, "the open data publishes the gates' closures"
    for dataset in closures:
        text = opendata.csv_text(dataset)
        assert "'" + FORMULA.replace('"', '""') in text
        assert ",=" not in text and "\n=" not in text
