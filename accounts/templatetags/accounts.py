from datetime import timedelta

from django import template

register = template.Library()


@register.filter
def minutes(span: timedelta | None) -> int:
    """Whole minutes of a cool-off, rounded up (a lockout page says how long to wait)."""
    if span is None:
        return 0
    return max(1, -(-int(span.total_seconds()) // 60))
