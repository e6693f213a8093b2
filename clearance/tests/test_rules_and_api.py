"""Editing selectivity rules with a preview, and who may call each clearance endpoint."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from audit.models import AuditEvent
from clearance import services
from clearance.choices import Agency, CheckStatus
from clearance.models import Check, SelectivityRule
from conftest import client_for
from cuakhau.errors import Conflict, InvalidInput, NotAllowed
from cuakhau.testing import World, customs_number, declare, walk_to
from shipments.choices import TruckState
from shipments.models import Declaration
from shipments.services import LineInput

pytestmark = pytest.mark.django_db


def _rule(**overrides: Any) -> services.RuleInput:
    values: dict[str, Any] = {
        "code": "durian-red",
        "description": "Durian exports: all to red",
        "channel": "red",
        "rate": "1",
        "hs_prefixes": ["0810"],
        "directions": ["export"],
    }
    values.update(overrides)
    return services.RuleInput(**values)


def _history(world: World, n: int) -> list[Declaration]:
    made = []
    for i in range(n):
        made.append(declare(world, vehicle_plate=f"29C-{100 + i:03d}.{10 + i:02d}"))
    return made


def test_preview_shows_what_the_rule_would_have_done_without_saving(world: World) -> None:
    made = _history(world, 12)
    declare(
        world,
        vehicle_plate="29C-999.11",
        lines=[
            LineInput(
                commodity="hot-rolled-steel",
                hs_heading="7208",
                weight_kg="25000",
                value_usd="15000",
            )
        ],
    )
    old = declare(world, vehicle_plate="29C-999.22")
    Declaration.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=40))
    preview = services.preview_rule(actor=world.customs_admin, data=_rule())
    # The 12 fruit exports and the steel; the 40-day-old declaration is outside the window.
    assert preview.count == len(made) + 1
    # Every fruit export goes red; the steel keeps whatever the current rules gave it.
    assert preview.proposed.drawn["red"] >= len(made) / preview.count
    assert preview.proposed.expected["red"] >= len(made) / preview.count
    assert abs(sum(preview.proposed.drawn.values()) - 1) < 1e-9
    moved_to_red = sum(row["red"] for row in preview.changed_by_channel.values())
    assert moved_to_red >= len(made)
    assert preview.changed == sum(
        n
        for before, row in preview.changed_by_channel.items()
        for after, n in row.items()
        if before != after
    )
    assert not SelectivityRule.objects.filter(code="durian-red").exists()


def test_saving_a_rule_is_audited_and_applies_to_the_next_arrival(world: World) -> None:
    rule = services.do_save_rule(actor=world.customs_admin, data=_rule(), creating=True)
    assert rule.updated_by == world.customs_admin
    event = AuditEvent.objects.get(action="selectivity_rule.created")
    assert event.after["rate"] == "1"
    declaration = walk_to(declare(world), world, TruckState.ARRIVED)
    # The rule applies to cuakhau's advice; the legal channel is VNACCS's (none recorded).
    assert declaration.clearance.advised_channel == "red"
    assert declaration.clearance.channel == ""
    services.do_save_rule(
        actor=world.customs_admin, data=_rule(rate="0", is_active=False), creating=False
    )
    changed = AuditEvent.objects.get(action="selectivity_rule.changed")
    assert changed.before["is_active"] is True
    assert changed.after["is_active"] is False


def test_bad_rules_are_refused_field_by_field(world: World) -> None:
    cases = [
        (_rule(code="has space"), "code"),
        (_rule(code="random-red"), "code"),  # creating: the code is taken
        (_rule(description=""), "description"),
        (_rule(channel="green"), "channel"),
        (_rule(rate="1.5"), "rate"),
        (_rule(rate="abc"), "rate"),
        (_rule(rate="NaN"), "rate"),
        (_rule(rate="0.123456"), "rate"),
        (_rule(hs_prefixes=["8"]), "hs_prefixes"),
        (_rule(directions=["sideways"]), "directions"),
        (_rule(compliance_classes=["excellent"]), "compliance_classes"),
        (_rule(origin_provinces=["999"]), "origin_provinces"),
    ]
    for data, field in cases:
        with pytest.raises(InvalidInput) as info:
            services.do_save_rule(actor=world.customs_admin, data=data, creating=True)
        assert field in info.value.fields, (data, info.value.fields)
    assert not SelectivityRule.objects.filter(code="durian-red").exists()


def test_the_random_minimum_cannot_be_switched_off(world: World) -> None:
    for code in ("random-yellow", "random-post-audit"):
        rule = SelectivityRule.objects.get(code=code)
        services.do_save_rule(
            actor=world.customs_admin,
            data=_rule(
                code=code,
                description=rule.description,
                channel=rule.channel,
                rate="0",
                hs_prefixes=[],
                directions=[],
            ),
            creating=False,
        )
    with pytest.raises(Conflict) as info:
        services.do_save_rule(
            actor=world.customs_admin,
            data=_rule(
                code="random-red", description="off", rate="0.001", hs_prefixes=[], directions=[]
            ),
            creating=False,
        )
    assert info.value.code == "below_random_minimum"
    assert SelectivityRule.objects.get(code="random-red").rate > 0.001


def test_only_the_customs_administrator_edits_rules(world: World) -> None:
    for who in (world.customs_hn, world.board, world.owner, world.quarantine_hn):
        with pytest.raises(NotAllowed):
            services.do_save_rule(actor=who, data=_rule(), creating=True)
        with pytest.raises(NotAllowed):
            services.preview_rule(actor=who, data=_rule())


# --- the API (who may call each endpoint: cuakhau/tests/test_permissions.py) ------------------


def _arrived_fruit(world: World) -> Declaration:
    return walk_to(declare(world), world, TruckState.ARRIVED)


def test_api_records_the_vnaccs_channel_and_the_declarant_view(world: World) -> None:
    declaration = _arrived_fruit(world)
    ref = declaration.reference
    url = f"/api/v1/clearances/{ref}/channel/"
    number = customs_number()
    missing = client_for(world.customs_hn).post(url, {"customs_channel": "2"}, format="json")
    assert missing.status_code == 400
    assert "customs_declaration_number" in missing.json()["error"]["fields"]
    blue = client_for(world.customs_hn).post(
        url, {"customs_channel": "blue", "customs_declaration_number": number}, format="json"
    )
    assert blue.status_code == 400 and "customs_channel" in blue.json()["error"]["fields"]
    for who in (world.quarantine_hn, world.customs_cm, world.board, world.outsider):
        refused = client_for(who).post(
            url, {"customs_channel": "2", "customs_declaration_number": number}, format="json"
        )
        assert refused.status_code in (403, 404)
    # The truck is in the yard: the declarant no longer records its channel; customs does.
    late = client_for(world.owner).post(
        url,
        {"customs_channel": "2", "customs_declaration_number": number, "procedure_code": "B11"},
        format="json",
    )
    assert late.status_code == 403
    done = client_for(world.customs_hn).post(
        url,
        {"customs_channel": "2", "customs_declaration_number": number, "procedure_code": "B11"},
        format="json",
    )
    assert done.status_code == 200
    body = done.json()
    assert (body["declaration"], body["customs_channel"]) == (ref, "2")
    assert body["customs_declaration_number"] == number
    assert [
        (cd["number"], cd["procedure_code"], cd["channel"]) for cd in body["customs_declarations"]
    ] == [(number, "B11", "2")]
    mine = client_for(world.owner).get(f"/api/v1/clearances/{ref}/").json()
    assert mine["channel"] == "yellow"
    # The declarant learns the channel, not what cuakhau's risk rules advised or why.
    assert "explanation" not in mine and "advised_channel" not in mine
    assert {c["agency"] for c in mine["checks"]} >= {"customs", "plant_quarantine"}
    theirs = client_for(world.customs_hn).get(f"/api/v1/clearances/{ref}/").json()
    assert theirs["advised_channel"] in ("green", "yellow", "red")
    assert "explanation" in theirs
    declared = client_for(world.owner).get(f"/api/v1/declarations/{ref}/").json()
    assert declared["customs_channel"] == "2"


def test_api_inspection_errors_are_in_the_callers_language(world: World) -> None:
    declaration = _arrived_fruit(world)
    check = Check.objects.get(declaration=declaration, agency=Agency.PLANT_QUARANTINE)
    for language, word in (("en", "reason"), ("vi", "lý do"), ("zh-hans", "原因")):
        response = client_for(world.quarantine_hn).post(
            f"/api/v1/checks/{check.pk}/inspections/",
            {"result": "fail"},
            format="json",
            HTTP_ACCEPT_LANGUAGE=language,
        )
        assert response.status_code == 400
        assert word in response.json()["error"]["fields"]["notes"][0], language
    check.refresh_from_db()
    assert check.status == CheckStatus.OPEN


def test_selectivity_pages(world: World) -> None:
    web = Client()
    web.force_login(world.customs_admin)
    assert web.get("/clearance/selectivity/").status_code == 200
    assert web.get("/clearance/selectivity/random-red/").status_code == 200
    preview = web.post(
        "/clearance/selectivity/preview/",
        {"code": "p", "description": "x", "channel": "red", "rate": "0,5", "hs_prefixes": "08"},
    )
    assert preview.status_code == 200
    assert "preview-table" in preview.content.decode()
    bad = web.post(
        "/clearance/selectivity/new/",
        {"code": "p", "description": "x", "channel": "red", "rate": "2"},
    )
    assert bad.status_code == 400
    saved = web.post(
        "/clearance/selectivity/new/",
        {"code": "p", "description": "x", "channel": "red", "rate": "0,5", "is_active": "on"},
    )
    assert saved.status_code == 302
    assert SelectivityRule.objects.get(code="p").rate == 0.5
    web.force_login(world.customs_hn)
    assert web.get("/clearance/selectivity/").status_code == 200
    assert web.get("/clearance/selectivity/new/").status_code == 403
    web.force_login(world.owner)
    assert web.get("/clearance/selectivity/").status_code == 403


def test_an_existing_rule_saves_unchanged_in_vietnamese(world: World) -> None:
    """Issue 12, finding 2: a rate shown as "0,1500" in Vietnamese reads back unchanged."""
    rule = SelectivityRule.objects.filter(is_active=True).order_by("code").first()
    assert rule is not None
    before = (rule.rate, rule.channel, list(rule.hs_prefixes), rule.description)
    web = Client()
    web.force_login(world.customs_admin)
    page = web.get(f"/clearance/selectivity/{rule.code}/").content.decode()
    shown = re.search(r'name="rate" value="([^"]*)"', page)
    assert shown is not None
    assert "," in shown.group(1) or rule.rate == rule.rate.to_integral()  # Vietnamese decimals
    post = {
        "existing": rule.code,
        "code": rule.code,
        "description": rule.description,
        "channel": rule.channel,
        "rate": shown.group(1),
        "hs_prefixes": ", ".join(rule.hs_prefixes),
        "origin_provinces": ", ".join(str(p) for p in rule.origin_provinces),
        "compliance_classes": rule.compliance_classes,
        "directions": rule.directions,
        "is_active": "on",
    }
    if rule.value_outside_range:
        post["value_outside_range"] = "on"
    assert web.post("/clearance/selectivity/preview/", post).status_code == 200
    saved = web.post(f"/clearance/selectivity/{rule.code}/", post)
    assert saved.status_code in (200, 302), saved.content.decode()[:500]
    rule.refresh_from_db()
    assert (rule.rate, rule.channel, list(rule.hs_prefixes), rule.description) == before
    # "0.15" typed on a Vietnamese page is refused with how to write it, never read as 15.
    refused = web.post(f"/clearance/selectivity/{rule.code}/", {**post, "rate": "0.15"})
    assert refused.status_code == 400
    assert "15,5" in refused.content.decode()
    rule.refresh_from_db()
    assert rule.rate == before[0]
