"""What the use cases of this package share: imports, constants, helpers."""

from __future__ import annotations

import logging

from cuakhau.errors import DomainError
from shipments.choices import TruckState

log = logging.getLogger(__name__)

#: States in which a trip has used the border: its fee stays due.
CROSSED_STATES = frozenset({TruckState.CROSSED, TruckState.RETURNED})
#: Refund attempts before a refund is left to the board as failed.
MAX_REFUND_ATTEMPTS = 5


class CallbackRefused(DomainError):
    status = 401
    code = "unauthenticated"
