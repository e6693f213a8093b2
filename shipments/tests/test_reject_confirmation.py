"""Issue 24, finding 9: turning a truck back took one click. It is asked again, saying what it
does, and nothing changes until it is confirmed; who may not reject is refused as before."""

from __future__ import annotations

import pytest
from django.test import Client

from cuakhau.testing import World, declare, walk_to
from shipments.choices import TruckState

pytestmark = pytest.mark.django_db


def test_rejecting_asks_once_more_then_turns_the_truck_back(world: World) -> None:
    trip = walk_to(declare(world), world, TruckState.ARRIVED)
    web = Client()
    web.force_login(world.customs_hn)
    url = f"/declarations/{trip.reference}/transition/"
    asked = web.post(
        url, {"transition": "reject", "reason": "Giấy tờ giả"}, HTTP_ACCEPT_LANGUAGE="vi"
    )
    assert asked.status_code == 200
    page = asked.content.decode()
    assert 'id="confirm-move"' in page and "Giấy tờ giả" in page
    assert 'name="confirmed" value="yes"' in page
    trip.refresh_from_db()
    assert trip.state == TruckState.ARRIVED
    done = web.post(url, {"transition": "reject", "reason": "Giấy tờ giả", "confirmed": "yes"})
    assert done.status_code == 302
    trip.refresh_from_db()
    assert trip.state == TruckState.REJECTED
    assert trip.history.get(transition="reject").reason == "Giấy tờ giả"


def test_who_may_not_reject_is_refused_without_being_asked(world: World) -> None:
    trip = walk_to(declare(world), world, TruckState.ARRIVED)
    web = Client()
    web.force_login(world.owner)
    answer = web.post(
        f"/declarations/{trip.reference}/transition/", {"transition": "reject", "reason": "x"}
    )
    assert answer.status_code in (400, 403, 409)
    assert 'id="confirm-move"' not in answer.content.decode()
    trip.refresh_from_db()
    assert trip.state == TruckState.ARRIVED
