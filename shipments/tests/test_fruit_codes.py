"""Fruit for China carries registered growing-area (PUC) and packing-house (PHC) codes,
checked at declaration against the board's list, so trucks are not turned back at the border."""

from __future__ import annotations

import pytest
from django.test import Client

from audit.models import AuditEvent
from cuakhau.errors import InvalidInput, NotAllowed
from cuakhau.testing import FRUIT_CODES, World, declare
from shipments import services
from shipments.models import FruitCode

pytestmark = pytest.mark.django_db


def _durian(**codes: str) -> list[services.LineInput]:
    return [services.LineInput(commodity="durian", weight_kg="18000", value_usd="60000", **codes)]


def test_the_board_imports_the_list_from_csv_and_a_bad_row_refuses_the_file(
    world: World,
) -> None:
    good = (
        "kind,code,commodity,holder,province\n"
        "puc,vn-dlor-0015,durian,HTX Sầu riêng Krông Pắc,66\n"
        "phc,VN-DLPH-0003,,Công ty đóng gói Đắk Lắk,66\n"
    ).encode()
    result = services.do_import_fruit_codes(actor=world.board, content=good, source="PPD list")
    assert (result.created, result.updated, result.unchanged) == (2, 0, 0)
    puc = FruitCode.objects.get(kind="puc", code="VN-DLOR-0015")
    assert puc.commodity is not None and puc.commodity.code == "durian"
    again = services.do_import_fruit_codes(actor=world.board, content=good, source="PPD list")
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)
    assert AuditEvent.objects.filter(action="shipments.fruit_codes_imported").count() == 2
    bad = b"kind,code,commodity\npuc,VN-OK-0001,durian\nxyz,VN-X,mangosteen\n"
    with pytest.raises(InvalidInput) as refused:
        services.do_import_fruit_codes(actor=world.board, content=bad, source="")
    problems = " ".join(refused.value.fields["file"])
    assert "Row 3" in problems or "Dòng 3" in problems
    assert not FruitCode.objects.filter(code="VN-OK-0001").exists()
    with pytest.raises(NotAllowed):
        services.do_import_fruit_codes(actor=world.owner, content=good, source="")


def test_fruit_for_china_is_refused_without_registered_codes(world: World) -> None:
    services.do_import_fruit_codes(
        actor=world.board,
        content=b"kind,code,commodity\npuc,VN-DLOR-0015,durian\nphc,VN-DLPH-0003,\n",
        source="PPD list",
    )
    with pytest.raises(InvalidInput) as missing:
        declare(world, lines=_durian())
    assert {"lines[0].puc_code", "lines[0].phc_code"} <= set(missing.value.fields)
    with pytest.raises(InvalidInput) as unknown:
        declare(world, lines=_durian(puc_code="VN-DLOR-9999", phc_code="VN-DLPH-0003"))
    assert set(unknown.value.fields) == {"lines[0].puc_code"}
    # A growing area registered for durian does not cover mango.
    mango = [
        services.LineInput(
            commodity="mango",
            weight_kg="15000",
            value_usd="20000",
            puc_code="VN-DLOR-0015",
            phc_code="VN-DLPH-0003",
        )
    ]
    with pytest.raises(InvalidInput) as wrong_fruit:
        declare(world, lines=mango)
    assert set(wrong_fruit.value.fields) == {"lines[0].puc_code"}
    ok = declare(world, lines=_durian(puc_code="vn-dlor-0015", phc_code="VN-DLPH-0003"))
    assert (ok.lines.get().puc_code, ok.lines.get().phc_code) == ("VN-DLOR-0015", "VN-DLPH-0003")
    # Imports of fruit and non-fruit exports need no codes.
    imported = declare(
        world, direction="import", route="", gate="huu-nghi", lines=_durian(), origin_province=None
    )
    assert imported.lines.get().puc_code == ""
    steel = [services.LineInput(commodity="hot-rolled-steel", weight_kg="25000", value_usd="15000")]
    assert declare(world, lines=steel).lines.count() == 1


def test_the_list_page_shows_codes_and_only_the_board_imports(world: World) -> None:
    assert FruitCode.objects.filter(code=FRUIT_CODES["puc_code"]).exists()
    owner = Client()
    owner.force_login(world.owner)
    page = owner.get("/declarations/fruit-codes/?q=lsor").content.decode()
    assert FRUIT_CODES["puc_code"] in page and "codes-file" not in page
    board = Client()
    board.force_login(world.board)
    assert "codes-file" in board.get("/declarations/fruit-codes/").content.decode()
    refused = board.post("/declarations/fruit-codes/", {"source": "x"})
    assert refused.status_code == 400 and 'data-field="file"' in refused.content.decode()
