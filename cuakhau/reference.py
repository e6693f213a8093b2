"""Loading shipped reference data without overwriting what users changed.

The board owns its reference data once it is loaded: it edits gates, yards, hours, commodities
and rules in the admin or in its pages. Loading (at every ``cuakhau serve``) therefore creates
the rows that are missing and keeps the ones that exist as they are. Where a kept row differs
from the shipped data, the difference is listed; ``cuakhau load_reference --update`` prints the
list, and ``--update --apply`` writes the shipped values, one audit event per row changed.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import Any

from django.db import models

from audit import services as audit

ACTOR = "system:load-reference"


@dataclass(frozen=True)
class Difference:
    """A field of an existing row whose value is not the shipped one."""

    model: str
    key: str
    field: str
    current: Any
    shipped: Any

    def __str__(self) -> str:
        return f"{self.model} {self.key}: {self.field} {self.current!r} → {self.shipped!r}"


@dataclass
class ReferenceSync:
    """Creates missing rows; lists (or, with ``apply``, writes) differences in existing ones."""

    apply: bool = False
    counts: Counter[str] = field(default_factory=Counter)
    differences: list[Difference] = field(default_factory=list)

    def row(self, model: type[models.Model], lookup: dict[str, Any], values: dict[str, Any]) -> Any:
        name = model._meta.model_name
        obj = model._base_manager.filter(**lookup).first()
        if obj is None:
            obj = model._base_manager.create(**lookup, **values)
            self.counts[f"{name}.created"] += 1
            return obj
        key = ", ".join(f"{k}={_plain(v)}" for k, v in lookup.items())
        values = {f: _typed(model, f, v) for f, v in values.items()}
        changed = [
            Difference(str(name), key, f, _plain(getattr(obj, f)), _plain(v))
            for f, v in values.items()
            if _plain(getattr(obj, f)) != _plain(v)
        ]
        if not changed:
            self.counts[f"{name}.kept"] += 1
            return obj
        self.differences.extend(changed)
        if not self.apply:
            self.counts[f"{name}.differs"] += 1
            return obj
        for difference in changed:
            setattr(obj, difference.field, values[difference.field])
        obj.save(update_fields=[d.field for d in changed])
        audit.record(
            action="reference.updated",
            obj=obj,
            actor_label=ACTOR,
            before={d.field: d.current for d in changed},
            after={d.field: d.shipped for d in changed},
        )
        self.counts[f"{name}.updated"] += 1
        return obj


def _typed(model: type[models.Model], name: str, value: Any) -> Any:
    """The shipped value as the field stores it (``"0.30"`` and ``0.3`` are one rate)."""
    model_field = model._meta.get_field(name)
    if model_field.is_relation or value is None or not isinstance(model_field, models.Field):
        return value
    return model_field.to_python(value)


def _plain(value: Any) -> Any:
    """A value as JSON would hold it, so shipped and stored values compare (and audit) alike."""
    if isinstance(value, models.Model):
        return getattr(value, "code", None) or value.pk
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.astimezone(UTC).isoformat()
    if isinstance(value, (datetime, date, time)):
        return value.isoformat()
    return value
