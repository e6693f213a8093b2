"""Questions the register answers and the board's publishing of hours.

``hours`` answers when a gate (or a road) is open on a day, in which windows, on both sides of
the border, what holidays fall on it and what capacity is in force; ``publishing`` holds the
board's use cases (weekly hours, dated notices). Callers keep writing
``gates.services.hours_on``.
"""

from __future__ import annotations

from gates.services.hours import (
    HOLIDAY_COUNTRIES,
    DayHours,
    Holiday,
    Window,
    capacity_at,
    gates_with_hours,
    holidays_between,
    holidays_on,
    hours_on,
)
from gates.services.publishing import (
    MAX_NOTICE_DAYS,
    MAX_WINDOWS,
    ExceptionInput,
    NoticeHook,
    WeekInput,
    check_windows,
    do_add_exception,
    do_remove_exception,
    do_set_weekly_hours,
    parse_clock,
    register_notice_hook,
)

__all__ = [
    "HOLIDAY_COUNTRIES",
    "MAX_NOTICE_DAYS",
    "MAX_WINDOWS",
    "DayHours",
    "ExceptionInput",
    "Holiday",
    "NoticeHook",
    "WeekInput",
    "Window",
    "capacity_at",
    "check_windows",
    "do_add_exception",
    "do_remove_exception",
    "do_set_weekly_hours",
    "gates_with_hours",
    "holidays_between",
    "holidays_on",
    "hours_on",
    "parse_clock",
    "register_notice_hook",
]
