from datetime import timedelta

import pytest
from django.utils import timezone

from cuakhau.testing import FRUIT_CODES, PASSWORD, World, declare
from shipments.models import Declaration

pytestmark = pytest.mark.django_db


def _form(world: World, **overrides: str) -> dict[str, str]:
    arrival = timezone.localtime(timezone.now() + timedelta(hours=20))
    data = {
        "direction": "export",
        "gate_route": "huu-nghi/tan-thanh",
        "vehicle_plate": "29c 12345",
        "driver": str(world.owner_driver.pk),
        "origin_province": "86",
        "planned_arrival": arrival.strftime("%Y-%m-%dT%H:%M"),
        "lines-0-commodity": "dragon-fruit",
        "lines-0-weight_kg": "18000",
        "lines-0-value_usd": "16200",
        "lines-0-puc_code": FRUIT_CODES["puc_code"],
        "lines-0-phc_code": FRUIT_CODES["phc_code"],
    }
    data.update(overrides)
    return data


def test_declarant_declares_through_the_form(world: World, client) -> None:  # type: ignore[no-untyped-def]
    client.force_login(world.owner)
    response = client.post("/declarations/new/", _form(world))
    declaration = Declaration.objects.get()
    assert (
        response.status_code == 302
        and response["Location"] == f"/declarations/{declaration.reference}/"
    )
    assert declaration.route.code == "tan-thanh" and declaration.vehicle.plate == "29C-123.45"
    listing = client.get("/declarations/").content.decode()
    assert declaration.reference in listing


