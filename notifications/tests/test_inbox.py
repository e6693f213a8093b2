"""Issue 12, finding 6: a declarant's 80 "hold at origin" messages are one group, read per item
or all at once."""

from __future__ import annotations

import pytest
from django.test import Client
from django.utils import timezone

from cuakhau.testing import World, declare
from notifications.models import Notification

pytestmark = pytest.mark.django_db


def _note(world: World, kind: str, subject: str, declaration=None) -> Notification:  # type: ignore[no-untyped-def]
    return Notification.objects.create(
        recipient=world.owner,
        declaration=declaration,
        kind=kind,
        language="vi",
        subject=subject,
        body="Giữ xe tại nơi xuất phát; ngày sớm nhất còn chỗ là 03/12/2026.",
        created_at=timezone.now(),
    )


def test_messages_of_one_kind_and_day_are_one_group(world: World) -> None:
    trips = [declare(world) for _ in range(3)]
    held = [_note(world, "hold_at_origin", f"{t.reference}: giữ xe", t) for t in trips]
    rejected = _note(world, "rejected", "Xe bị từ chối", trips[0])
    web = Client()
    web.force_login(world.owner)
    html = web.get("/notifications/").content.decode()
    assert html.count('class="notification') == 2
    assert 'data-kind="hold_at_origin" data-count="3"' in html
    assert "03/12/2026" in html  # the day the truck may come is said
    # One of the group marked read; the rest stay unread.
    web.post("/notifications/read/", {"id": [held[0].pk]})
    assert Notification.objects.filter(read_at__isnull=True).count() == 3
    # Someone else's notification cannot be marked by id.
    web.force_login(world.outsider)
    web.post("/notifications/read/", {"id": [rejected.pk]})
    assert Notification.objects.get(pk=rejected.pk).read_at is None
    web.force_login(world.owner)
    web.post("/notifications/read/")
    assert not Notification.objects.filter(read_at__isnull=True).exists()
