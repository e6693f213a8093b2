"""The clearance section of the declaration page and its forms, as officers use them."""

from __future__ import annotations

import pytest
from django.test import Client

from clearance.choices import Agency, CheckStatus
from clearance.models import Check
from cuakhau.testing import World, declare, record_channel, walk_to
from shipments.choices import TruckState

pytestmark = pytest.mark.django_db


def _page(user: object, reference: str) -> str:
    web = Client()
    web.force_login(user)  # type: ignore[arg-type]
    response = web.get(f"/declarations/{reference}/")
    assert response.status_code == 200
    return response.content.decode()


def test_each_officer_sees_a_form_for_their_own_check_only(world: World) -> None:
    declaration = walk_to(declare(world), world, TruckState.ARRIVED)
    quarantine = Check.objects.get(declaration=declaration, agency=Agency.PLANT_QUARANTINE)
    guard = Check.objects.get(declaration=declaration, agency=Agency.BORDER_GUARD)
    page = _page(world.quarantine_hn, declaration.reference)
    assert f"/checks/{quarantine.pk}/inspect/" in page
    assert f"/checks/{guard.pk}/inspect/" not in page
    assert 'id="record-channel"' not in page
    owner_page = _page(world.owner, declaration.reference)
    assert "/inspect/" not in owner_page
    assert 'id="channel"' in owner_page
    assert 'id="risk-advice"' not in owner_page
    # The truck is in the yard: only customs records or changes its channel now, and sees
    # cuakhau's own risk advice beside it, never labelled the channel.
    assert 'id="record-channel"' not in owner_page
    assert 'id="record-channel"' in _page(world.owner, declare(world).reference)
    customs_page = _page(world.customs_hn, declaration.reference)
    assert 'id="record-channel"' in customs_page
    assert 'id="risk-advice"' in customs_page
    assert "không phải là luồng" in customs_page
    # The checklist names the phytosanitary certificate for fruit.
    assert "Giấy chứng nhận kiểm dịch thực vật" in owner_page
    # Not the yard operator's business, and not a driver's.
    assert "clearance-panel" not in _page(world.yard_hn, declaration.reference)
    assert "clearance-panel" not in _page(world.driver_user, declaration.reference)


def test_recording_through_the_page_and_a_refusal_in_place(world: World) -> None:
    declaration = walk_to(declare(world), world, TruckState.ARRIVED)
    check = Check.objects.get(declaration=declaration, agency=Agency.PLANT_QUARANTINE)
    web = Client()
    web.force_login(world.quarantine_hn)
    url = f"/clearance/declarations/{declaration.reference}/checks/{check.pk}/inspect/"
    refused = web.post(url, {"result": "fail", "notes": ""}, HTTP_HX_REQUEST="true")
    assert refused.status_code == 400
    body = refused.content.decode()
    assert 'id="clearance-panel"' in body and 'data-field="notes"' in body
    check.refresh_from_db()
    assert check.status == CheckStatus.OPEN
    bad_time = web.post(url, {"result": "pass", "started_at": "yesterday-ish"})
    assert bad_time.status_code == 400
    assert 'data-field="started_at"' in bad_time.content.decode()
    done = web.post(url, {"result": "pass", "sample_taken": "on"}, HTTP_HX_REQUEST="true")
    assert done.status_code == 204
    assert done["HX-Redirect"] == f"/declarations/{declaration.reference}/"
    check.refresh_from_db()
    assert check.status == CheckStatus.PASSED
    assert check.inspections.get().sample_taken is True


def test_board_switches_checks_on_the_rules_page(world: World) -> None:
    web = Client()
    web.force_login(world.board)
    page = web.get("/clearance/rules/").content.decode()
    assert "/clearance/rules/health/switch/" in page
    refused = web.post("/clearance/rules/health/switch/", {"active": "1", "reason": ""})
    assert refused.status_code == 400
    done = web.post("/clearance/rules/health/switch/", {"active": "1", "reason": "epidemic"})
    assert done.status_code == 302
    web.force_login(world.customs_hn)
    assert "/switch/" not in web.get("/clearance/rules/").content.decode()
    assert (
        web.post("/clearance/rules/health/switch/", {"active": "0", "reason": "x"}).status_code
        == 403
    )


def test_customs_widens_a_red_inspection_from_the_page(world: World) -> None:
    declaration = walk_to(declare(world), world, TruckState.ARRIVED)
    record_channel(declaration, world, "3")
    check = Check.objects.get(declaration=declaration, agency=Agency.CUSTOMS, status="open")
    url = f"/clearance/declarations/{declaration.reference}/checks/{check.pk}/escalate/"
    assert url in _page(world.customs_hn, declaration.reference)
    assert url not in _page(world.quarantine_hn, declaration.reference)
    web = Client()
    web.force_login(world.customs_hn)
    refused = web.post(url, {"reason": ""}, HTTP_HX_REQUEST="true")
    assert refused.status_code == 400 and 'data-field="reason"' in refused.content.decode()
    done = web.post(url, {"reason": "Seals broken"}, HTTP_HX_REQUEST="true")
    assert done.status_code == 204
    check.refresh_from_db()
    assert check.kind == "full_inspection"
