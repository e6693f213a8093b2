"""Issue 12, finding 11: the board manages users, their gate postings and API tokens in the app,
audited, without the Django admin; and cannot raise or lock out anyone it should not."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from rest_framework.authtoken.models import Token

from accounts import services
from accounts.choices import Role
from accounts.models import User
from audit.models import AuditEvent
from cuakhau.errors import InvalidInput, NotAllowed
from cuakhau.testing import World

pytestmark = pytest.mark.django_db


def _board_client(world: World) -> Client:
    client = Client()
    client.force_login(world.board)
    return client


def test_the_board_creates_an_officer_posted_at_a_gate_who_can_log_in(world: World) -> None:
    response = _board_client(world).post(
        "/accounts/users/",
        {
            "username": "kiemdich.cm",
            "full_name": "Hoàng Thị Mai",
            "role": "quarantine",
            "gates": ["chi-ma"],
        },
    )
    assert response.status_code == 200
    html = response.content.decode()
    password = re.search(r'id="one-time-password">([^<]+)<', html)
    assert password is not None
    user = User.objects.get(username="kiemdich.cm")
    assert user.role == Role.QUARANTINE and user.get_full_name() == "Hoàng Thị Mai"
    assert list(user.gates.values_list("code", flat=True)) == ["chi-ma"]
    event = AuditEvent.objects.get(action="accounts.user_created")
    assert event.actor == world.board and event.after["gates"] == ["chi-ma"]
    assert password.group(1) not in str(event.after), "the password is never audited"
    login = Client().post(
        "/accounts/login/", {"username": "kiemdich.cm", "password": password.group(1)}
    )
    assert login.status_code == 302


def test_moving_an_officer_to_another_gate_is_audited_with_before_and_after(
    world: World,
) -> None:
    officer = world.customs_hn
    response = _board_client(world).post(
        f"/accounts/users/{officer.pk}/",
        {"action": "update", "role": "customs", "gates": ["chi-ma"], "is_active": "on"},
    )
    assert response.status_code == 302
    assert list(officer.gates.values_list("code", flat=True)) == ["chi-ma"]
    event = AuditEvent.objects.get(action="accounts.user_changed")
    assert event.before["gates"] == ["huu-nghi"] and event.after["gates"] == ["chi-ma"]
    # The posting decides the scope at once: Hữu Nghị's worklist is no longer this officer's.
    page = Client()
    page.force_login(officer)
    assert page.get("/flow/yard/huu-nghi/").status_code in (403, 404)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"role": "customs", "gates": []}, "gates"),
        ({"role": "declarant"}, "enterprise"),
        ({"role": "admin"}, "role"),
        ({"role": "customs", "gates": ["nowhere"]}, "gates"),
        ({"role": "driver", "gates": ["huu-nghi"]}, "gates"),
    ],
)
def test_inconsistent_users_are_refused_by_field(
    world: World, body: dict[str, object], field: str
) -> None:
    before = User.objects.count(), AuditEvent.objects.count()
    response = _board_client(world).post("/accounts/users/", {"username": "new.user", **body})
    assert response.status_code == 400
    assert 'aria-invalid="true"' in response.content.decode() or "field-invalid" in (
        response.content.decode()
    )
    with pytest.raises(InvalidInput) as raised:
        services.do_create_user(
            actor=world.board,
            data=services.UserInput(
                username="new.user",
                role=str(body["role"]),
                gates=list(body.get("gates", [])),  # type: ignore[call-overload]
            ),
        )
    assert field in raised.value.fields
    assert (User.objects.count(), AuditEvent.objects.count()) == before


def test_the_board_cannot_touch_administrators_or_its_own_role(world: World) -> None:
    with pytest.raises(NotAllowed):
        services.do_issue_token(actor=world.board, user_id=world.admin.pk)
    with pytest.raises(InvalidInput) as raised:
        services.do_update_user(
            actor=world.board,
            user_id=world.board.pk,
            data=services.UserInput(role="board", is_active=False),
        )
    assert "role" in raised.value.fields
    world.board.refresh_from_db()
    assert world.board.is_active


def test_only_the_board_manages_users(world: World) -> None:
    for user in (world.customs_admin, world.owner, world.yard_hn):
        with pytest.raises(NotAllowed):
            services.do_create_user(
                actor=user, data=services.UserInput(username="x.y.z", role="driver")
            )
    assert not User.objects.filter(username="x.y.z").exists()


def test_a_partner_token_is_shown_once_works_and_is_revoked(world: World) -> None:
    client = _board_client(world)
    response = client.post(f"/accounts/users/{world.owner.pk}/", {"action": "token"})
    assert response.status_code == 200
    key = re.search(r'id="new-token">([0-9a-f]{40})<', response.content.decode())
    assert key is not None
    api = Client(HTTP_AUTHORIZATION=f"Token {key.group(1)}")
    assert api.get("/api/v1/declarations/").status_code == 200
    # The page never shows it again, only its fingerprint; the audit keeps the fingerprint.
    again = client.get(f"/accounts/users/{world.owner.pk}/").content.decode()
    assert key.group(1) not in again and services.fingerprint(key.group(1)) in again
    issued = AuditEvent.objects.get(action="accounts.token_issued")
    assert issued.after == {"token": services.fingerprint(key.group(1))}
    assert (
        client.post(f"/accounts/users/{world.owner.pk}/", {"action": "revoke"}).status_code == 302
    )
    assert not Token.objects.filter(user=world.owner).exists()
    assert api.get("/api/v1/declarations/").status_code == 401
    assert AuditEvent.objects.filter(action="accounts.token_revoked").count() == 1


def test_deactivating_a_user_stops_their_token_too(world: World) -> None:
    key = services.do_issue_token(actor=world.board, user_id=world.owner.pk)
    services.do_update_user(
        actor=world.board,
        user_id=world.owner.pk,
        data=services.UserInput(
            role="declarant", enterprise=world.owner_enterprise.pk, is_active=False
        ),
    )
    assert Client(HTTP_AUTHORIZATION=f"Token {key}").get("/api/v1/declarations/").status_code == 401


def test_a_change_of_rights_or_a_password_reset_revokes_the_token(world: World) -> None:
    """Issue 24, finding 8: a token survived a role change (gaining the new role's rights) and
    a password reset. Either now revokes it, audited with why; a change of name keeps it."""
    key = services.do_issue_token(actor=world.board, user_id=world.customs_hn.pk)
    api = Client(HTTP_AUTHORIZATION=f"Token {key}")
    assert api.get("/api/v1/checks/").status_code == 200
    same_rights = services.UserInput(
        role="customs", full_name="Hải quan Hữu Nghị", gates=["huu-nghi"], is_active=True
    )
    services.do_update_user(actor=world.board, user_id=world.customs_hn.pk, data=same_rights)
    assert api.get("/api/v1/checks/").status_code == 200
    services.do_update_user(
        actor=world.board,
        user_id=world.customs_hn.pk,
        data=services.UserInput(role="board", full_name="Hải quan Hữu Nghị", is_active=True),
    )
    assert api.get("/api/v1/checks/").status_code == 401
    revoked = AuditEvent.objects.get(action="accounts.token_revoked")
    assert revoked.after == {"why": "rights_changed"}
    key = services.do_issue_token(actor=world.board, user_id=world.owner.pk)
    services.do_reset_password(actor=world.board, user_id=world.owner.pk)
    assert Client(HTTP_AUTHORIZATION=f"Token {key}").get("/api/v1/declarations/").status_code == 401
    assert AuditEvent.objects.filter(
        action="accounts.token_revoked", after__why="password_reset"
    ).exists()


def test_users_are_searchable(world: World) -> None:
    html = _board_client(world).get("/accounts/users/?role=customs&gate=chi-ma").content.decode()
    assert world.customs_cm.username in html and world.customs_hn.username not in html


@pytest.mark.parametrize(
    "username",
    [
        "оwner2",  # the first letter is Cyrillic
        "bоard",  # a Cyrillic o
        "ｏｗｎｅｒ",  # fullwidth: folds into "owner", which is taken
        "nguyễn.an",  # accented letters read like others
    ],
)
def test_look_alike_usernames_are_refused(world: World, username: str) -> None:
    """Issue 24, finding 8: the board's user form accepted Cyrillic and fullwidth usernames
    that read like another user's."""
    with pytest.raises(InvalidInput) as refused:
        services.do_create_user(
            actor=world.board,
            data=services.UserInput(
                username=username,
                full_name="X",
                role="declarant",
                enterprise=world.owner_enterprise.pk,
            ),
        )
    assert "username" in refused.value.fields
    services.do_create_user(
        actor=world.board,
        data=services.UserInput(
            username="nguyen.an",
            full_name="Nguyễn An",
            role="declarant",
            enterprise=world.owner_enterprise.pk,
        ),
    )
