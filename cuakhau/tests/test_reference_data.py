"""Reference data belongs to its users once loaded: restarts keep their edits, and edits in the
admin (gates with their routes and yards, users with their role and gate postings) are audited."""

from __future__ import annotations

from html.parser import HTMLParser
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client

from audit.models import AuditEvent
from cuakhau.testing import World
from gates.models import Gate, Yard
from shipments.models import Commodity

pytestmark = pytest.mark.django_db


class _Form(HTMLParser):
    """The values a browser would post from the admin's change form."""

    def __init__(self) -> None:
        super().__init__()
        self.data: dict[str, Any] = {}
        self._select: str | None = None
        self._textarea: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        name = a.get("name")
        if tag == "input" and name:
            kind = a.get("type", "text")
            if kind in ("checkbox", "radio"):
                if "checked" in a:
                    self.data.setdefault(name, []).append(a.get("value") or "on")
            elif kind not in ("submit", "button", "file"):
                self.data[name] = a.get("value") or ""
        elif tag == "select" and name:
            self._select = name
            self.data.setdefault(name, [])
        elif tag == "option" and self._select and "selected" in a:
            self.data[self._select].append(a.get("value") or "")
        elif tag == "textarea" and name:
            self._textarea = name
            self.data[name] = ""

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data: str) -> None:
        if self._textarea:
            self.data[self._textarea] += data


def _change_form(client: Client, url: str) -> dict[str, Any]:
    page = client.get(url)
    assert page.status_code == 200
    form = _Form()
    form.feed(page.content.decode())
    return form.data


def _load() -> str:
    out = StringIO()
    call_command("load_reference", stdout=out)
    return out.getvalue()


def test_a_restart_keeps_the_boards_admin_edit_of_a_gate_and_its_yard(
    world: World, client: Client
) -> None:
    gate = Gate.objects.get(code="huu-nghi")
    yard = Yard.objects.get(code="huu-nghi-yard")
    client.force_login(world.admin)
    url = f"/admin/gates/gate/{gate.pk}/change/"
    data = _change_form(client, url)
    data["name_en"] = "Friendship Gate"
    data["closes_on_holidays"] = ["on"]
    # The gate's yards are an inline of the gate: the board sets the yard's capacity there.
    row = next(
        k
        for k, v in data.items()
        if k.startswith("yards-") and k.endswith("-id") and v == str(yard.pk)
    )
    prefix = row.rsplit("-", 1)[0]
    data[f"{prefix}-vehicle_capacity"] = "750"
    response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    gate.refresh_from_db()
    yard.refresh_from_db()
    assert (gate.name_en, gate.closes_on_holidays, yard.vehicle_capacity) == (
        "Friendship Gate",
        True,
        750,
    )
    changed = AuditEvent.objects.get(action="gate.changed", object_id=str(gate.pk))
    assert changed.before["name_en"] == "Huu Nghi"
    assert changed.after["name_en"] == "Friendship Gate"
    yard_event = AuditEvent.objects.get(action="yard.changed", object_id=str(yard.pk))
    assert (yard_event.before["vehicle_capacity"], yard_event.after["vehicle_capacity"]) == (
        450,
        750,
    )

    # What `cuakhau serve` does at every start: the edits stay.
    said = _load()
    gate.refresh_from_db()
    yard.refresh_from_db()
    assert (gate.name_en, gate.closes_on_holidays, yard.vehicle_capacity) == (
        "Friendship Gate",
        True,
        750,
    )
    assert "gate.differs: 1" in said and "yard.differs: 1" in said
    assert "--update" in said
    assert not AuditEvent.objects.filter(action="reference.updated").exists()

    # --update lists the differences and still changes nothing.
    out = StringIO()
    call_command("load_reference", "--update", stdout=out)
    listed = out.getvalue()
    assert "differs: gate code=huu-nghi: name_en 'Friendship Gate' → 'Huu Nghi'" in listed
    assert "differs: yard code=huu-nghi-yard: vehicle_capacity 750 → 450" in listed
    gate.refresh_from_db()
    assert gate.name_en == "Friendship Gate"

    # --update --apply writes the shipped values back, one audit event per row.
    call_command("load_reference", "--update", "--apply", stdout=StringIO())
    gate.refresh_from_db()
    yard.refresh_from_db()
    assert (gate.name_en, gate.closes_on_holidays, yard.vehicle_capacity) == (
        "Huu Nghi",
        False,
        450,
    )
    updates = AuditEvent.objects.filter(action="reference.updated")
    assert updates.count() == 2
    event = updates.get(object_type="gates.gate")
    assert event.before == {"name_en": "Friendship Gate", "closes_on_holidays": True}
    assert event.after == {"name_en": "Huu Nghi", "closes_on_holidays": False}
    assert "differs" not in _load()


def test_apply_needs_update_and_a_commodity_edit_survives(world: World) -> None:
    Commodity.objects.filter(code="durian").update(name_en="Durian (fresh, Monthong)")
    _load()
    assert Commodity.objects.get(code="durian").name_en == "Durian (fresh, Monthong)"
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="--update"):
        call_command("load_reference", "--apply", stdout=StringIO())


def test_admin_changes_to_a_users_role_and_postings_are_audited(
    world: World, client: Client
) -> None:
    officer = world.customs_hn
    client.force_login(world.admin)
    url = f"/admin/accounts/user/{officer.pk}/change/"
    data = _change_form(client, url)
    chi_ma = world.gates["chi-ma"]
    data["gates"] = [str(chi_ma.pk)]
    response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    event = AuditEvent.objects.get(action="user.changed", object_id=str(officer.pk))
    assert event.before["gates"] == [world.gates["huu-nghi"].pk]
    assert event.after["gates"] == [chi_ma.pk]
    assert event.actor_label == "user:admin"
    # The password hash never reaches the log.
    assert officer.password not in str(event.before)
    response = client.post(
        f"/admin/accounts/user/{officer.pk}/password/",
        {"password1": "a-new-Passw0rd-2026", "password2": "a-new-Passw0rd-2026"},
    )
    assert response.status_code == 302
    assert AuditEvent.objects.filter(action="user.password_set", object_id=str(officer.pk)).exists()
