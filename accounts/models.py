from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from accounts.choices import GATE_ROLES, Role


class User(AbstractUser):
    """A person using cuakhau, with one role and the scope that role works in.

    Officers and yard operators are posted at ``gates``; a declarant acts for one ``enterprise``;
    a driver is linked to a driver record (``shipments.Driver.user``).
    """

    role = models.CharField(_("role"), max_length=20, choices=Role.choices, default=Role.DECLARANT)
    enterprise = models.ForeignKey(
        "shipments.Enterprise",
        verbose_name=_("enterprise"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="users",
    )
    gates = models.ManyToManyField(
        "gates.Gate", verbose_name=_("gates"), blank=True, related_name="staff"
    )
    preferred_language = models.CharField(
        _("preferred language"), max_length=8, blank=True, default=""
    )
    must_change_password = models.BooleanField(
        _("must change password"),
        default=False,
        help_text=_("Set when the board issues a one-time password; cleared when it is changed."),
    )

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return self.get_full_name() or self.username

    def clean(self) -> None:
        super().clean()
        if self.role == Role.DECLARANT and self.enterprise_id is None and not self.is_superuser:
            raise ValidationError({"enterprise": _("A declarant must belong to an enterprise.")})

    @property
    def is_gate_staff(self) -> bool:
        return self.role in GATE_ROLES

    @property
    def has_full_access(self) -> bool:
        return bool(self.is_superuser or self.role == Role.ADMIN)
