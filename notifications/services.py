"""Writing notifications: each recipient gets the text in their own language.

``compose`` is called once per recipient inside ``translation.override``, so gettext inside it
translates for that person, not for whoever triggered the message.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from django.conf import settings
from django.db.models import QuerySet
from django.utils import timezone, translation

from accounts.choices import Role
from accounts.models import User
from notifications.models import Notification
from shipments.models import Declaration

#: Returns (subject, body) in the active language.
Compose = Callable[[], tuple[str, str]]


def language_of(user: User) -> str:
    supported = {code for code, _name in settings.LANGUAGES}
    return user.preferred_language if user.preferred_language in supported else "vi"


def notify(
    *, recipients: Iterable[User], kind: str, compose: Compose, declaration: Declaration | None
) -> list[Notification]:
    now = timezone.now()
    rows = []
    for user in recipients:
        language = language_of(user)
        with translation.override(language):
            subject, body = compose()
        rows.append(
            Notification(
                recipient=user,
                declaration=declaration,
                kind=kind,
                language=language,
                subject=str(subject)[:200],
                body=str(body),
                created_at=now,
            )
        )
    return Notification.objects.bulk_create(rows)


def declarants_of(declaration: Declaration) -> QuerySet[User]:
    return User.objects.filter(
        role=Role.DECLARANT, enterprise_id=declaration.enterprise_id, is_active=True
    )


def inbox(user: User) -> QuerySet[Notification]:
    return Notification.objects.filter(recipient=user).select_related("declaration")


def do_mark_read(*, user: User) -> int:
    return inbox(user).filter(read_at__isnull=True).update(read_at=timezone.now())
