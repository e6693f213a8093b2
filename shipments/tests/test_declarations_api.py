from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from audit.models import AuditEvent
from conftest import client_for
from cuakhau.testing import FRUIT_CODES, World, declaration_payload, declare
from shipments.models import Declaration, Enterprise, Vehicle

pytestmark = pytest.mark.django_db
URL = "/api/v1/declarations/"


def test_declarant_declares_dragon_fruit_through_tan_thanh(world: World) -> None:
    response = client_for(world.owner).post(URL, declaration_payload(world), format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["state"] == "declared"
    assert body["gate"] == "huu-nghi" and body["route"] == "tan-thanh"
    assert body["flow"] == "exit"
    assert body["perishable"] is True and body["shelf_life_hours"] == 240
    assert body["lines"][0]["value_usd"] == "16200.00"
    declaration = Declaration.objects.get(reference=body["reference"])
    assert declaration.lines.get().value_usd == Decimal("16200.00")
    assert AuditEvent.objects.filter(
        action="declaration.created", object_id=str(declaration.pk)
    ).exists()


@pytest.mark.parametrize(
    ("override", "field"),
    [
        ({"vehicle_plate": "29C-12"}, "vehicle_plate"),
        ({"trailer_plate": "R-1"}, "trailer_plate"),
        (
            {"lines": [{"hs_heading": "9999", "weight_kg": "100", "value_usd": "1"}]},
            "lines[0].hs_heading",
        ),
        (
            {"lines": [{"hs_heading": "081", "weight_kg": "100", "value_usd": "1"}]},
            "lines[0].hs_heading",
        ),
        (
            {
                "lines": [
                    {
                        "commodity": "durian",
                        "hs_heading": "0804",
                        "weight_kg": "1",
                        "value_usd": "1",
                    }
                ]
            },
            "lines[0].hs_heading",
        ),
        (
            {"lines": [{"hs_heading": "0810", "weight_kg": "100", "value_usd": "1"}]},
            "lines[0].commodity",
        ),
        (
            {"lines": [{"commodity": "durian", "weight_kg": "0", "value_usd": "1"}]},
            "lines[0].weight_kg",
        ),
        (
            {"lines": [{"commodity": "durian", "weight_kg": "1", "value_usd": "-1"}]},
            "lines[0].value_usd",
        ),
        ({"lines": []}, "lines"),
        ({"route": "coc-nam", "gate": "chi-ma"}, "route"),
        ({"gate": "dong-dang-rail", "route": ""}, "gate"),
        ({"gate": "nowhere", "route": ""}, "gate"),
        ({"customs_declaration_number": "12345"}, "customs_declaration_number"),
        ({"origin_province": None}, "origin_province"),
        ({"origin_province": 999}, "origin_province"),
        ({"planned_arrival": "2020-01-01T08:00:00+07:00"}, "planned_arrival"),
        ({"planned_arrival": "tomorrow"}, "planned_arrival"),
        ({"direction": "smuggle"}, "direction"),
        ({"direction": "transit"}, "flow"),
    ],
)
def test_bad_declarations_are_refused_naming_the_field(
    world: World, override: dict, field: str
) -> None:
    before = (Declaration.objects.count(), Vehicle.objects.count(), AuditEvent.objects.count())
    response = client_for(world.owner).post(
        URL, declaration_payload(world, **override), format="json"
    )
    assert response.status_code == 400, response.json()
    error = response.json()["error"]
    assert error["code"] == "invalid"
    assert field in error["fields"], error
    assert error["fields"][field][0]
    assert (
        Declaration.objects.count(),
        Vehicle.objects.count(),
        AuditEvent.objects.count(),
    ) == before


def test_driver_of_another_enterprise_is_refused(world: World) -> None:
    body = declaration_payload(world, driver=world.outsider_driver.pk)
    response = client_for(world.owner).post(URL, body, format="json")
    assert response.status_code == 400
    assert "driver" in response.json()["error"]["fields"]


def test_plate_registered_by_another_enterprise_is_refused(world: World) -> None:
    body = declaration_payload(world, vehicle_plate=world.outsider_vehicle.plate)
    response = client_for(world.owner).post(URL, body, format="json")
    assert response.status_code == 400
    assert "vehicle_plate" in response.json()["error"]["fields"]


def test_new_plate_is_registered_to_the_declarant(world: World) -> None:
    body = declaration_payload(world, vehicle_plate="29c 55555", trailer_plate="29R-012.34")
    response = client_for(world.owner).post(URL, body, format="json")
    assert response.status_code == 201
    assert response.json()["vehicle_plate"] == "29C-555.55"
    assert Vehicle.objects.get(plate="29R-012.34").enterprise == world.owner_enterprise


def test_errors_are_translated_by_accept_language(world: World) -> None:
    body = declaration_payload(world, vehicle_plate="bad")
    messages = {}
    for language in ("vi", "en", "zh-hans"):
        response = client_for(world.owner).post(
            URL, body, format="json", HTTP_ACCEPT_LANGUAGE=language
        )
        assert response.status_code == 400
        messages[language] = response.json()["error"]["fields"]["vehicle_plate"][0]
    assert messages["en"].startswith("Enter a Vietnamese plate")
    assert "biển" in messages["vi"].lower()
    assert "车牌" in messages["zh-hans"]


def test_outsider_cannot_see_another_enterprises_declaration(world: World) -> None:
    declaration = declare(world)
    outsider = client_for(world.outsider)
    assert outsider.get(f"{URL}{declaration.reference}/").status_code == 404
    assert declaration.reference not in str(outsider.get(URL).json())
    assert client_for(world.owner).get(f"{URL}{declaration.reference}/").status_code == 200


def test_anonymous_post_is_refused(world: World) -> None:
    response = APIClient().post(URL, declaration_payload(world), format="json")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"
    assert Declaration.objects.count() == 0


def test_officer_sees_only_their_gate(world: World) -> None:
    at_huu_nghi = declare(world)
    at_chi_ma = declare(world, gate="chi-ma", route="", vehicle_plate="29C-222.22")
    seen_hn = {d["reference"] for d in client_for(world.customs_hn).get(URL).json()["results"]}
    seen_cm = {d["reference"] for d in client_for(world.customs_cm).get(URL).json()["results"]}
    assert seen_hn == {at_huu_nghi.reference}
    assert seen_cm == {at_chi_ma.reference}


def test_list_filters(world: World) -> None:
    first = declare(world)
    declare(world, gate="chi-ma", route="", vehicle_plate="29C-222.22")
    client = client_for(world.owner)
    assert [d["reference"] for d in client.get(URL, {"gate": "huu-nghi"}).json()["results"]] == [
        first.reference
    ]
    assert client.get(URL, {"state": "crossed"}).json()["count"] == 0
    assert client.get(URL, {"state": "nonsense"}).status_code == 400


def test_transitions_through_the_api(world: World) -> None:
    declaration = declare(world)
    url = f"{URL}{declaration.reference}/transitions/"
    assert client_for(world.owner).post(url, {"transition": "admit"}).status_code == 403
    response = client_for(world.board).post(url, {"transition": "admit"})
    assert response.status_code == 200 and response.json()["state"] == "admitted"
    conflict = client_for(world.board).post(url, {"transition": "admit"})
    assert conflict.status_code == 409
    assert conflict.json()["error"]["code"] == "invalid_transition"
    no_reason = client_for(world.owner).post(url, {"transition": "cancel"})
    assert no_reason.status_code == 400 and "reason" in no_reason.json()["error"]["fields"]
    cancelled = client_for(world.owner).post(
        url, {"transition": "cancel", "reason": "buyer withdrew"}
    )
    assert cancelled.json()["state"] == "cancelled"
    history = client_for(world.owner).get(f"{URL}{declaration.reference}/history/").json()
    assert [h["to_state"] for h in history] == ["admitted", "cancelled"]
    assert history[1]["reason"] == "buyer withdrew"
    assert history[1]["actor_label"] == "user:owner"


def test_officer_at_another_gate_cannot_move_the_truck(world: World) -> None:
    declaration = declare(world)
    url = f"{URL}{declaration.reference}/transitions/"
    response = client_for(world.customs_cm).post(url, {"transition": "reject", "reason": "x"})
    assert response.status_code == 404
    declaration.refresh_from_db()
    assert declaration.state == "declared"


def test_list_query_count_does_not_grow_with_rows(
    world: World, django_assert_max_num_queries
) -> None:  # type: ignore[no-untyped-def]
    for n in range(12):
        declare(world, vehicle_plate=f"29C-300.{n:02d}")
    client = client_for(world.owner)
    with django_assert_max_num_queries(8):
        response = client.get(URL)
    assert response.json()["count"] == 12


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (
            {
                "name": "X",
                "country": "VN",
                "tax_code": "0100107519",
                "compliance_class": "moderate",
            },
            "tax_code",
        ),
        (
            {
                "name": "X",
                "country": "CN",
                "tax_code": "911100001000013223",
                "compliance_class": "moderate",
            },
            "tax_code",
        ),
        (
            {"name": "X", "country": "VN", "tax_code": "0100109106", "compliance_class": "great"},
            "compliance_class",
        ),
    ],
)
def test_malformed_enterprise_is_refused_naming_the_field(
    world: World, body: dict, field: str
) -> None:
    before = Enterprise.objects.count()
    response = client_for(world.board).post("/api/v1/enterprises/", body, format="json")
    assert response.status_code == 400
    assert field in response.json()["error"]["fields"]
    assert Enterprise.objects.count() == before


