"""System checks of the fees app (``cuakhau check --deploy``)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Tags, register
from django.core.checks import Warning as CheckWarning


@register(Tags.security, deploy=True)
def demo_payments_off(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    if not settings.CUAKHAU_DEMO_PAYMENTS:
        return []
    return [
        CheckWarning(
            "The demo payment provider is on: any declarant can 'pay' without money and get a "
            "numbered receipt.",
            hint="Unset CUAKHAU_DEMO_PAYMENTS (and do not start with `cuakhau serve --demo`).",
            id="cuakhau.W101",
        )
    ]
