"""Issue 11, findings 4 and 6: bad input is a clear 4xx naming the field, never a 500."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from clearance.models import SelectivityRule
from conftest import client_for
from cuakhau.testing import World, declare
from shipments.models import Declaration, Vehicle

pytestmark = pytest.mark.django_db


def _json(client: Any, url: str, body: str) -> Any:
    return client.generic("POST", url, body.encode("utf-8", "surrogatepass"), "application/json")


@pytest.mark.parametrize(
    "url",
    [
        "/fees/v/%00/",
        "/?q=%00",
        "/flow/board/?gate=huu%00nghi",
        "/api/v1/gates/?code=%E2%80%AEhuu",  # right-to-left override
        "/api/v1/gates/%00/",
    ],
)
def test_nul_and_bidi_in_path_or_query_are_refused(url: str) -> None:
    response = Client(raise_request_exception=False).get(url, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400, response.content[:300]


def test_refusals_name_the_field_in_the_users_language(world: World) -> None:
    api = client_for(world.owner)
    response = api.get("/api/v1/declarations/?state=%00", HTTP_ACCEPT_LANGUAGE="vi")
    assert response.status_code == 400
    error = response.json()["error"]
    assert "state" in error["fields"] and "NUL" in error["fields"]["state"][0]
    assert error["message"].startswith("Yêu cầu có lỗi")


@pytest.mark.parametrize(
    "body",
    [
        "[" * 5000 + "]" * 5000,
        '{"a": ' + "[" * 40 + "1" + "]" * 40 + "}",  # deeper than 32, short of Python's limit
        '{"direction": "\\ud800"}',
        '{"direction": "export\\u0000"}',
        '{"notes": "abc\\u202edef"}',
        '{"\\u0000": 1}',
    ],
)
def test_bad_json_is_refused_before_any_view(world: World, body: str) -> None:
    response = _json(client_for(world.owner), "/api/v1/declarations/", body)
    assert response.status_code == 400, response.content[:300]
    assert response.json()["error"]["fields"]
    assert not Declaration.objects.exists()


def test_a_nul_in_a_web_form_changes_nothing(world: World) -> None:
    web = Client()
    web.force_login(world.owner)
    response = web.post(
        "/declarations/new/",
        {"direction": "export", "vehicle_plate": "29C\x00-123.45"},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 400
    assert "vehicle_plate" in response.content.decode()
    assert not Declaration.objects.exists()


def test_limit_and_offset_are_bounded(world: World) -> None:
    for _ in range(3):
        declare(world)
    api = client_for(world.owner)
    assert api.get("/api/v1/declarations/?limit=9223372036854775808").status_code == 200
    capped = client_for(world.board).get("/api/v1/declarations/?limit=100000").json()
    assert capped["count"] == 3
    assert "limit=500" in (capped["next"] or "limit=500")
    for bad in ("offset=9223372036854775808", "offset=-1", "limit=1e3", "limit=%D9%A1"):
        response = api.get(f"/api/v1/declarations/?{bad}")
        assert response.status_code == 400, (bad, response.content[:200])


def test_days_and_numeric_codes_are_bounded(world: World) -> None:
    board = client_for(world.board)
    assert board.get("/api/v1/reconciliation/?days=99999999999999999999").status_code == 400
    assert board.get("/api/v1/reconciliation/?days=30").status_code == 200
    web = Client()
    web.force_login(world.board)
    assert web.get("/fees/reconciliation/?days=99999999999999999999").status_code == 400
    preview = _json(
        client_for(world.customs_admin),
        "/api/v1/selectivity-rules/preview/",
        json.dumps({"code": 5, "description": "x", "channel": "red", "rate": "0.1"}),
    )
    assert preview.status_code in (200, 400), preview.content[:300]


@pytest.mark.parametrize("plate", ["２９C-１２３.４５", "٢٩C-١٢٣.٤٥", "२९C-१२३.४५"])
def test_plates_in_other_digits_are_the_same_plate(world: World, plate: str) -> None:
    """A second enterprise cannot register 29C-123.45 again by typing other digits."""
    response = _json(
        client_for(world.outsider),
        "/api/v1/vehicles/",
        json.dumps({"plate": plate, "country": "VN", "kind": "truck"}),
    )
    assert response.status_code == 409, response.content[:300]
    assert Vehicle.objects.filter(plate__contains="C-").count() == 1


def test_hs_prefixes_in_other_digits_match_the_same_goods(world: World) -> None:
    response = _json(
        client_for(world.customs_admin),
        "/api/v1/selectivity-rules/",
        json.dumps(
            {
                "code": "fullwidth",
                "description": "Fruit",
                "channel": "red",
                "rate": "0.1",
                "hs_prefixes": ["０８１０"],
            }
        ),
    )
    assert response.status_code == 201, response.content[:300]
    assert SelectivityRule.objects.get(code="fullwidth").hs_prefixes == ["0810"]


@pytest.mark.parametrize(
    "arrival",
    [
        "9999-12-31T23:59:59+14:00",
        "0001-01-01T00:00:00+14:00",
        "0001-01-01T00:00:00-14:00",
        "2026-12-02T08:00:00+23:59",  # beyond what PostgreSQL accepts as an offset
    ],
)
def test_dates_and_offsets_out_of_range_are_a_4xx(world: World, arrival: str) -> None:
    from cuakhau.testing import declaration_payload

    body = {**declaration_payload(world), "planned_arrival": arrival}
    response = _json(client_for(world.owner), "/api/v1/declarations/", json.dumps(body))
    assert response.status_code == 400, response.content[:300]
    assert "planned_arrival" in response.json()["error"]["fields"]
    assert not Declaration.objects.exists()


def test_revenue_and_reconciliation_dates_far_away_are_a_4xx(world: World) -> None:
    """/fees/revenue/?start=9999-12-31&end=9999-12-31 was a 500 (a day after the last day)."""
    board = client_for(world.board)
    web = Client()
    web.force_login(world.board)
    for query in ("start=9999-12-31&end=9999-12-31", "start=0001-01-01&end=0001-01-02"):
        api = board.get(f"/api/v1/revenue/?{query}")
        assert api.status_code == 400 and "start" in api.json()["error"]["fields"], query
        assert web.get(f"/fees/revenue/?{query}").status_code == 400, query
        assert web.get(f"/fees/revenue/?{query}&format=csv").status_code == 400, query
    assert web.get("/fees/revenue/?start=2026-11-01&end=2026-11-30").status_code == 200


@pytest.mark.parametrize(
    "moment",
    ["0779-04-13T18:42:48.468+19:58", "2026-12-01T08:00:00+15:00", "2150-01-01T00:00:00Z"],
)
def test_datetime_filters_out_of_bounds_are_a_4xx(world: World, moment: str) -> None:
    """Found by schemathesis on PostgreSQL: ?arrival_after with a +19:58 offset was a 500."""
    declare(world)
    api = client_for(world.owner)
    for name in ("arrival_after", "arrival_before"):
        response = api.get("/api/v1/declarations/", {name: moment})
        assert response.status_code == 400, (name, response.content[:300])
        assert name in response.json()["error"]["fields"]
    ok = api.get("/api/v1/declarations/", {"arrival_after": "2026-11-01T00:00:00+07:00"})
    assert ok.status_code == 200 and ok.json()["count"] == 1


@pytest.mark.parametrize(
    ("language", "expected"),
    [(None, "Đăng nhập"), ("vi", "Đăng nhập"), ("en", "Log in"), ("zh-CN", "登录")],
)
def test_the_api_refuses_an_anonymous_caller_in_their_language(
    db: None, language: str | None, expected: str
) -> None:
    """Issue 12, finding 12: with no Accept-Language (Vietnamese by default) the 401 was English."""
    headers = {"HTTP_ACCEPT_LANGUAGE": language} if language else {}
    response = Client().get("/api/v1/declarations/", **headers)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"
    assert expected in response.json()["error"]["message"]
