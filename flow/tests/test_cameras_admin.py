"""Issue 12, finding 11: the board registers plate cameras, rotates their keys and switches them
off in the app (only the Django admin could), audited with a fingerprint, never the key."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from audit.models import AuditEvent
from cuakhau.errors import InvalidInput, NotAllowed
from cuakhau.signing import fingerprint
from cuakhau.testing import World
from flow import services
from flow.models import Device, PlateEvent
from flow.tests.test_yard_events import _post

pytestmark = pytest.mark.django_db


def _board(world: World) -> Client:
    client = Client()
    client.force_login(world.board)
    return client


def test_a_registered_camera_posts_with_the_key_shown_once_until_rotated_or_off(
    world: World,
) -> None:
    services._device_cache.clear()
    page = _board(world).post(
        "/flow/cameras/",
        {"action": "register", "code": "cam-hn-in-09", "gate": "huu-nghi", "kind": "gate_in"},
    )
    assert page.status_code == 200
    key = re.search(r'id="new-key">([^<]+)<', page.content.decode())
    assert key is not None
    device = Device.objects.get(code="cam-hn-in-09")
    assert device.secret == key.group(1)
    registered = AuditEvent.objects.get(action="flow.camera_registered")
    assert key.group(1) not in str(registered.after)
    assert registered.after["key"] == fingerprint(key.group(1))
    # The camera's signed post is taken.
    assert _post(
        device, [{"plate": "29C-123.45", "confidence": 0.9}], secret=key.group(1)
    ).status_code in (200, 201, 202)
    # After a rotation the old key is refused (once the half-minute device cache is gone).
    new = services.do_rotate_camera_key(actor=world.board, device_id=device.pk)
    services._device_cache.clear()
    assert new != key.group(1)
    assert _post(
        device, [{"plate": "29C-123.45", "confidence": 0.9}], secret=key.group(1)
    ).status_code in (401, 403)
    assert _post(device, [{"plate": "29C-123.45", "confidence": 0.9}], secret=new).status_code in (
        200,
        201,
        202,
    )
    # Switched off, nothing it sends is stored.
    assert (
        _board(world).post("/flow/cameras/", {"action": "off", "device": device.pk}).status_code
        == 302
    )
    services._device_cache.clear()
    stored = PlateEvent.objects.count()
    assert _post(device, [{"plate": "29C-123.45", "confidence": 0.9}], secret=new).status_code in (
        401,
        403,
    )
    assert PlateEvent.objects.count() == stored
    actions = list(
        AuditEvent.objects.filter(object_type="flow.device").values_list("action", flat=True)
    )
    assert actions == ["flow.camera_registered", "flow.camera_key_rotated", "flow.camera_switched"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"code": "Cam 1", "gate": "huu-nghi", "kind": "gate_in"}, "code"),
        ({"code": "cam-x-01", "gate": "nowhere", "kind": "gate_in"}, "gate"),
        (
            {"code": "cam-x-01", "gate": "chi-ma", "yard": "huu-nghi-yard", "kind": "gate_in"},
            "yard",
        ),
        ({"code": "cam-x-01", "gate": "huu-nghi", "kind": "sideways"}, "kind"),
    ],
)
def test_bad_cameras_are_refused_by_field(world: World, body: dict[str, str], field: str) -> None:
    response = _board(world).post("/flow/cameras/", {"action": "register", **body})
    assert response.status_code == 400
    assert f'data-field="{field}"' in response.content.decode()
    with pytest.raises(InvalidInput) as raised:
        services.do_register_camera(actor=world.board, data=services.CameraInput(**body))
    assert field in raised.value.fields
    assert not Device.objects.exists()


def test_only_the_board_manages_cameras(world: World) -> None:
    for user in (world.yard_hn, world.customs_hn, world.owner):
        with pytest.raises(NotAllowed):
            services.do_register_camera(
                actor=user,
                data=services.CameraInput(code="cam-x-01", gate="huu-nghi", kind="gate_in"),
            )
    assert not Device.objects.exists()
