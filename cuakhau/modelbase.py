"""Abstract bases shared by the domain apps."""

from __future__ import annotations

from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _


class Sourced(models.Model):
    """Reference data that names where its figures come from (press, resolution, inferred)."""

    source = models.TextField(
        _("source"),
        blank=True,
        help_text=_("Where this record's figures come from; 'inferred' marks what is not stated."),
    )

    class Meta:
        abstract = True


class Trilingual(models.Model):
    """A name in Vietnamese (required), English and Simplified Chinese."""

    name_vi = models.CharField(_("name (Vietnamese)"), max_length=200)
    name_en = models.CharField(_("name (English)"), max_length=200, blank=True)
    name_zh = models.CharField(_("name (Chinese)"), max_length=200, blank=True)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        """The name in the active language, falling back to Vietnamese where none is known."""
        language = (get_language() or "vi").lower()
        if language.startswith("zh"):
            return self.name_zh or self.name_vi
        if language.startswith("en"):
            return self.name_en or self.name_vi
        return self.name_vi
