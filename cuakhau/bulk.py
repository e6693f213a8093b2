"""Fast multi-row inserts for bulk imports (history, demo) where Django's ``bulk_create`` spends
most of its time building SQL value by value.

Values are converted once per field type with the backend's own adapters, then sent with
``executemany``. Only for rows whose primary key the caller does not need back.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from django.db import connection, models


def _converter(field: models.Field[Any, Any]) -> Callable[[Any], Any]:
    ops = connection.ops
    if isinstance(field, models.DateTimeField):
        return ops.adapt_datetimefield_value
    if isinstance(field, models.DateField):
        return ops.adapt_datefield_value
    if isinstance(field, models.DecimalField):
        digits, places = field.max_digits, field.decimal_places
        return lambda v: ops.adapt_decimalfield_value(v, digits, places)
    if isinstance(field, models.JSONField):
        return lambda v: field.get_db_prep_save(v, connection)
    return lambda v: v


def fast_insert(model: type[models.Model], objects: Sequence[Any], batch_size: int = 5000) -> int:
    """Insert ``objects`` (primary keys left to the database); returns the number of rows.

    ``objects`` are model instances or any objects with the model's attribute names
    (``declaration_id`` for a foreign key), such as ``types.SimpleNamespace`` rows.
    """
    if not objects:
        return 0
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    converters = [_converter(f) for f in fields]
    quote = connection.ops.quote_name
    # Table and column names come from the model's metadata, never from input.
    sql = "INSERT INTO {} ({}) VALUES ({})".format(  # noqa: S608 - names from model metadata
        quote(model._meta.db_table),
        ", ".join(quote(str(f.column)) for f in fields),
        ", ".join(["%s"] * len(fields)),
    )
    attnames = [f.attname for f in fields]
    with connection.cursor() as cursor:
        for start in range(0, len(objects), batch_size):
            rows = [
                tuple(
                    convert(getattr(obj, name))
                    for convert, name in zip(converters, attnames, strict=True)
                )
                for obj in objects[start : start + batch_size]
            ]
            cursor.executemany(sql, rows)
    return len(objects)
