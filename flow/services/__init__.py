"""Use cases of vehicle flow control.

Booking (``do_book``, ``do_cancel_booking``, ``do_rebook``), no-shows (``sweep_no_shows``),
admission control (``plan_admission``, ``do_override_admission``), capacity publishing
(``do_publish_capacity``), yard events from cameras and operators (``ingest_device_event``,
``do_record_yard_event``, ``do_correct_event``, ``do_dismiss_event``) and call-forward
(``do_call_next``), and a driver's next trip (``next_trip``). Arguments are keyword-only;
each ``do_*`` owns its transaction.

One module per kind of work: ``bookings``, ``no_shows``, ``admission``, ``yard_events``,
``call_forward``, ``driver``, ``cameras``, ``notices`` (what a gate notice does to trucks),
``handover`` (trucks staying too long across the border in the two-way pilot), ``withdrawals``
(trucks that gave up, for the board), ``alerts`` (the board's overflow alerts)
(and ``common``); this package re-exports them, so
callers keep writing ``flow.services.do_book``.
"""

from __future__ import annotations

from flow.services.admission import (
    _advise_hold,
    _hold_message,
    _resize_future_slots,
    do_override_admission,
    do_publish_capacity,
    plan_admission,
    plan_all_gates,
)
from flow.services.alerts import (
    do_acknowledge_alert,
    do_set_alert_horizon,
    open_alerts,
    raise_alerts,
    settings_row,
)
from flow.services.bookings import (
    SlotOffer,
    _active_booking,
    _book_locked,
    _bookable,
    _check_cutoff,
    _check_start,
    _held_days,
    _hour,
    _lane,
    _quotas,
    _release,
    _take,
    decisions_for,
    do_book,
    do_cancel_booking,
    do_rebook,
    offers,
    on_arrive,
    on_cross,
    on_leave,
    slot_for,
)
from flow.services.call_forward import (
    _tell_driver,
    do_call_next,
)
from flow.services.cameras import (
    CameraInput,
    do_register_camera,
    do_rotate_camera_key,
    do_set_camera_active,
)
from flow.services.common import (
    SYSTEM,
    log,
)
from flow.services.driver import NextTrip, next_trip, open_trips, trip_yards
from flow.services.handover import Overstay, overstays
from flow.services.no_shows import (
    _no_show_message,
    no_show_counts,
    sweep_no_shows,
)
from flow.services.notices import (
    booked_before,
    guard_arrive,
    on_notice,
    pre_registered_days,
    refuse_new_booking,
)
from flow.services.withdrawals import Withdrawals, withdrawal_counts
from flow.services.yard_events import (
    DEVICE_CACHE_SECONDS,
    EXPECTED_STATES,
    MAX_MISREAD_EDITS,
    DeviceRefused,
    Ingested,
    YardStatus,
    _apply,
    _device,
    _device_cache,
    _insert_once,
    _match_and_apply,
    _parse_event,
    _read_time,
    _yard_staff,
    do_correct_event,
    do_dismiss_event,
    do_record_yard_event,
    expected_trips,
    ingest_device_event,
    process_events,
    yard_status,
)

__all__ = [
    "DEVICE_CACHE_SECONDS",
    "EXPECTED_STATES",
    "MAX_MISREAD_EDITS",
    "SYSTEM",
    "CameraInput",
    "DeviceRefused",
    "Ingested",
    "NextTrip",
    "Overstay",
    "SlotOffer",
    "Withdrawals",
    "YardStatus",
    "_active_booking",
    "_advise_hold",
    "_apply",
    "_book_locked",
    "_bookable",
    "_check_cutoff",
    "_check_start",
    "_device",
    "_device_cache",
    "_held_days",
    "_hold_message",
    "_hour",
    "_insert_once",
    "_lane",
    "_match_and_apply",
    "_no_show_message",
    "_parse_event",
    "_quotas",
    "_read_time",
    "_release",
    "_resize_future_slots",
    "_take",
    "_tell_driver",
    "_yard_staff",
    "booked_before",
    "decisions_for",
    "do_acknowledge_alert",
    "do_book",
    "do_call_next",
    "do_cancel_booking",
    "do_correct_event",
    "do_dismiss_event",
    "do_override_admission",
    "do_publish_capacity",
    "do_rebook",
    "do_record_yard_event",
    "do_register_camera",
    "do_rotate_camera_key",
    "do_set_alert_horizon",
    "do_set_camera_active",
    "expected_trips",
    "guard_arrive",
    "ingest_device_event",
    "log",
    "next_trip",
    "no_show_counts",
    "offers",
    "on_arrive",
    "on_cross",
    "on_leave",
    "on_notice",
    "open_alerts",
    "open_trips",
    "overstays",
    "plan_admission",
    "plan_all_gates",
    "pre_registered_days",
    "process_events",
    "raise_alerts",
    "refuse_new_booking",
    "settings_row",
    "slot_for",
    "sweep_no_shows",
    "trip_yards",
    "withdrawal_counts",
    "yard_status",
]
