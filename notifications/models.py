"""Messages to the people a truck concerns, written in each recipient's language."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from accounts.scoping import RestrictedManager


class Notification(models.Model):
    """One message to one user, shown in their inbox on the platform."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recipient"),
        on_delete=models.CASCADE,
        related_name="notifications",
    )
    declaration = models.ForeignKey(
        "shipments.Declaration",
        verbose_name=_("declaration"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
    )
    kind = models.CharField(_("kind"), max_length=40)
    language = models.CharField(_("language"), max_length=8)
    subject = models.CharField(_("subject"), max_length=200)
    body = models.TextField(_("message"))
    created_at = models.DateTimeField(_("created at"))
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    objects = RestrictedManager()

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ("-created_at", "-pk")
        indexes = [models.Index(fields=["recipient", "-created_at"], name="notif_inbox_idx")]

    def __str__(self) -> str:
        return self.subject


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("Waiting to be sent")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Given up")


class Delivery(models.Model):
    """One message to send through one channel (SMS, webhook, console): the outbox.

    Written in the same transaction as the change it reports, so a message exists exactly when
    the change was committed; ``cuakhau dispatch`` sends it, retrying with backoff.
    """

    channel = models.CharField(_("channel"), max_length=20)
    address = models.CharField(_("address"), max_length=500)
    kind = models.CharField(_("kind"), max_length=40)
    language = models.CharField(_("language"), max_length=8)
    subject = models.CharField(_("subject"), max_length=200)
    body = models.TextField(_("message"))
    payload = models.JSONField(_("payload"), default=dict, blank=True)
    declaration = models.ForeignKey(
        "shipments.Declaration",
        verbose_name=_("declaration"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
    )
    webhook = models.ForeignKey(
        "notifications.Webhook",
        verbose_name=_("webhook"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="deliveries",
    )
    status = models.CharField(
        _("status"), max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"))
    last_error = models.TextField(_("last error"), blank=True)
    created_at = models.DateTimeField(_("created at"))
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)

    class Meta:
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")
        ordering = ("next_attempt_at", "pk")
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="delivery_due_idx")]

    def __str__(self) -> str:
        return f"{self.channel} → {self.address}: {self.status}"


class Webhook(models.Model):
    """Where an enterprise's systems want to hear about its trucks, signed with its secret."""

    enterprise = models.ForeignKey(
        "shipments.Enterprise",
        verbose_name=_("enterprise"),
        on_delete=models.CASCADE,
        related_name="webhooks",
    )
    url = models.URLField(_("URL"), max_length=500)
    secret = models.CharField(_("signing secret"), max_length=128)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("webhook")
        verbose_name_plural = _("webhooks")

    def __str__(self) -> str:
        return self.url
