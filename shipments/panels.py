"""Sections other apps add to the declaration page, without shipments knowing them.

An app registers a function from its ``AppConfig.ready()``; it returns the template and context
of its section for this user and declaration, or ``None`` to show nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from django.http import HttpRequest

    from shipments.models import Declaration


@dataclass(frozen=True)
class Panel:
    template: str
    context: dict[str, Any]


PanelSource = Callable[["HttpRequest", "Declaration"], Panel | None]
_sources: list[PanelSource] = []


def register(source: PanelSource) -> None:
    if source not in _sources:
        _sources.append(source)


def panels_for(request: HttpRequest, declaration: Declaration) -> list[Panel]:
    return [panel for source in _sources if (panel := source(request, declaration)) is not None]
