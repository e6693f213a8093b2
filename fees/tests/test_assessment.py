"""Assessments from the shipped 09/2025 schedule: the resolution's worked figures, the multipliers,
the cap, mixed loads, amendments, reductions and the board's edits."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from audit.models import AuditEvent
from cuakhau.errors import InvalidInput, NotAllowed
from cuakhau.testing import FRUIT_CODES, World, declare
from fees import services
from fees.choices import AssessmentStatus, ChargeStatus, RefundReason
from fees.models import Assessment, Charge, FeeRate, FeeReduction, FeeSchedule, Refund
from fees.testing import pay
from shipments import services as shipments
from shipments.models import Declaration
from shipments.services import LineInput

pytestmark = pytest.mark.django_db


def _line(commodity: str, kg: str) -> LineInput:
    # Fresh fruit for China carries its registered codes; other goods ignore them.
    return LineInput(commodity=commodity, weight_kg=kg, value_usd="1000", **FRUIT_CODES)


def _fee(declaration: Declaration) -> Assessment:
    return Assessment.objects.get(declaration=declaration, is_current=True)


def _import(world: World, **kwargs: object) -> Declaration:
    return declare(world, direction="import", route="", origin_province=None, **kwargs)


def test_a_truck_under_two_tonnes_of_fresh_vegetables_for_export_pays_100000(world: World) -> None:
    declaration = declare(world, lines=[_line("fresh-vegetables", "1500")])
    assessment = _fee(declaration)
    assert assessment.status == AssessmentStatus.ASSESSED
    assert assessment.amount_vnd == 100_000
    assert assessment.schedule == FeeSchedule.objects.get(code="nq-09-2025")
    assert assessment.explanation["vehicle_class"] == "0-2000"
    (candidate,) = assessment.explanation["candidates"]
    assert candidate["confirmed"] is True
    charge = Charge.objects.get(declaration=declaration)
    assert (charge.kind, charge.amount_vnd, charge.status) == ("infrastructure", 100_000, "open")
    assert services.ledger(declaration).balance == 100_000


def test_a_40ft_container_of_farm_goods_under_temporary_import_pays_4000000(world: World) -> None:
    declaration = declare(
        world,
        direction="temp_import_reexport",
        container="40ft",
        lines=[_line("dragon-fruit", "22000")],
    )
    assert _fee(declaration).amount_vnd == 4_000_000
    assert _fee(declaration).explanation["vehicle_class"] == "40ft"


def test_ore_exports_pay_five_times_the_base_rate(world: World) -> None:
    steel = declare(world, lines=[_line("hot-rolled-steel", "12000")])
    ore = declare(world, lines=[_line("iron-ore", "12000")])
    base = _fee(steel).explanation["candidates"][0]["base_vnd"]
    assert _fee(ore).explanation["candidates"][0]["base_vnd"] == base
    assert _fee(steel).amount_vnd == base
    assert _fee(ore).amount_vnd == 5 * base
    assert [m["code"] for m in _fee(ore).explanation["candidates"][0]["multipliers"]] == [
        "ore-export"
    ]


def test_the_cap_holds_a_40ft_ore_export_at_5000000(world: World) -> None:
    """ "At most VND 5,000,000 per trip" is the top of the schedule as reported (laodong.vn,
    vietnam.vn), not a stated cap rule: it applies, and says it is to be confirmed."""
    ore = declare(world, container="40ft", lines=[_line("iron-ore", "26000")])
    assessment = _fee(ore)
    assert assessment.explanation["capped"] is True
    assert assessment.explanation["cap_confirmed"] is False
    assert int(float(assessment.explanation["candidates"][0]["amount"])) > 5_000_000
    assert assessment.amount_vnd == 5_000_000
    web = Client()
    web.force_login(world.board)
    assert 'id="cap-unconfirmed"' in web.get("/fees/").content.decode()


def test_imports_delivered_inland_pay_130_percent_and_wharf_transfers_30(world: World) -> None:
    plain = _import(world, lines=[_line("machinery", "20000")])
    inland = _import(world, delivery="inland", lines=[_line("machinery", "20000")])
    wharf = _import(world, delivery="wharf", lines=[_line("machinery", "20000")])
    base = _fee(plain).amount_vnd
    assert base is not None and base > 0
    assert _fee(inland).amount_vnd == round(base * 1.3)
    assert _fee(wharf).amount_vnd == round(base * 0.3)


def test_inland_delivery_is_refused_for_an_export(world: World) -> None:
    with pytest.raises(InvalidInput) as caught:
        declare(world, delivery="inland")
    assert "delivery" in caught.value.fields
    assert not Declaration.objects.exists()


def test_a_mixed_load_pays_the_rate_of_its_highest_rate_goods(world: World) -> None:
    mixed = declare(world, lines=[_line("fresh-vegetables", "1000"), _line("iron-ore", "800")])
    assessment = _fee(mixed)
    assert assessment.goods_group == "ore"
    assert assessment.amount_vnd == 5 * 150_000
    chosen = [c for c in assessment.explanation["candidates"] if c["chosen"]]
    assert [c["goods_group"] for c in chosen] == ["ore"]
    assert len(assessment.explanation["candidates"]) == 2


def test_a_mixed_load_pays_the_rate_of_its_most_valuable_goods(world: World) -> None:
    """Issue 15: the goods of highest declared customs value set the rate, not the highest
    rate (vegetables worth more than the ore beside them pay the vegetables' rate)."""
    mixed = declare(
        world,
        lines=[
            LineInput(commodity="fresh-vegetables", weight_kg="1000", value_usd="5000"),
            LineInput(commodity="iron-ore", weight_kg="800", value_usd="1000"),
        ],
    )
    assessment = _fee(mixed)
    assert assessment.goods_group == "fresh_vegetables"
    assert assessment.amount_vnd == 100_000


def test_the_inland_surcharge_is_for_imports_only(world: World) -> None:
    """Issue 15: ×1.3 for goods delivered inland applies to imports, not to re-imports."""

    def reimport(delivery: str) -> Declaration:
        return declare(
            world,
            direction="temp_export_reimport",
            flow="entry",
            route="",
            origin_province=None,
            delivery=delivery,
            lines=[_line("machinery", "20000")],
        )

    assert _fee(reimport("inland")).amount_vnd == _fee(reimport("border")).amount_vnd
    assert "inland-delivery" not in str(_fee(reimport("inland")).explanation)


def test_the_registered_payload_sets_the_band_when_known(world: World) -> None:
    world.owner_vehicle.payload_kg = 15000
    world.owner_vehicle.save()
    declaration = declare(world, lines=[_line("fresh-vegetables", "1500")])
    assert _fee(declaration).explanation["vehicle_class"] == "10000-18000"
    assert _fee(declaration).basis["tonnage_source"] == "payload"


def test_amending_reassesses_and_refunds_what_was_paid_beyond_the_new_fee(world: World) -> None:
    declaration = declare(world, lines=[_line("fresh-vegetables", "3000")])
    assert _fee(declaration).amount_vnd == 200_000
    pay(declaration, world.owner)
    shipments.do_amend_declaration(
        actor=world.owner,
        reference=declaration.reference,
        data=shipments.AmendInput(lines=[_line("fresh-vegetables", "1500")]),
    )
    assert _fee(declaration).amount_vnd == 100_000
    assert Assessment.objects.filter(declaration=declaration).count() == 2
    refund = Refund.objects.get(declaration=declaration)
    assert (refund.amount_vnd, refund.reason, refund.kind) == (
        100_000,
        RefundReason.REDUCED,
        "infrastructure",
    )
    shipments.do_amend_declaration(
        actor=world.owner,
        reference=declaration.reference,
        data=shipments.AmendInput(container="40ft"),
    )
    assert _fee(declaration).amount_vnd == 1_000_000
    assert services.ledger(declaration).balance == 900_000
    assert AuditEvent.objects.filter(action="declaration.amended").count() == 2


def test_amending_after_arrival_is_refused(world: World) -> None:
    from cuakhau.errors import Conflict
    from cuakhau.testing import walk_to

    declaration = walk_to(declare(world), world, "arrived")
    with pytest.raises(Conflict):
        shipments.do_amend_declaration(
            actor=world.owner,
            reference=declaration.reference,
            data=shipments.AmendInput(container="20ft"),
        )
    assert Assessment.objects.filter(declaration=declaration).count() == 1


def test_cancelling_voids_the_fee_and_refunds_it(world: World) -> None:
    declaration = declare(world, lines=[_line("fresh-vegetables", "1500")])
    pay(declaration, world.owner)
    shipments.do_transition(
        declaration_id=declaration.pk, transition="cancel", actor=world.owner, reason="no buyer"
    )
    assert Charge.objects.get(declaration=declaration).status == ChargeStatus.VOID
    refund = Refund.objects.get(declaration=declaration)
    assert (refund.amount_vnd, refund.reason) == (100_000, RefundReason.CANCELLED)
    assert services.process_refunds() == 1
    book = services.ledger(declaration)
    assert (book.due, book.paid, book.refunded, book.balance) == (0, 100_000, 100_000, 0)


def test_a_dated_reduction_applies_to_trips_in_its_period_only(world: World) -> None:
    today = timezone.localdate()
    services.do_save_reduction(
        actor=world.board,
        data=services.ReductionInput(
            code="storm-2026",
            name="Giảm phí do bão",
            percent="50",
            valid_from=today,
            valid_to=today + timedelta(days=1),
            goods_groups=["fresh_vegetables"],
        ),
    )
    inside = declare(world, lines=[_line("fresh-vegetables", "1500")])
    after = declare(
        world,
        lines=[_line("fresh-vegetables", "1500")],
        planned_arrival=timezone.now() + timedelta(days=3),
    )
    fruit = declare(world, lines=[_line("dragon-fruit", "1500")])
    assert _fee(inside).amount_vnd == 50_000
    assert _fee(inside).explanation["reduction"]["code"] == "storm-2026"
    assert _fee(after).amount_vnd == 100_000
    assert _fee(fruit).amount_vnd == 100_000
    assert AuditEvent.objects.filter(action="fees.reduction_saved").count() == 1


def test_reduction_input_errors_name_each_field_and_change_nothing(world: World) -> None:
    with pytest.raises(InvalidInput) as caught:
        services.do_save_reduction(
            actor=world.board,
            data=services.ReductionInput(
                code="bad code!",
                name="",
                percent="150",
                valid_from="31/02/2026",  # 26/11/2026 is a day (Vietnamese order); 31/02 is not
                directions=["smuggling"],
            ),
        )
    assert set(caught.value.fields) == {"code", "name", "percent", "valid_from", "directions"}
    assert not FeeReduction.objects.exists()
    with pytest.raises(NotAllowed):
        services.do_save_reduction(actor=world.owner, data=services.ReductionInput())


def test_a_missing_rate_leaves_the_trip_unrated_until_the_board_sets_it(world: World) -> None:
    rate = next(
        r
        for r in FeeRate.objects.filter(vehicle_class="0-2000")
        if "export" in r.directions and "fresh_vegetables" in r.goods_groups
    )
    rate.vehicle_class = "retired"
    rate.save()
    declaration = declare(world, lines=[_line("fresh-vegetables", "1500")])
    assert _fee(declaration).status == AssessmentStatus.UNRATED
    assert services.ledger(declaration).balance == 0
    rate.vehicle_class = "0-2000"
    rate.save()
    services.do_set_rate(actor=world.board, rate_id=rate.pk, amount_vnd="120.000", confirmed=True)
    assert _fee(declaration).amount_vnd == 120_000
    assert AuditEvent.objects.filter(action="fees.rate_changed").count() == 1


def test_the_board_starts_a_new_schedule_from_a_date(world: World) -> None:
    current = FeeSchedule.objects.get(code="nq-09-2025")
    start = timezone.localdate() + timedelta(days=2)
    new = services.do_new_schedule(
        actor=world.board,
        from_schedule=current.pk,
        code="nq-xx-2027",
        name="Biểu phí mới",
        legal_basis="Nghị quyết giả định",
        valid_from=start,
    )
    current.refresh_from_db()
    assert current.valid_to == start - timedelta(days=1)
    assert new.rates.count() == current.rates.count()
    assert not new.rates.filter(confirmed=True).exists()
    assert services.schedule_in_force(start) == new
    assert services.schedule_in_force(start - timedelta(days=1)) == current
    with pytest.raises(InvalidInput) as caught:
        services.do_new_schedule(
            actor=world.board,
            from_schedule=0,
            code="nq-xx-2027",
            name="",
            legal_basis="",
            valid_from="yesterday",
        )
    assert set(caught.value.fields) == {
        "code",
        "name",
        "legal_basis",
        "from_schedule",
        "valid_from",
    }


def test_the_declarant_amends_on_the_page_and_sees_the_new_fee(world: World, client) -> None:  # type: ignore[no-untyped-def]
    declaration = declare(world, lines=[_line("fresh-vegetables", "1500")])
    client.force_login(world.owner)
    page = client.get(f"/declarations/{declaration.reference}/").content.decode()
    assert 'id="amend"' in page and "100.000 ₫" in page
    response = client.post(
        f"/declarations/{declaration.reference}/amend/", {"container": "20ft", "delivery": "border"}
    )
    assert response.status_code == 302
    assert _fee(declaration).amount_vnd == 600_000
    refused = client.post(
        f"/declarations/{declaration.reference}/amend/", {"container": "20ft", "delivery": "inland"}
    )
    assert refused.status_code == 400
    assert 'data-field="delivery"' in refused.content.decode()
    assert _fee(declaration).amount_vnd == 600_000
    client.force_login(world.board)
    assert (
        'id="amend"' not in client.get(f"/declarations/{declaration.reference}/").content.decode()
    )


def test_the_api_amends_and_names_bad_fields(world: World) -> None:
    from conftest import client_for

    declaration = declare(world, lines=[_line("fresh-vegetables", "1500")])
    api = client_for(world.owner)
    url = f"/api/v1/declarations/{declaration.reference}/amend/"
    bad = api.post(url, {"container": "45ft"}, format="json")
    assert bad.status_code == 400 and "container" in bad.json()["error"]["fields"]
    ok = api.post(
        url,
        {"lines": [{"commodity": "iron-ore", "weight_kg": "1500", "value_usd": "90"}]},
        format="json",
    )
    assert ok.status_code == 200 and ok.json()["lines"][0]["commodity"] == "iron-ore"
    assert _fee(declaration).amount_vnd == 750_000
    fees = api.get(f"/api/v1/trip-fees/{declaration.reference}/").json()
    assert fees["fee_vnd"] == 750_000 and fees["balance_vnd"] == 750_000
    assert any("× 5 (ore-export)" in line for line in fees["explanation"])
    assert (
        client_for(world.outsider).post(url, {"container": "20ft"}, format="json").status_code
        == 404
    )


def test_goods_are_fixed_once_the_trip_is_admitted(world: World) -> None:
    from cuakhau.errors import Conflict

    declaration = declare(world, lines=[_line("dragon-fruit", "1500")])
    shipments.do_transition(declaration_id=declaration.pk, transition="admit", actor=world.board)
    with pytest.raises(Conflict) as caught:
        shipments.do_amend_declaration(
            actor=world.owner,
            reference=declaration.reference,
            data=shipments.AmendInput(lines=[_line("hot-rolled-steel", "1500")]),
        )
    assert "lines" in caught.value.fields
    shipments.do_amend_declaration(
        actor=world.owner,
        reference=declaration.reference,
        data=shipments.AmendInput(container="20ft"),
    )
    assert _fee(declaration).amount_vnd == 600_000


def test_the_explanation_shows_the_tonnage_the_readers_way(world: World) -> None:
    """A Vietnamese page said "18000.0 kg" (the stored text) in the fee's explanation."""
    from django.test import Client

    declaration = declare(world)
    web = Client()
    web.force_login(world.owner)
    html = web.get(f"/declarations/{declaration.reference}/").content.decode()
    assert "18.000 kg" in html and "18000.0 kg" not in html
