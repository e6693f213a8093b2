"""A declaration's history shows its amendments and the channels recorded for its customs
declarations beside its steps (issue 24, finding 9)."""

from __future__ import annotations

import pytest
from django.test import Client
from django.utils import translation

from clearance import services as clearance
from cuakhau.testing import World, customs_number, declare
from shipments import services

pytestmark = pytest.mark.django_db


def test_amendments_and_channels_are_in_the_declarations_history(world: World) -> None:
    number = customs_number()
    trip = declare(world, customs_declaration_number=number, procedure_code="B11")
    services.do_amend_declaration(
        actor=world.owner,
        reference=trip.reference,
        data=services.AmendInput(container="40ft"),
    )
    clearance.do_record_customs_channel(actor=world.owner, reference=trip.reference, channel="2")
    with translation.override("en"):
        steps = [(e.step, e.by) for e in services.timeline(trip)]
    assert ("Amended: container", "user:owner") in steps
    assert (f"Customs declaration {number}: channel 2", "user:owner") in steps
    web = Client()
    web.force_login(world.owner)
    html = web.get(f"/declarations/{trip.reference}/").content.decode()
    assert f"{number}: " in html
    # Another enterprise's declarant sees none of it.
    web.force_login(world.outsider)
    assert web.get(f"/declarations/{trip.reference}/").status_code == 404
