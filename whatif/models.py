"""A what-if run: the board's question (a change to the live state), the two scenarios it was
turned into (as ``cuakhau simulate`` reads them), and what every policy did with each."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class RunStatus(models.TextChoices):
    QUEUED = "queued", _("Waiting for the worker")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


class WhatIfRun(models.Model):
    name = models.CharField(_("name"), max_length=120)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"))
    #: The live state is read from this moment (the start of the scenarios' hour 0).
    start = models.DateTimeField(_("starts at"))
    spec = models.JSONField(_("changes"))
    status = models.CharField(
        _("status"), max_length=10, choices=RunStatus.choices, default=RunStatus.QUEUED
    )
    progress = models.PositiveSmallIntegerField(_("steps done"), default=0)
    steps = models.PositiveSmallIntegerField(_("steps"), default=0)
    step_label = models.CharField(_("doing"), max_length=200, blank=True)
    baseline = models.JSONField(_("baseline scenario"), null=True, blank=True)
    variant = models.JSONField(_("variant scenario"), null=True, blank=True)
    result = models.JSONField(_("result"), null=True, blank=True)
    error = models.TextField(_("error"), blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("what-if run")
        verbose_name_plural = _("what-if runs")
        ordering = ("-created_at",)
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=RunStatus.values), name="whatif_status_valid"
            )
        ]

    def __str__(self) -> str:
        return self.name
