"""Issue 11, finding 8: password spraying is throttled, staff sessions end after a working day,
and every page carries a Content-Security-Policy with no inline script or style."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from cuakhau.testing import PASSWORD, World

pytestmark = pytest.mark.django_db


def _fail(client: Client, username: str, address: str) -> int:
    response = client.post(
        "/accounts/login/", {"username": username, "password": "guess"}, REMOTE_ADDR=address
    )
    return response.status_code


def test_spraying_from_one_address_across_users_is_throttled(world: World) -> None:
    client = Client()
    users = ["owner", "outsider", "board", "yard_hn", "customs_hn"]
    statuses = [_fail(client, users[i % 5], "203.0.113.20") for i in range(19)]
    assert 429 not in statuses  # 19 failures across five users: under the address limit (20)
    assert _fail(client, "quarantine_hn", "203.0.113.20") == 429
    # The address is locked even for a user it never tried, with the right password.
    locked = client.post(
        "/accounts/login/",
        {"username": "guard_hn", "password": PASSWORD},
        REMOTE_ADDR="203.0.113.20",
    )
    assert locked.status_code == 429
    # Another address is not affected.
    ok = client.post(
        "/accounts/login/", {"username": "guard_hn", "password": PASSWORD}, REMOTE_ADDR="192.0.2.7"
    )
    assert ok.status_code == 302


def test_a_sprayers_own_login_does_not_reset_the_address_count(world: World) -> None:
    """Issue 24, finding 8: a sprayer who owns one account logged in with it between batches
    of guesses, which reset the address's count (76 guesses from one address, none refused)."""
    sprayer = Client()
    users = ["outsider", "board", "yard_hn", "customs_hn", "guard_hn"]
    answers = []
    for _batch in range(4):  # 4 batches of 5 guesses = 20, the address limit
        answers += [_fail(sprayer, user, "203.0.113.66") for user in users]
        own = Client().post(
            "/accounts/login/",
            {"username": "owner", "password": PASSWORD},
            REMOTE_ADDR="203.0.113.66",
        )
        answers.append(own.status_code)
    assert 429 in answers, answers
    # The owner's own failures are forgotten by its login, from anywhere.
    honest = Client()
    assert _fail(honest, "owner", "192.0.2.50") == 200
    ok = honest.post(
        "/accounts/login/", {"username": "owner", "password": PASSWORD}, REMOTE_ADDR="192.0.2.50"
    )
    assert ok.status_code == 302
    from axes.models import AccessAttempt

    assert not AccessAttempt.objects.filter(username="owner").exists()
    assert AccessAttempt.objects.filter(ip_address="203.0.113.66").exists()


def test_one_user_guessed_from_many_addresses_is_throttled(world: World) -> None:
    client = Client()
    statuses = [_fail(client, "board", f"198.51.100.{i}") for i in range(1, 10)]
    assert 429 not in statuses  # 9 addresses, one failure each: under the user limit (10)
    assert _fail(client, "board", "198.51.100.77") == 429


def test_staff_sessions_last_twelve_hours_and_declarants_a_week(world: World) -> None:
    for username, hours in (("customs_hn", 12), ("board", 12), ("owner", 24 * 7)):
        client = Client()
        assert (
            client.post(
                "/accounts/login/", {"username": username, "password": PASSWORD}
            ).status_code
            == 302
        )
        assert client.session.get_expiry_age() == hours * 3600, username


def test_pages_carry_a_content_security_policy_without_inline_code(world: World) -> None:
    client = Client()
    client.force_login(world.owner)
    for url in ("/", "/declarations/new/", "/flow/board/", "/fees/"):
        response = client.get(url)
        policy = response["Content-Security-Policy"]
        assert "script-src 'self'" in policy and "unsafe-inline" not in policy, url
        assert "frame-ancestors 'none'" in policy
        html = response.content.decode()
        assert not re.search(r"\son[a-z]+=\"", html), url  # no inline event handlers
        assert "<style" not in html and ' style="' not in html, url
        assert not re.search(r"<script(?![^>]*\ssrc=)", html), url  # every script from a file
    docs = client.get("/api/docs/")
    assert docs.status_code == 200
    assert "script-src 'self'" in docs["Content-Security-Policy"]


@pytest.mark.parametrize(
    ("username", "home"),
    [
        ("owner", "/declarations/"),
        ("driver", "/flow/trip/"),
        ("yard_hn", "/flow/yard/"),
        ("customs_hn", "/clearance/"),
        ("quarantine_hn", "/clearance/"),
        ("customs_admin", "/clearance/selectivity/"),
        ("board", "/flow/admission/"),
    ],
)
def test_each_role_lands_on_its_own_work_after_login(
    world: World, username: str, home: str
) -> None:
    """Issue 12, finding 8: everyone landed on the public page after login."""
    client = Client()
    response = client.post(
        "/accounts/login/", {"username": username, "password": PASSWORD}, follow=True
    )
    assert response.redirect_chain[-1][0] == home, response.redirect_chain
    assert response.status_code == 200
    menu = response.content.decode()
    assert ('href="/api/docs/"' in menu) == (username in ("board", "customs_admin"))
