"""The move to VNACCS channels migrates the data already there (clearance 0002, shipments 0004):
no blue channel survives, post-clearance audit becomes a flag, "compliant" becomes level 3."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from cuakhau.testing import latest_nodes, migrate_to

BEFORE = [("clearance", "0001_initial"), ("shipments", "0003_container_delivery")]
AFTER = [
    ("clearance", "0003_check_awaiting_channel"),
    ("shipments", "0004_vnaccs_channel_and_compliance_levels"),
]


@pytest.mark.django_db(transaction=True)
def test_existing_channels_rules_and_ratings_are_migrated() -> None:
    old = migrate_to(BEFORE)
    try:
        at = datetime(2026, 11, 30, 8, tzinfo=UTC)
        Gate = old.get_model("gates", "Gate")
        Enterprise = old.get_model("shipments", "Enterprise")
        Vehicle = old.get_model("shipments", "Vehicle")
        Driver = old.get_model("shipments", "Driver")
        Declaration = old.get_model("shipments", "Declaration")
        Clearance = old.get_model("clearance", "Clearance")
        SelectivityRule = old.get_model("clearance", "SelectivityRule")
        gate = Gate.objects.create(code="g", name_vi="G", kind="international", mode="road")
        firm = Enterprise.objects.create(
            name="F", country="VN", tax_code="0100109106", compliance_class="compliant"
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

        def declaration(reference: str, number: str) -> object:
            return Declaration.objects.create(
                reference=reference,
                enterprise=firm,
                direction="export",
                flow="exit",
                gate=gate,
                vehicle=vehicle,
                driver=driver,
                customs_declaration_number=number,
                planned_arrival=at,
                state="arrived",
                state_changed_at=at,
                created_at=at,
            )

        blue = declaration("R-BLUE", "300000000001")
        red = declaration("R-RED", "300000000002")
        unnumbered = declaration("R-NONE", "")
        hit = {
            "rule": "random-blue",
            "channel": "blue",
            "rate": 0.02,
            "draw": 0.01,
            "selected": True,
        }
        Clearance.objects.create(
            declaration=blue,
            channel="blue",
            assigned_channel="blue",
            explanation=[hit],
            opened_at=at,
        )
        Clearance.objects.create(
            declaration=red, channel="red", assigned_channel="yellow", explanation=[], opened_at=at
        )
        Clearance.objects.create(
            declaration=unnumbered, channel="yellow", assigned_channel="yellow", opened_at=at
        )
        SelectivityRule.objects.create(
            code="random-blue", description="audit", channel="blue", rate="0.02"
        )
        SelectivityRule.objects.create(
            code="compliant-yellow",
            description="x",
            channel="yellow",
            rate="0.1",
            compliance_classes=["compliant", "priority"],
        )
    finally:
        new = migrate_to(AFTER)
        # Back to the latest state of every app, as the rest of the suite expects.
        now = migrate_to(latest_nodes())
    Clearance = new.get_model("clearance", "Clearance")
    Declaration = new.get_model("shipments", "Declaration")
    SelectivityRule = new.get_model("clearance", "SelectivityRule")
    Enterprise = new.get_model("shipments", "Enterprise")
    was_blue = Clearance.objects.get(declaration__reference="R-BLUE")
    assert (was_blue.channel, was_blue.advised_channel, was_blue.post_clearance_audit) == (
        "green",
        "green",
        True,
    )
    assert was_blue.explanation[0]["channel"] == "post_audit"
    was_red = Clearance.objects.get(declaration__reference="R-RED")
    assert (was_red.channel, was_red.advised_channel, was_red.post_clearance_audit) == (
        "red",
        "yellow",
        False,
    )
    # The channels now live on the customs declarations (shipments 0009 moved them there).
    Link = now.get_model("shipments", "CustomsDeclarationTrip")  # type: ignore[attr-defined]
    channels = dict(Link.objects.values_list("trip__reference", "customs_declaration__channel"))
    assert channels == {"R-BLUE": "1", "R-RED": "3"}
    assert Declaration.objects.filter(reference="R-NONE").exists()
    assert not Clearance.objects.filter(channel="blue").exists()
    rules = {r.code: r for r in SelectivityRule.objects.all()}
    assert "random-blue" not in rules
    assert rules["random-post-audit"].channel == "post_audit"
    assert sorted(rules["compliant-yellow"].compliance_classes) == [
        "high",
        "low",
        "moderate",
        "priority",
    ]
    assert Enterprise.objects.get().compliance_class == "moderate"
