"""The two-way delivery pilot of 10 Dec 2025 (en.sggp.org.vn / VNA, Dec 2025): on the routes at
markers 1119–1120, 1088/2–1089 and 1104–1105 a truck may deliver into the other country's yard
and come back loaded, carrying one company's goods and one kind of goods (no mixed loads); a
two-way truck stays at most 36 h in the other country's yard, the others leave within 24 h."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from conftest import client_for
from cuakhau.errors import InvalidInput
from cuakhau.testing import FRUIT_CODES, World, declaration_payload, declare, walk_to
from flow import services as flow
from gates.models import TwoWayDelivery
from shipments import services
from shipments.choices import TruckState
from shipments.models import Declaration

pytestmark = pytest.mark.django_db


def _fruit(code: str, weight: str = "9000") -> services.LineInput:
    return services.LineInput(commodity=code, weight_kg=weight, value_usd="8000", **FRUIT_CODES)


def test_the_pilot_is_shipped_as_data_on_its_three_routes(world: World) -> None:
    rules = {r.route.code: r for r in TwoWayDelivery.objects.select_related("route")}
    assert set(rules) == {"huu-nghi-freight", "tan-thanh", "coc-nam"}
    for rule in rules.values():
        assert (rule.two_way_dwell_hours, rule.other_dwell_hours) == (36, 24)
        assert rule.starts_on.isoformat() == "2025-12-10" and rule.ends_on is None
        assert rule.one_owner and rule.one_kind_of_goods and "sggp" in rule.source


def test_a_two_way_truck_with_one_kind_of_goods_on_a_pilot_route_is_declared(
    world: World,
) -> None:
    trip = declare(world, two_way=True, lines=[_fruit("dragon-fruit"), _fruit("dragon-fruit")])
    assert trip.two_way and trip.lines.count() == 2


def test_a_mixed_load_is_refused_for_two_way_delivery_and_nothing_is_saved(world: World) -> None:
    with pytest.raises(InvalidInput) as refused:
        declare(world, two_way=True, lines=[_fruit("dragon-fruit"), _fruit("longan")])
    message = " ".join(refused.value.fields["two_way"])
    assert "một loại hàng" in message
    assert "Nhãn tươi" in message and "Thanh long" in message
    assert not Declaration.objects.exists()
    # The same load delivered at the border is fine: the rule is the pilot's.
    assert not declare(world, lines=[_fruit("dragon-fruit"), _fruit("longan")]).two_way


def test_two_way_delivery_is_refused_off_the_pilot_routes_and_before_the_pilot(
    world: World,
) -> None:
    with pytest.raises(InvalidInput) as off_route:
        declare(world, two_way=True, route="tan-thanh-2")
    assert "two_way" in off_route.value.fields
    with pytest.raises(InvalidInput) as no_route:
        declare(world, two_way=True, route="")
    assert "route" in no_route.value.fields
    # The board ends the pilot: from the day after, nobody declares two-way on it.
    TwoWayDelivery.objects.update(ends_on=timezone.localdate() - timedelta(days=1))
    with pytest.raises(InvalidInput) as ended:
        declare(world, two_way=True)
    assert "two_way" in ended.value.fields
    assert not Declaration.objects.exists()


def test_the_api_takes_two_way_and_refuses_a_mixed_load_by_field(world: World) -> None:
    api = client_for(world.owner)
    body = declaration_payload(world, two_way=True)
    body["lines"] = body["lines"] * 1 + [
        {"commodity": "longan", "weight_kg": "1000", "value_usd": "900", **FRUIT_CODES}
    ]
    refused = api.post("/api/v1/declarations/", body, format="json")
    assert refused.status_code == 400
    assert "two_way" in refused.json()["error"]["fields"]
    done = api.post(
        "/api/v1/declarations/", declaration_payload(world, two_way=True), format="json"
    )
    assert done.status_code == 201 and done.json()["two_way"] is True


def test_amending_a_two_way_truck_into_a_mixed_load_is_refused(world: World) -> None:
    trip = declare(world, two_way=True)
    with pytest.raises(InvalidInput) as refused:
        services.do_amend_declaration(
            actor=world.owner,
            reference=trip.reference,
            data=services.AmendInput(lines=[_fruit("dragon-fruit"), _fruit("lychee")]),
        )
    assert "two_way" in refused.value.fields
    assert trip.lines.count() == 1


def test_the_declaration_page_takes_the_box_and_shows_the_refusal_in_vietnamese(
    world: World,
) -> None:
    payload = declaration_payload(world)
    web = Client()
    web.force_login(world.owner)
    form = {
        "direction": "export",
        "gate_route": "huu-nghi/tan-thanh-2",
        "vehicle_plate": payload["vehicle_plate"],
        "driver": payload["driver"],
        "origin_province": payload["origin_province"],
        "planned_arrival": payload["planned_arrival"][:16],
        "container": "",
        "delivery": "border",
        "two_way": "on",
        "lines-0-commodity": "dragon-fruit",
        "lines-0-weight_kg": "18.000",
        "lines-0-value_usd": "16.200",
        "lines-0-puc_code": FRUIT_CODES["puc_code"],
        "lines-0-phc_code": FRUIT_CODES["phc_code"],
    }
    refused = web.post("/declarations/new/", form, HTTP_ACCEPT_LANGUAGE="vi")
    html = refused.content.decode()
    assert refused.status_code == 400 and 'data-field="two_way"' in html
    assert "hai chiều" in html and 'name="two_way" checked' in html
    done = web.post("/declarations/new/", form | {"gate_route": "huu-nghi/tan-thanh"})
    assert done.status_code == 302
    trip = Declaration.objects.get()
    assert trip.two_way and trip.lines.get().weight_kg == 18000


def test_trucks_over_their_time_across_the_border_are_listed_for_the_yard(world: World) -> None:
    plain = walk_to(declare(world), world, TruckState.CROSSED)
    two_way = walk_to(
        declare(world, two_way=True, vehicle_plate="29C-555.55"), world, TruckState.CROSSED
    )
    off_pilot = walk_to(
        declare(world, route="tan-thanh-2", vehicle_plate="29C-666.66"), world, TruckState.CROSSED
    )
    now = timezone.now()
    Declaration.objects.filter(pk__in=[plain.pk, two_way.pk, off_pilot.pk]).update(
        state_changed_at=now - timedelta(hours=30)
    )
    listed = flow.overstays(world.gates["huu-nghi"], now=now)
    assert [(o.declaration.pk, o.limit_hours) for o in listed] == [(plain.pk, 24)]
    assert round(listed[0].over_hours) == 6
    # At 40 h the two-way truck is over its 36 h too; the one off the pilot's routes never is.
    later = flow.overstays(world.gates["huu-nghi"], now=now + timedelta(hours=10))
    assert [o.declaration.pk for o in later] == [plain.pk, two_way.pk]
    # A truck back home is off the list.
    services.do_transition(declaration_id=plain.pk, transition="return", actor=world.guard_hn)
    assert [o.declaration.pk for o in flow.overstays(world.gates["huu-nghi"], now=now)] == []
    yard = Client()
    yard.force_login(world.yard_hn)
    Declaration.objects.filter(pk=two_way.pk).update(state_changed_at=now - timedelta(hours=40))
    page = yard.get("/flow/yard/huu-nghi/").content.decode()
    section = page.split('id="overstays"')[1].split("</section>")[0]
    assert two_way.reference in section and off_pilot.reference not in section
