"""Fees: assessment, the trip's ledger, payments, refunds, receipts, yard charges, board edits.

The ledger of a trip is its charges (the infrastructure-use fee, one per trip, and one charge per
yard stay), the money received (payments, each allocated to charges by its receipt's lines, any
excess held as credit) and the money sent back (refunds). Every change ends with
:func:`_settle`, which requests a refund for whatever a trip has paid beyond what it owes, so no
money is ever kept without a charge behind it.

One module per kind of work: ``schedules``, ``assessment``, ``ledger``, ``payments``,
``refunds``, ``yard_charges``, ``board_edits`` (and ``common``); this package re-exports them,
so callers keep writing ``fees.services.do_...``.
"""

from __future__ import annotations

from fees.services.assessment import (
    TripBasis,
    assess_declaration,
    compute,
    on_declared,
    on_leave,
    trip_basis,
)
from fees.services.board_edits import (
    _AMOUNT,
    MAX_DAYS,
    ReductionInput,
    _board,
    do_new_schedule,
    do_save_reduction,
    do_set_rate,
    parse_amount,
    parse_day,
    parse_days,
    reassess_unrated,
)
from fees.services.common import (
    CROSSED_STATES,
    MAX_REFUND_ATTEMPTS,
    CallbackRefused,
    log,
)
from fees.services.ledger import (
    ChargeLine,
    Ledger,
    _settle,
    ledger,
)
from fees.services.payments import (
    CallbackResult,
    Verification,
    _allocation,
    _parse_callback,
    _payable,
    do_request_payment,
    next_receipt_number,
    receive_callback,
    verification,
)
from fees.services.refunds import (
    REFUND_CLAIM_MINUTES,
    _claim_refund,
    _record_refund_outcome,
    process_refunds,
)
from fees.services.schedules import (
    class_label,
    schedule_in_force,
    table_of,
)
from fees.services.yard_charges import (
    _yard_rate_for,
    charge_recent_yard_stays,
    charge_yard_stay,
    do_charge_yard_stay,
)

__all__ = [
    "CROSSED_STATES",
    "MAX_DAYS",
    "MAX_REFUND_ATTEMPTS",
    "REFUND_CLAIM_MINUTES",
    "_AMOUNT",
    "CallbackRefused",
    "CallbackResult",
    "ChargeLine",
    "Ledger",
    "ReductionInput",
    "TripBasis",
    "Verification",
    "_allocation",
    "_board",
    "_claim_refund",
    "_parse_callback",
    "_payable",
    "_record_refund_outcome",
    "_settle",
    "_yard_rate_for",
    "assess_declaration",
    "charge_recent_yard_stays",
    "charge_yard_stay",
    "class_label",
    "compute",
    "do_charge_yard_stay",
    "do_new_schedule",
    "do_request_payment",
    "do_save_reduction",
    "do_set_rate",
    "ledger",
    "log",
    "next_receipt_number",
    "on_declared",
    "on_leave",
    "parse_amount",
    "parse_day",
    "parse_days",
    "process_refunds",
    "reassess_unrated",
    "receive_callback",
    "schedule_in_force",
    "table_of",
    "trip_basis",
    "verification",
]
