"""Customs declarations become records of their own (shipments 0008–0010): forward on a database
with numbered and unnumbered trips and their channels, then back again."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from cuakhau.testing import migrate_to, migrate_to_latest

BEFORE = [("shipments", "0007_withdrawal_reason")]
AFTER = [("shipments", "0010_remove_trip_customs_fields")]


def _trips(apps: Any) -> None:
    at = datetime(2026, 11, 30, 8, tzinfo=UTC)
    Gate = apps.get_model("gates", "Gate")
    Enterprise = apps.get_model("shipments", "Enterprise")
    Vehicle = apps.get_model("shipments", "Vehicle")
    Driver = apps.get_model("shipments", "Driver")
    Declaration = apps.get_model("shipments", "Declaration")
    gate = Gate.objects.create(code="g", name_vi="G", kind="international", mode="road")
    firm = Enterprise.objects.create(
        name="F", country="VN", tax_code="0100109106", compliance_class="moderate"
    )
    vehicle = Vehicle.objects.create(
        enterprise=firm, plate="29C-123.45", ocr_key="29C12345", country="VN", kind="truck"
    )
    driver = Driver.objects.create(
        enterprise=firm,
        full_name="D",
        id_document_type="cccd",
        id_document_number="001099012345",
        phone="+84912345678",
    )
    for reference, number, channel in (
        ("R-RED", "300000000002", "3"),
        ("R-NOCHANNEL", "300000000003", ""),
        ("R-NONE", "", ""),
    ):
        Declaration.objects.create(
            reference=reference,
            enterprise=firm,
            direction="export",
            flow="exit",
            gate=gate,
            vehicle=vehicle,
            driver=driver,
            customs_declaration_number=number,
            customs_channel=channel,
            planned_arrival=at,
            state="declared",
            state_changed_at=at,
            created_at=at,
        )


@pytest.mark.django_db(transaction=True)
def test_trip_numbers_become_customs_declarations_and_come_back() -> None:
    old = migrate_to(BEFORE)
    try:
        _trips(old)
        new = migrate_to(AFTER)
        CustomsDeclaration = new.get_model("shipments", "CustomsDeclaration")
        rows = {
            cd.number: (cd.channel, cd.channel_recorded_at is not None, cd.enterprise.name)
            for cd in CustomsDeclaration.objects.select_related("enterprise")
        }
        assert rows == {
            "300000000002": ("3", True, "F"),
            "300000000003": ("", False, "F"),
        }
        Link = new.get_model("shipments", "CustomsDeclarationTrip")
        assert dict(Link.objects.values_list("trip__reference", "customs_declaration__number")) == {
            "R-RED": "300000000002",
            "R-NOCHANNEL": "300000000003",
        }
        back = migrate_to(BEFORE)
        Declaration = back.get_model("shipments", "Declaration")
        assert {
            d.reference: (d.customs_declaration_number, d.customs_channel)
            for d in Declaration.objects.all()
        } == {
            "R-RED": ("300000000002", "3"),
            "R-NOCHANNEL": ("300000000003", ""),
            "R-NONE": ("", ""),
        }
    finally:
        migrate_to_latest()


@pytest.mark.django_db(transaction=True)
def test_going_back_refuses_what_the_old_shape_cannot_store() -> None:
    old = migrate_to(BEFORE)
    try:
        _trips(old)
        new = migrate_to(AFTER)
        Declaration = new.get_model("shipments", "Declaration")
        CustomsDeclaration = new.get_model("shipments", "CustomsDeclaration")
        Link = new.get_model("shipments", "CustomsDeclarationTrip")
        # One customs declaration now also covers a second truck.
        shared = CustomsDeclaration.objects.get(number="300000000002")
        second = Declaration.objects.get(reference="R-NONE")
        Link.objects.create(customs_declaration=shared, trip=second, added_at=second.created_at)
        with pytest.raises(RuntimeError, match="cannot store"):
            migrate_to(BEFORE)
    finally:
        migrate_to_latest()
