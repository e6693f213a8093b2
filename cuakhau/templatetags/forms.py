"""Template helpers for forms that come back with errors: the errors of one field, by name."""

from __future__ import annotations

from typing import Any

from django import template

register = template.Library()


@register.filter
def errors_for(error: Any, name: str) -> list[str]:
    """``{{ error|errors_for:"day" }}``: the messages for field ``name`` of a DomainError (or of
    a plain dict of field errors)."""
    fields = error if isinstance(error, dict) else (getattr(error, "fields", None) or {})
    return list(fields.get(name, []))


@register.filter
def value_of(values: Any, name: str) -> str:
    """``{{ values|value_of:"opens-0" }}``: what the user typed in field ``name`` (a QueryDict)."""
    if values is None:
        return ""
    return str(values.get(name, ""))