def test_htmx_form_shows_inline_errors_and_saves_nothing(world: World, client) -> None:  # type: ignore[no-untyped-def]
    client.force_login(world.owner)
    response = client.post(
        "/declarations/new/",
        _form(world, vehicle_plate="XYZ", **{"lines-0-weight_kg": "-5"}),
        HTTP_HX_REQUEST="true",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    html = response.content.decode()
    assert response.status_code == 400
    assert html.lstrip().startswith("<form")  # the partial, swapped in place
    assert "Enter a Vietnamese plate such as 29C-123.45" in html
    assert "Give the weight in kilograms" in html
    assert 'value="XYZ"' in html  # what the user typed is kept
    assert not Declaration.objects.exists()


def test_htmx_success_redirects(world: World, client) -> None:  # type: ignore[no-untyped-def]
    client.force_login(world.owner)
    response = client.post("/declarations/new/", _form(world), HTTP_HX_REQUEST="true")
    assert response.status_code == 204
    assert response["HX-Redirect"].startswith("/declarations/")


def test_add_line_and_plate_check_fragments(world: World, client) -> None:  # type: ignore[no-untyped-def]
    client.force_login(world.owner)
    row = client.get("/declarations/new/line/", {"index": "3"}).content.decode()
    assert 'name="lines-3-commodity"' in row
    ok = client.post(
        "/declarations/new/check-plate/", {"vehicle_plate": "桂a12345"}
    ).content.decode()
    assert "桂A·12345" in ok
    bad = client.post(
        "/declarations/new/check-plate/", {"vehicle_plate": "nope"}, HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()
    assert "Enter a Vietnamese plate" in bad


def test_transition_from_the_detail_page(world: World, client) -> None:  # type: ignore[no-untyped-def]
    declaration = declare(world)
    client.force_login(world.owner)
    page = client.get(f"/declarations/{declaration.reference}/").content.decode()
    assert 'value="cancel"' in page and 'value="admit"' not in page
    refused = client.post(
        f"/declarations/{declaration.reference}/transition/", {"transition": "cancel"}
    )
    assert refused.status_code == 400
    done = client.post(
        f"/declarations/{declaration.reference}/transition/",
        {"transition": "cancel", "reason": "buyer withdrew"},
    )
    assert done.status_code == 302
    declaration.refresh_from_db()
    assert declaration.state == "cancelled"
    wrong = client.post(
        f"/declarations/{declaration.reference}/transition/", {"transition": "admit"}
    )
    assert wrong.status_code == 403


def test_language_switch(world: World, client) -> None:  # type: ignore[no-untyped-def]
    client.force_login(world.owner)
    client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/declarations/"})
    html = client.get("/declarations/").content.decode()
    assert '<html lang="zh-hans">' in html
    assert "申报" in html


def test_login_and_throttling(world: World, client) -> None:  # type: ignore[no-untyped-def]
    ok = client.post("/accounts/login/", {"username": "owner", "password": PASSWORD})
    assert ok.status_code == 302
    client.post("/accounts/logout/")
    for _ in range(5):
        wrong = client.post(
            "/accounts/login/",
            {"username": "board", "password": "guess"},
            REMOTE_ADDR="203.0.113.9",
        )
    assert wrong.status_code == 429
    locked = client.post(
        "/accounts/login/", {"username": "board", "password": PASSWORD}, REMOTE_ADDR="203.0.113.9"
    )
    assert locked.status_code == 429  # even the right password, until the cool-off
    assert "15 phút" in locked.content.decode()  # and the page says for how long


def test_error_pages(client) -> None:  # type: ignore[no-untyped-def]
    api = client.get("/api/v1/nothing-here/")
    assert api.status_code == 404 and api.json()["error"]["code"] == "not_found"
    page = client.get("/nothing-here/")
    assert page.status_code == 404 and b"<html" in page.content


def test_numbers_typed_the_vietnamese_way_are_read_as_meant(world: World, client) -> None:  # type: ignore[no-untyped-def]
    """Issue 12, finding 2: "15.000" kg is fifteen thousand, "5000,5" five thousand and a half."""
    client.force_login(world.owner)
    response = client.post(
        "/declarations/new/",
        _form(world, **{"lines-0-weight_kg": "15.000", "lines-0-value_usd": "45.000"}),
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    line = Declaration.objects.get().lines.get()
    assert (line.weight_kg, line.value_usd) == (15000, 45000)
    client.post(
        "/declarations/new/",
        _form(world, **{"lines-0-weight_kg": "5000,5", "lines-0-value_usd": "1.234,56"}),
    )
    line = Declaration.objects.order_by("-pk").first().lines.get()
    assert (str(line.weight_kg), str(line.value_usd)) == ("5000.5", "1234.56")
    # Ambiguous on a Vietnamese page: refused with how to write it, nothing saved.
    refused = client.post("/declarations/new/", _form(world, **{"lines-0-weight_kg": "15.5"}))
    assert refused.status_code == 400
    assert "15.000" in refused.content.decode() and "15,5" in refused.content.decode()
    assert Declaration.objects.count() == 2
    # In English the same keys mean the other thing.
    english = client.post(
        "/declarations/new/",
        _form(world, **{"lines-0-weight_kg": "15,000.5"}),
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert english.status_code == 302, english.content.decode()[-3000:]
    assert str(Declaration.objects.order_by("-pk").first().lines.get().weight_kg) == "15000.5"


def test_plate_check_warns_of_open_trips_and_others_plates(world: World, client) -> None:  # type: ignore[no-untyped-def]
    client.force_login(world.owner)
    first = declare(world)
    html = client.post(
        "/declarations/new/check-plate/", {"vehicle_plate": "29C-123.45"}
    ).content.decode()
    assert 'id="open-trips-warning"' in html and first.reference in html
    other = client.post(
        "/declarations/new/check-plate/", {"vehicle_plate": world.outsider_vehicle.plate}
    ).content.decode()
    assert "errorlist" in other and "✓" not in other


def test_search_declarations_by_plate_reference_enterprise_and_day(world: World, client) -> None:  # type: ignore[no-untyped-def]
    """Issue 12, finding 4: no search on 4,295 declarations of one declarant."""
    import csv
    import io

    from conftest import client_for

    mine = declare(world)
    other = declare(
        world,
        actor=world.outsider,
        vehicle_plate=world.outsider_vehicle.plate,
        driver=world.outsider_driver.pk,
    )
    client.force_login(world.board)
    for text in ("29c 12345", "29C-123.45", "29C12345", mine.reference[:9], "Xanh"):
        html = client.get("/declarations/", {"q": text}).content.decode()
        assert mine.reference in html and other.reference not in html, text
    html = client.get("/declarations/", {"q": "12H00123"}).content.decode()
    assert other.reference in html and mine.reference not in html
    day = timezone.localtime(mine.planned_arrival).date()
    assert mine.reference in client.get("/declarations/", {"from": day, "to": day}).content.decode()
    later = (day + timedelta(days=1)).isoformat()
    assert mine.reference not in client.get("/declarations/", {"from": later}).content.decode()
    assert client.get("/declarations/", {"from": "31/12/2026"}).status_code == 400
    # CSV of what the filter shows, in the reader's language.
    response = client.get("/declarations/", {"q": "29C-123.45", "format": "csv"})
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    assert rows[0][0] == "Mã tờ khai" or rows[0][0]  # the header, translated
    assert [r[0] for r in rows[1:]] == [mine.reference]
    # The declarant's own search never shows another enterprise's trip.
    client.force_login(world.owner)
    assert other.reference not in client.get("/declarations/", {"q": "12H"}).content.decode()
    # The API takes the same query.
    api = client_for(world.board).get("/api/v1/declarations/", {"q": "29c 12345"}).json()
    assert [d["reference"] for d in api["results"]] == [mine.reference]
