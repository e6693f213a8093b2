"""Issue 11, findings 1 and 8: one policy layer; the web form, the API, the button and the
service give the same answer."""

from __future__ import annotations

import pytest
from django.test import Client

from accounts import policy
from accounts.choices import Role
from clearance.models import CheckRule
from conftest import client_for
from cuakhau.errors import NotAllowed, NotFound
from cuakhau.testing import World, _user, declare, walk_to
from flow import policy as flow_rules
from flow import services as flow
from flow.choices import BookingStatus
from flow.models import Booking
from flow.tests.conftest import open_hour
from shipments import lifecycle
from shipments.choices import TruckState
from shipments.models import Declaration

pytestmark = pytest.mark.django_db


def _booked(world: World) -> Declaration:
    declaration = declare(world)
    flow.do_book(
        actor=world.owner, reference=declaration.reference, starts_at=open_hour(declaration)
    )
    return declaration


def _officers(world: World) -> dict[str, object]:
    health = _user("health_hn", Role.HEALTH, gates=[world.gates["huu-nghi"]])
    return {
        "yard_hn": world.yard_hn,
        "customs_hn": world.customs_hn,
        "quarantine_hn": world.quarantine_hn,
        "guard_hn": world.guard_hn,
        "health_hn": health,
        "board": world.board,
        "outsider": world.outsider,
        "driver": world.driver_user,
    }


@pytest.mark.parametrize("action", ["cancel", "rebook", "book"])
def test_no_one_but_the_enterprise_changes_its_booking_through_the_web_form(
    world: World, action: str
) -> None:
    declaration = _booked(world)
    booking = Booking.objects.get(declaration=declaration, status=BookingStatus.ACTIVE)
    later = open_hour(declaration, after_hours=5).isoformat()
    for name, user in _officers(world).items():
        web = Client()
        web.force_login(user)
        response = web.post(
            f"/flow/declarations/{declaration.reference}/booking/",
            {"action": action, "reason": "x", "starts_at": later},
        )
        assert response.status_code in (403, 404), (name, response.status_code)
        booking.refresh_from_db()
        assert booking.status == BookingStatus.ACTIVE, name
        api = client_for(user).post(
            f"/api/v1/bookings/{declaration.reference}/cancel/", {"reason": "x"}, format="json"
        )
        assert api.status_code in (403, 404), (name, api.status_code)
    # The button agrees: only the owner sees "cancel".
    page = Client()
    page.force_login(world.customs_hn)
    assert (
        'value="cancel"' not in page.get(f"/declarations/{declaration.reference}/").content.decode()
    )
    page.force_login(world.owner)
    assert 'value="cancel"' in page.get(f"/declarations/{declaration.reference}/").content.decode()
    owner = Client()
    owner.force_login(world.owner)
    done = owner.post(
        f"/flow/declarations/{declaration.reference}/booking/", {"action": "cancel", "reason": "x"}
    )
    assert done.status_code == 302
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CANCELLED


def test_an_agency_without_a_check_cannot_reject_the_truck(world: World) -> None:
    health = _officers(world)["health_hn"]
    declaration = walk_to(declare(world), world, TruckState.ARRIVED)
    assert not CheckRule.objects.get(code="health").is_active
    response = client_for(health).post(
        f"/api/v1/declarations/{declaration.reference}/transitions/",
        {"transition": "reject", "reason": "no reason at all"},
        format="json",
    )
    assert response.status_code == 403, response.content
    declaration.refresh_from_db()
    assert declaration.state == TruckState.ARRIVED
    assert "reject" not in {m.name for m in lifecycle.available_to(declaration, health)}
    # Quarantine has a check on this fruit truck, and customs always may.
    assert "reject" in {m.name for m in lifecycle.available_to(declaration, world.quarantine_hn)}
    assert "reject" in {m.name for m in lifecycle.available_to(declaration, world.customs_hn)}


def test_allows_require_and_restrict_agree(world: World) -> None:
    declaration = _booked(world)
    booking = Booking.objects.get(declaration=declaration)
    rule = flow_rules.CHANGE_BOOKING
    for user in [world.owner, *_officers(world).values()]:
        allowed = policy.allows(user, rule, booking)
        listed = policy.restrict(Booking.objects.all(), user, rule).filter(pk=booking.pk).exists()
        assert allowed == listed, user
        if allowed:
            policy.require(user, rule, booking)
        else:
            with pytest.raises((NotAllowed, NotFound)):
                policy.require(user, rule, booking)
    assert policy.allows(world.owner, rule, booking)
    booking.status = BookingStatus.CANCELLED
    assert not policy.allows(world.owner, rule, booking)


def test_a_rule_is_declared_once() -> None:
    with pytest.raises(ValueError, match="twice"):
        policy.rule("flow.book", roles={Role.BOARD}, refusal="x")
