"""Issue 24, finding 8: passwords the board issues never expired and there was no page to change
one. A one-time password is changed at first login before anything else; everyone can change
theirs; the old one must be right and the new one pass the validators."""

from __future__ import annotations

import pytest
from django.test import Client

from accounts import services
from audit.models import AuditEvent
from cuakhau.testing import PASSWORD, World

pytestmark = pytest.mark.django_db


def _log_in(username: str, password: str) -> Client:
    client = Client()
    answer = client.post("/accounts/login/", {"username": username, "password": password})
    assert answer.status_code == 302, answer.content.decode()[:300]
    return client


def test_a_one_time_password_is_changed_before_anything_else(world: World) -> None:
    user, one_time = services.do_create_user(
        actor=world.board,
        data=services.UserInput(
            username="new.declarant",
            full_name="Trần Bình",
            role="declarant",
            enterprise=world.owner_enterprise.pk,
        ),
    )
    assert user.must_change_password
    client = _log_in("new.declarant", one_time)
    page = client.get("/declarations/")
    assert page.status_code == 302 and page["Location"] == "/accounts/password/"
    api = client.get("/api/v1/declarations/")
    assert api.status_code == 403 and api.json()["error"]["code"] == "password_change_required"
    form = client.get("/accounts/password/", HTTP_ACCEPT_LANGUAGE="vi")
    assert form.status_code == 200 and 'id="must-change"' in form.content.decode()
    # A wrong current password, two different new ones, a weak one: refused by field.
    wrong = client.post(
        "/accounts/password/",
        {"old_password": "nope", "new_password1": "Lạng Sơn 2026!", "new_password2": "x"},
        HTTP_ACCEPT_LANGUAGE="vi",
    )
    assert wrong.status_code == 400
    assert 'data-field="old_password"' in wrong.content.decode()
    assert 'data-field="new_password2"' in wrong.content.decode()
    weak = client.post(
        "/accounts/password/",
        {"old_password": one_time, "new_password1": "123", "new_password2": "123"},
    )
    assert weak.status_code == 400 and 'data-field="new_password1"' in weak.content.decode()
    done = client.post(
        "/accounts/password/",
        {
            "old_password": one_time,
            "new_password1": "Cửa khẩu Hữu Nghị 2026",
            "new_password2": "Cửa khẩu Hữu Nghị 2026",
        },
    )
    assert done.status_code == 302
    user.refresh_from_db()
    assert not user.must_change_password
    assert client.get("/declarations/").status_code == 200  # still signed in, free to work
    assert AuditEvent.objects.filter(action="accounts.password_changed").count() == 1
    _log_in("new.declarant", "Cửa khẩu Hữu Nghị 2026")
    # A reset by the board issues another one-time password, to be changed again.
    services.do_reset_password(actor=world.board, user_id=user.pk)
    user.refresh_from_db()
    assert user.must_change_password


def test_anyone_signed_in_may_change_their_own_password(world: World) -> None:
    client = _log_in("customs_hn", PASSWORD)
    assert client.get("/flow/board/").status_code == 200
    done = client.post(
        "/accounts/password/",
        {
            "old_password": PASSWORD,
            "new_password1": "Hải quan Tân Thanh 88",
            "new_password2": "Hải quan Tân Thanh 88",
        },
    )
    assert done.status_code == 302
    assert Client().get("/accounts/password/").status_code == 302  # anonymous: log in first
