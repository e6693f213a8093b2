"""The board manages people: users, their role, enterprise and gate postings, their API tokens.

Every change is audited with what it was before. The board cannot touch administrators,
superusers or Django staff (their accounts stay with the Django admin), nor its own role or
access, so nobody locks themselves out or raises themselves.
"""

from __future__ import annotations

import re
import secrets
import unicodedata
from dataclasses import dataclass, field
from typing import Any

from django.apps import apps
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from rest_framework.authtoken.models import Token

from accounts import policy, rules
from accounts.choices import GATE_ROLES, Role
from accounts.models import User
from audit import services as audit
from cuakhau.errors import Conflict, InvalidInput, NotAllowed, NotFound
from cuakhau.signing import fingerprint

#: Roles the board may give. Administrators are made in the Django admin by an administrator.
ASSIGNABLE_ROLES = tuple(role for role in Role if role != Role.ADMIN)
#: Usernames are plain ASCII after NFKC folding: a fullwidth "ｂｏａｒｄ" folds into "board" (and
#: is taken), and Cyrillic or Greek look-alikes of Latin letters are refused, so nobody can
#: make an account that reads like another's.
_USERNAME = re.compile(r"^[A-Za-z0-9.@+_-]{3,150}$")


@dataclass
class UserInput:
    username: str = ""
    full_name: str = ""
    email: str = ""
    role: str = ""
    enterprise: Any = None
    gates: list[str] = field(default_factory=list)
    is_active: bool = True


def _snapshot(user: User) -> dict[str, Any]:
    return {
        "username": user.username,
        "name": user.get_full_name(),
        "email": user.email,
        "role": user.role,
        "enterprise": user.enterprise_id,
        "gates": sorted(user.gates.values_list("code", flat=True)),
        "active": user.is_active,
    }


def _manageable(actor: User, user_id: int) -> User:
    policy.require(actor, rules.MANAGE_USERS)
    user = User.objects.select_for_update().filter(pk=user_id).first()
    if user is None:
        raise NotFound(_("No such user."))
    if user.is_superuser or user.is_staff or user.role == Role.ADMIN:
        raise NotAllowed(_("Administrators are managed in the administration site."))
    return user


def _clean(data: UserInput, errors: dict[str, list[str]]) -> tuple[Any, list[Any]]:
    """Check role, enterprise and postings together; returns (enterprise, gates)."""
    gate_model = apps.get_model("gates", "Gate")
    enterprise_model = apps.get_model("shipments", "Enterprise")
    if data.role not in ASSIGNABLE_ROLES:
        errors["role"] = [_("Choose a role.")]
    enterprise = None
    raw = str(data.enterprise or "").strip()
    if raw:
        enterprise = enterprise_model.objects.filter(pk=int(raw) if raw.isdigit() else 0).first()
        if enterprise is None:
            errors["enterprise"] = [_("No such enterprise.")]
    if data.role == Role.DECLARANT and enterprise is None and "enterprise" not in errors:
        errors["enterprise"] = [_("A declarant must belong to an enterprise.")]
    if data.role != Role.DECLARANT and enterprise is not None:
        errors["enterprise"] = [_("Only declarants belong to an enterprise.")]
    codes = sorted({str(code).strip() for code in data.gates if str(code).strip()})
    gates = list(gate_model.objects.filter(code__in=codes))
    if len(gates) != len(codes):
        unknown = sorted(set(codes) - {g.code for g in gates})
        errors["gates"] = [_("No such gate: %s.") % ", ".join(unknown)]
    elif data.role in GATE_ROLES and not gates:
        errors["gates"] = [_("Post officers and yard operators at one gate or more.")]
    elif data.role not in GATE_ROLES and gates and "role" not in errors:
        errors["gates"] = [_("Only officers and yard operators are posted at gates.")]
    if len(data.full_name) > 300:
        errors["full_name"] = [_("At most 300 characters.")]
    if data.email and ("@" not in data.email or len(data.email) > 254):
        errors["email"] = [_("Give an e-mail address such as name@example.vn.")]
    return enterprise, gates


def _split_name(full_name: str) -> tuple[str, str]:
    """A full name as Django's (first, last) pair: the whole name goes in ``first_name``.
    Vietnamese names put the family name first ("Nguyễn Văn An"); splitting them into Western
    first and last names would only get the order wrong when ``get_full_name`` joins them."""
    name = " ".join(full_name.split())
    return name[:150], ""