def test_enterprise_tax_code_is_stored_normalised(world: World) -> None:
    body = {
        "name": "Chi nhánh",
        "country": "VN",
        "tax_code": "0100112437 001",
        "compliance_class": "priority",
    }
    response = client_for(world.board).post("/api/v1/enterprises/", body, format="json")
    assert response.status_code == 201, response.json()
    assert Enterprise.objects.get(pk=response.json()["id"]).tax_code == "0100112437001"


def test_bad_phone_on_a_new_driver_is_refused(world: World) -> None:
    body = {
        "full_name": "Lê Văn C",
        "id_document_type": "cccd",
        "id_document_number": "001099999999",
        "phone": "12345",
        "preferred_language": "vi",
    }
    response = client_for(world.owner).post("/api/v1/drivers/", body, format="json")
    assert response.status_code == 400 and "phone" in response.json()["error"]["fields"]


def test_web_list_query_count_does_not_grow_with_rows(
    world: World, client, django_assert_max_num_queries
) -> None:  # type: ignore[no-untyped-def]
    for n in range(15):
        declare(world, vehicle_plate=f"29C-400.{n:02d}")
    client.force_login(world.owner)
    with django_assert_max_num_queries(10):
        response = client.get("/declarations/")
    html = response.content.decode()
    assert all(ref in html for ref in Declaration.objects.values_list("reference", flat=True))


