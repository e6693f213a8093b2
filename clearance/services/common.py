"""What the use cases of this package share: imports, constants, helpers."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    pass

SYSTEM = "system:clearance"
SELECTIVITY = "system:selectivity"
PREVIEW_DAYS = 30
