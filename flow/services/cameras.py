"""Plate cameras: the board registers them, rotates their signing keys and switches them off.

A camera signs each post with its own HMAC key (``flow.Device.secret``). The key is shown once,
when it is made; the audit log keeps a fingerprint, never the key. A change reaches every web
worker within ``DEVICE_CACHE_SECONDS`` (each keeps the devices it has seen for that long).
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from accounts import policy
from accounts.models import User
from audit import services as audit
from cuakhau.errors import InvalidInput, NotFound
from cuakhau.signing import fingerprint
from flow import policy as rules
from flow.choices import EventKind
from flow.models import Device
from gates.models import Gate, Yard

_CODE = re.compile(r"^[a-z0-9][a-z0-9-]{1,38}[a-z0-9]$")


def _snapshot(device: Device) -> dict[str, Any]:
    return {
        "code": device.code,
        "gate": device.gate.code,
        "yard": device.yard.code if device.yard else None,
        "kind": device.kind,
        "active": device.is_active,
        "key": fingerprint(device.secret),
    }


@dataclass
class CameraInput:
    code: str = ""
    gate: str = ""
    yard: str = ""
    kind: str = ""


def do_register_camera(*, actor: User, data: CameraInput) -> tuple[Device, str]:
    """A new camera at a gate (and a yard); returns it with its signing key, shown once."""
    policy.require(actor, rules.MANAGE_CAMERAS)
    errors: dict[str, list[str]] = {}
    code = data.code.strip().lower()
    if not _CODE.match(code):
        errors["code"] = [_("3 to 40 lower-case letters, digits and dashes, e.g. cam-hn-in-01.")]
    elif Device.objects.filter(code=code).exists():
        errors["code"] = [_("This code is already used.")]
    gate = Gate.objects.filter(code=data.gate, is_active=True).first()
    if gate is None:
        errors["gate"] = [_("Choose a gate.")]
    yard = None
    if data.yard:
        yard = Yard.objects.filter(code=data.yard).first()
        if yard is None or (gate is not None and yard.gate_id != gate.pk):
            errors["yard"] = [_("Choose a yard of this gate.")]
    if data.kind not in EventKind.values:
        errors["kind"] = [_("Choose what the camera reads: gate-in, gate-out or crossing.")]
    if errors:
        raise InvalidInput(_("The camera has errors; see each field."), fields=errors)
    secret = secrets.token_urlsafe(32)
    with transaction.atomic():
        device = Device.objects.create(
            code=code, gate=gate, yard=yard, kind=data.kind, secret=secret, is_active=True
        )
        audit.record(
            action="flow.camera_registered", obj=device, actor=actor, after=_snapshot(device)
        )
    return device, secret


def _camera(actor: User, device_id: int) -> Device:
    policy.require(actor, rules.MANAGE_CAMERAS)
    device = (
        Device.objects.select_for_update(of=("self",))
        .select_related("gate", "yard")
        .filter(pk=device_id)
        .first()
    )
    if device is None:
        raise NotFound(_("No such camera."))
    return device


def do_rotate_camera_key(*, actor: User, device_id: int) -> str:
    """A new signing key (the old one stops working); returned once."""
    with transaction.atomic():
        device = _camera(actor, device_id)
        before = _snapshot(device)
        device.secret = secrets.token_urlsafe(32)
        device.save(update_fields=["secret"])
        audit.record(
            action="flow.camera_key_rotated",
            obj=device,
            actor=actor,
            before=before,
            after=_snapshot(device),
        )
    return str(device.secret)


def do_set_camera_active(*, actor: User, device_id: int, active: bool) -> Device:
    """Switch a camera off (its posts are refused) or on again."""
    with transaction.atomic():
        device = _camera(actor, device_id)
        if device.is_active == active:
            return device
        before = _snapshot(device)
        device.is_active = active
        device.save(update_fields=["is_active"])
        audit.record(
            action="flow.camera_switched",
            obj=device,
            actor=actor,
            before=before,
            after=_snapshot(device),
        )
    return device