def test_amending_the_arrival_and_driver_and_refusing_frozen_fields(world) -> None:  # type: ignore[no-untyped-def]
    """Issue 12, finding 10: planned_arrival was answered 200 and ignored."""
    from datetime import timedelta

    from django.utils import timezone

    from audit.models import AuditEvent
    from conftest import client_for
    from cuakhau.testing import declare
    from shipments.models import Declaration, Driver

    declaration = declare(world)
    api = client_for(world.owner)
    url = f"/api/v1/declarations/{declaration.reference}/amend/"
    second = Driver.objects.create(
        enterprise=world.owner_enterprise,
        full_name="Trần Văn Bình",
        id_document_type=world.owner_driver.id_document_type,
        id_document_number="079200001234",
        phone="+84912345679",
    )
    later = (timezone.now() + timedelta(days=2)).replace(microsecond=0)
    done = api.post(url, {"planned_arrival": later.isoformat(), "driver": second.pk}, format="json")
    assert done.status_code == 200, done.content
    declaration.refresh_from_db()
    assert declaration.planned_arrival == later and declaration.driver_id == second.pk
    before = AuditEvent.objects.count()
    for body in ({"gate": "chi-ma"}, {"vehicle_plate": "29C-000.01"}, {"nonsense": 1}):
        refused = api.post(url, body, format="json")
        assert refused.status_code == 400, body
        assert set(body) <= set(refused.json()["error"]["fields"]), refused.json()
    outsider = client_for(world.outsider).post(url, {"driver": second.pk}, format="json")
    assert outsider.status_code in (403, 404)
    past = api.post(url, {"planned_arrival": "2020-01-01T08:00:00+07:00"}, format="json")
    assert past.status_code == 400 and "planned_arrival" in past.json()["error"]["fields"]
    assert AuditEvent.objects.count() == before
    assert Declaration.objects.get(pk=declaration.pk).planned_arrival == later


def test_the_trailer_is_amended_on_the_page_and_by_the_api(world) -> None:  # type: ignore[no-untyped-def]
    """Issue 12, finding 10: the trailer (and driver, arrival) could not change before arrival
    on the page; a plate of another enterprise is refused by name."""
    from datetime import timedelta

    from django.test import Client
    from django.utils import timezone

    from conftest import client_for
    from cuakhau.testing import declare
    from shipments.models import Declaration

    declaration = declare(world)
    assert declaration.trailer is None
    web = Client()
    web.force_login(world.owner)
    url = f"/declarations/{declaration.reference}/amend/"
    later = timezone.localtime(timezone.now() + timedelta(days=3)).replace(second=0, microsecond=0)
    done = web.post(
        url,
        {
            "container": declaration.container,
            "delivery": declaration.delivery,
            "planned_arrival": later.strftime("%Y-%m-%dT%H:%M"),
            "driver": declaration.driver_id,
            "trailer_plate": "29r 01234",
        },
    )
    assert done.status_code == 302, done.content.decode()[:500]
    declaration.refresh_from_db()
    assert declaration.trailer is not None and declaration.trailer.plate == "29R-012.34"
    assert declaration.planned_arrival == later
    # The outsider's truck is not ours to hitch: refused by name, nothing changed.
    refused = web.post(
        url,
        {
            "container": declaration.container,
            "delivery": declaration.delivery,
            "trailer_plate": world.outsider_vehicle.plate,
        },
    )
    assert refused.status_code == 400
    assert 'data-field="trailer_plate"' in refused.content.decode()
    assert Declaration.objects.get(pk=declaration.pk).trailer.plate == "29R-012.34"
    bad_time = web.post(
        url,
        {"container": "", "delivery": declaration.delivery, "planned_arrival": "ngày mai"},
    )
    assert (
        bad_time.status_code == 400 and 'data-field="planned_arrival"' in bad_time.content.decode()
    )
    # The API removes it with an empty plate.
    api = client_for(world.owner)
    gone = api.post(
        f"/api/v1/declarations/{declaration.reference}/amend/", {"trailer_plate": ""}, format="json"
    )
    assert gone.status_code == 200, gone.content
    assert Declaration.objects.get(pk=declaration.pk).trailer is None


