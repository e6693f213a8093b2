"""Issue 24, finding 2: every page in the URL table opens under the Content-Security-Policy,
as a role that may see it, with no CSP violation and no page error (the ``page`` fixture fails
the test on either). The walk logged 33 inline-style violations on pages no test opened."""

from __future__ import annotations

import pytest
from django.test import Client
from playwright.sync_api import Page

from cuakhau.testing import World, declare, walk_to
from cuakhau.tests.test_permissions import WEB
from shipments.choices import TruckState

#: Who opens each page: the public where it may, else the first role that may (sorted).
ORDER = ("anonymous", "board", "owner", "customs_hn", "yard_hn", "driver", "customs_admin")


def _who(allowed: set[str]) -> str:
    return next((p for p in ORDER if p in allowed), sorted(allowed)[0])


def _sign_in(page: Page, base: str, world: World, persona: str) -> None:
    page.context.clear_cookies()
    user = world.personas()[persona]
    if user is None:
        return
    client = Client()
    client.force_login(user)
    page.context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": base}]
    )


@pytest.mark.parametrize("persona", sorted({_who(allowed) for allowed in WEB.values()}))
def test_every_page_opens_under_the_csp(
    page: Page,
    live_server,
    live_world: World,  # type: ignore[no-untyped-def]
    persona: str,
) -> None:
    base = live_server.url
    trip = walk_to(declare(live_world), live_world, TruckState.ARRIVED)
    _sign_in(page, base, live_world, persona)
    urls = [url for url, allowed in sorted(WEB.items()) if _who(allowed) == persona]
    if persona in ("owner", "board", "customs_hn"):
        urls.append(f"/declarations/{trip.reference}/")
    # Pages of one object or one gate (NOT_FORMS in cuakhau/tests/test_web_forms.py).
    urls += {
        "anonymous": ["/flow/board/huu-nghi/", "/fees/v/", "/fees/schedules/nq-09-2025/"],
        "board": ["/flow/yard/huu-nghi/", "/accounts/password/"],
    }.get(persona, [])
    assert urls
    for url in urls:
        answer = page.goto(base + url)
        assert answer is not None and answer.status == 200, (url, answer and answer.status)
        # Not sent to the login page (a page may put its canonical address in the bar).
        assert "/accounts/login/" not in page.url, f"{url} sent {persona} to {page.url}"
        page.wait_for_load_state("load")