def do_create_user(*, actor: User, data: UserInput) -> tuple[User, str]:
    """Create a user with a one-time password (returned once, never stored in clear); audited."""
    policy.require(actor, rules.MANAGE_USERS)
    errors: dict[str, list[str]] = {}
    username = unicodedata.normalize("NFKC", data.username).strip()
    if not _USERNAME.match(username):
        errors["username"] = [
            _("3 to 150 Latin letters without accents, digits and . @ + - _, without spaces.")
        ]
    elif User.objects.filter(username__iexact=username).exists():
        errors["username"] = [_("This username is taken.")]
    enterprise, gates = _clean(data, errors)
    if errors:
        raise InvalidInput(_("The user has errors; see each field."), fields=errors)
    password = secrets.token_urlsafe(12)
    with transaction.atomic():
        first, last = _split_name(data.full_name)
        user = User(
            username=username,
            first_name=first,
            last_name=last,
            email=data.email.strip(),
            role=data.role,
            enterprise=enterprise,
            is_active=True,
        )
        try:
            validate_password(password, user)
        except ValidationError:  # pragma: no cover - 16 random characters pass every validator
            password = secrets.token_urlsafe(18)
        user.set_password(password)
        user.must_change_password = True
        user.save()
        user.gates.set(gates)
        audit.record(action="accounts.user_created", obj=user, actor=actor, after=_snapshot(user))
    return user, password


def do_update_user(*, actor: User, user_id: int, data: UserInput) -> User:
    """Change a user's name, role, enterprise, gate postings or whether they may log in."""
    with transaction.atomic():
        user = _manageable(actor, user_id)
        errors: dict[str, list[str]] = {}
        enterprise, gates = _clean(data, errors)
        if user.pk == actor.pk and (data.role != user.role or not data.is_active):
            errors["role"] = [_("You cannot change your own role or deactivate yourself.")]
        if errors:
            raise InvalidInput(_("The user has errors; see each field."), fields=errors)
        before = _snapshot(user)
        user.first_name, user.last_name = _split_name(data.full_name)
        user.email = data.email.strip()
        user.role, user.enterprise, user.is_active = data.role, enterprise, data.is_active
        user.save(
            update_fields=["first_name", "last_name", "email", "role", "enterprise", "is_active"]
        )
        user.gates.set(gates)
        after = _snapshot(user)
        if after != before:
            audit.record(
                action="accounts.user_changed", obj=user, actor=actor, before=before, after=after
            )
        rights = ("role", "enterprise", "gates", "active")
        if any(before.get(k) != after.get(k) for k in rights):
            # A token carries whatever rights its user has: after a change of role, enterprise
            # or postings, or a deactivation, the partner system asks the board for a new one
            # rather than keep rights nobody gave it.
            _revoke_tokens(actor, user, "rights_changed")
    return user


def _revoke_tokens(actor: User, user: User, why: str) -> None:
    old = Token.objects.filter(user=user).first()
    if old is None:
        return
    before = {"token": fingerprint(old.key)}
    old.delete()
    audit.record(
        action="accounts.token_revoked", obj=user, actor=actor, before=before, after={"why": why}
    )


def do_issue_token(*, actor: User, user_id: int) -> str:
    """Issue (or replace) the user's API token, for a partner system; the key is returned once."""
    with transaction.atomic():
        user = _manageable(actor, user_id)
        if not user.is_active:
            raise Conflict(_("Activate the user before issuing a token."), code="inactive")
        old = Token.objects.filter(user=user).first()
        before = {"token": fingerprint(old.key)} if old else None
        if old is not None:
            old.delete()
        token = Token.objects.create(user=user)
        audit.record(
            action="accounts.token_issued",
            obj=user,
            actor=actor,
            before=before,
            after={"token": fingerprint(token.key)},
        )
    return str(token.key)


def do_revoke_token(*, actor: User, user_id: int) -> None:
    with transaction.atomic():
        user = _manageable(actor, user_id)
        old = Token.objects.filter(user=user).first()
        if old is None:
            raise Conflict(_("This user has no API token."), code="no_token")
        before = {"token": fingerprint(old.key)}  # deleting clears the key (it is the pk)
        old.delete()
        audit.record(action="accounts.token_revoked", obj=user, actor=actor, before=before)


def do_reset_password(*, actor: User, user_id: int) -> str:
    """A new one-time password for a user who lost theirs (returned once); audited."""
    with transaction.atomic():
        user = _manageable(actor, user_id)
        password = secrets.token_urlsafe(12)
        user.set_password(password)
        user.must_change_password = True
        user.save(update_fields=["password", "must_change_password"])
        audit.record(action="accounts.password_reset", obj=user, actor=actor)
        # Whoever had the account's secrets had its token too.
        _revoke_tokens(actor, user, "password_reset")
    return password


def do_change_own_password(*, user: User, old: str, new: str, again: str) -> None:
    """A user replaces their password (a one-time one first of all): the old one must be right,
    the new one typed twice and pass the validators. Audited; never the passwords."""
    errors: dict[str, list[str]] = {}
    if not user.check_password(old):
        errors["old_password"] = [_("This is not your current password.")]
    if new != again:
        errors["new_password2"] = [_("The two new passwords differ.")]
    elif new == old:
        errors["new_password1"] = [_("Choose a password other than the one you have.")]
    else:
        try:
            validate_password(new, user)
        except ValidationError as exc:
            errors["new_password1"] = list(exc.messages)
    if errors:
        raise InvalidInput(_("The password was not changed; see each field."), fields=errors)
    with transaction.atomic():
        user.set_password(new)
        user.must_change_password = False
        user.save(update_fields=["password", "must_change_password"])
        audit.record(action="accounts.password_changed", obj=user, actor=user)