def test_an_implausible_weight_is_flagged_until_confirmed(world) -> None:  # type: ignore[no-untyped-def]
    """Issue 12, finding 2: flag 15 kg of durian in a 40 ft container (a "15.000" read as 15)."""
    from decimal import Decimal

    import pytest

    from cuakhau.errors import InvalidInput
    from cuakhau.testing import declaration_input
    from shipments import services
    from shipments.models import Declaration

    light = [
        services.LineInput(commodity="durian", weight_kg="15", value_usd="45000", **FRUIT_CODES)
    ]
    with pytest.raises(InvalidInput) as flagged:
        services.do_create_declaration(
            actor=world.owner, data=declaration_input(world, container="40ft", lines=light)
        )
    assert {"lines[0].weight_kg", "confirm_unusual"} <= set(flagged.value.fields)
    assert not Declaration.objects.exists()
    heavy = [
        services.LineInput(commodity="durian", weight_kg="52000", value_usd="45000", **FRUIT_CODES)
    ]
    with pytest.raises(InvalidInput):
        services.do_create_declaration(
            actor=world.owner, data=declaration_input(world, container="", lines=heavy)
        )
    confirmed = services.do_create_declaration(
        actor=world.owner,
        data=declaration_input(world, container="40ft", lines=light, confirm_unusual=True),
    )
    assert confirmed.lines.get().weight_kg == 15
    # The warning the declarant confirmed is recorded with the declaration.
    from audit.models import AuditEvent

    created = AuditEvent.objects.get(action="declaration.created", object_id=str(confirmed.pk))
    assert created.after["weight_confirmed"].startswith("15 kg")  # as the declarant saw it
    # Issue 24, finding 3: without a container, 15 kg of dragon fruit for a whole truck passed
    # silently. It is flagged the same way.
    loose = [
        services.LineInput(
            commodity="dragon-fruit", weight_kg="15", value_usd="13000", **FRUIT_CODES
        )
    ]
    with pytest.raises(InvalidInput) as no_container:
        services.do_create_declaration(
            actor=world.owner,
            data=declaration_input(world, container="", lines=loose, vehicle_plate="29C-555.01"),
        )
    assert "confirm_unusual" in no_container.value.fields
    assert "15 kg" in no_container.value.fields["lines[0].weight_kg"][0]
    # Usual loads pass without a word.
    assert services.unusual_weight("40ft", [Decimal(18000)]) == ""
    assert services.unusual_weight("", [Decimal(15000)]) == ""
    assert services.unusual_weight("", [Decimal(99)]) != ""


def test_the_page_asks_to_confirm_an_implausible_weight(world) -> None:  # type: ignore[no-untyped-def]
    from django.test import Client

    from cuakhau.testing import declaration_payload
    from shipments.models import Declaration

    payload = declaration_payload(world)
    web = Client()
    web.force_login(world.owner)
    form = {
        "direction": payload["direction"],
        "gate_route": f"{payload['gate']}/{payload.get('route', '')}".rstrip("/"),
        "vehicle_plate": payload["vehicle_plate"],
        "driver": payload["driver"],
        "origin_province": payload.get("origin_province", ""),
        "planned_arrival": payload["planned_arrival"][:16],
        "container": "40ft",
        "delivery": "border",
        "lines-0-commodity": "durian",
        "lines-0-weight_kg": "15",
        "lines-0-value_usd": "45.000",
        "lines-0-puc_code": FRUIT_CODES["puc_code"],
        "lines-0-phc_code": FRUIT_CODES["phc_code"],
    }
    refused = web.post("/declarations/new/", form)
    assert refused.status_code == 400
    html = refused.content.decode()
    assert 'name="confirm_unusual"' in html and 'data-field="confirm_unusual"' in html
    assert not Declaration.objects.exists()
    done = web.post("/declarations/new/", form | {"confirm_unusual": "on"})
    assert done.status_code == 302, done.content.decode()[:300]
    assert Declaration.objects.get().lines.get().weight_kg == 15
