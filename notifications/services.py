"""Writing notifications: each recipient gets the text in their own language.

``compose`` is called once per recipient inside ``translation.override``, so gettext inside it
translates for that person, not for whoever triggered the message.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from django.conf import settings
from django.db.models import QuerySet
from django.utils import timezone, translation

from accounts.choices import Role
from accounts.models import User
from notifications.models import Delivery, Notification, Webhook
from shipments.models import Declaration, Driver

#: Returns (subject, body) in the active language.
Compose = Callable[[], tuple[str, str]]


def language_of(user: User) -> str:
    supported = {code for code, _name in settings.LANGUAGES}
    return user.preferred_language if user.preferred_language in supported else "vi"


def notify(
    *,
    recipients: Iterable[User],
    kind: str,
    compose: Compose,
    declaration: Declaration | None,
    webhooks: bool = True,
) -> list[Notification]:
    """Each recipient's inbox gets the message in their language; the declaration's enterprise
    webhooks get it too (in Vietnamese, with the machine-readable kind and reference)."""
    now = timezone.now()
    if declaration is not None and webhooks:
        _queue_webhooks(declaration, kind, compose, now)
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


def do_mark_read(*, user: User, ids: Sequence[int] = ()) -> int:
    """Mark the user's own notifications read: those named by ``ids``, or all of them."""
    unread = inbox(user).filter(read_at__isnull=True)
    if ids:
        unread = unread.filter(pk__in=list(ids))
    return unread.update(read_at=timezone.now())


@dataclass
class Group:
    """Notifications of one kind on one day, shown as one line: 80 "hold at origin" messages,
    one per trip, once buried the three that mattered."""

    kind: str
    day: date
    items: list[Notification]

    @property
    def first(self) -> Notification:
        return self.items[0]

    @property
    def others(self) -> int:
        return len(self.items) - 1

    @property
    def unread(self) -> int:
        return sum(1 for n in self.items if n.read_at is None)


def grouped(notifications: Iterable[Notification]) -> list[Group]:
    """Consecutive notifications (newest first) of the same kind and day, as groups."""
    groups: list[Group] = []
    for notification in notifications:
        day = timezone.localdate(notification.created_at)
        if groups and groups[-1].kind == notification.kind and groups[-1].day == day:
            groups[-1].items.append(notification)
        else:
            groups.append(Group(notification.kind, day, [notification]))
    return groups


def _queue(
    *,
    channel: str,
    address: str,
    kind: str,
    language: str,
    compose: Compose,
    declaration: Declaration | None,
    now: datetime,
    webhook: Webhook | None = None,
) -> Delivery:
    with translation.override(language):
        subject, body = compose()
    payload = {
        "kind": kind,
        "declaration": declaration.reference if declaration is not None else None,
        "subject": str(subject),
        "body": str(body),
        "language": language,
        "at": now.isoformat(),
    }
    return Delivery.objects.create(
        channel=channel,
        address=address,
        kind=kind,
        language=language,
        subject=str(subject)[:200],
        body=str(body),
        payload=payload,
        declaration=declaration,
        webhook=webhook,
        next_attempt_at=now,
        created_at=now,
    )


def _queue_webhooks(declaration: Declaration, kind: str, compose: Compose, now: datetime) -> None:
    for webhook in Webhook.objects.filter(enterprise_id=declaration.enterprise_id, is_active=True):
        _queue(
            channel="webhook",
            address=webhook.url,
            kind=kind,
            language="vi",
            compose=compose,
            declaration=declaration,
            now=now,
            webhook=webhook,
        )


def send_to_driver(
    *, driver: Driver, kind: str, compose: Compose, declaration: Declaration | None
) -> Delivery:
    """A text message to the driver's phone in the driver's language, through the SMS gateway
    when one is configured, else the console (the demo)."""
    supported = {code for code, _name in settings.LANGUAGES}
    language = driver.preferred_language if driver.preferred_language in supported else "vi"
    channel = "sms" if settings.CUAKHAU_SMS_GATEWAY_URL else "console"
    delivery = _queue(
        channel=channel,
        address=driver.phone,
        kind=kind,
        language=language,
        compose=compose,
        declaration=declaration,
        now=timezone.now(),
    )
    if driver.user is not None:
        notify(
            recipients=[driver.user],
            kind=kind,
            compose=compose,
            declaration=declaration,
            webhooks=False,
        )
    return delivery
