"""What the flow use cases share: the system actor's label and the log."""

from __future__ import annotations

import logging

SYSTEM = "system:flow"
log = logging.getLogger("cuakhau.flow")
