"""Use cases for enterprises, vehicles, drivers and declarations.

``check_*`` functions validate and raise :class:`cuakhau.errors.DomainError` naming each bad
field; ``do_*`` functions own the transaction, change state, write the audit row and run the
hooks other apps registered in :mod:`shipments.lifecycle`. Arguments are keyword-only.

One module per kind of work: ``customs`` (VNACCS customs declarations: number, procedure code,
channel, the trucks under each), ``checks`` (what a declarant types), ``declarations`` (create,
amend), ``transitions`` (the lifecycle, search), ``registry`` (enterprises, vehicles, drivers)
``history`` (bulk import) and ``fruit_codes`` (the board's list of PUC and PHC
codes); this package re-exports them, so callers keep writing
``shipments.services.do_create_declaration``.
"""

from __future__ import annotations

from shipments.services.checks import (
    _INVALID,
    AMENDABLE_FIELDS,
    CLOCK_SKEW,
    IN_YARD_STATES,
    MAX_CONTAINER_GROSS_KG,
    MAX_DAYS_AHEAD,
    MAX_LINES,
    MAX_TRUCK_LOAD_KG,
    MIN_CONTAINER_LOAD_KG,
    OPEN_STATES,
    AmendInput,
    DeclarationInput,
    LineInput,
    _check_arrival,
    _check_carriage,
    _check_driver,
    _check_lines,
    _CleanDeclaration,
    _CleanLine,
    _Errors,
    _number,
    check_declaration,
    check_two_way,
    plate_notice,
    two_way_rule,
    unusual_weight,
)
from shipments.services.customs import (
    CleanCustomsDeclaration,
    CustomsDeclarationInput,
    attach_customs_declaration,
    check_channel_code,
    check_customs_declaration,
    customs_declarations_of,
    customs_snapshot,
)
from shipments.services.declarations import (
    _REFERENCE_ALPHABET,
    AMENDABLE_STATES,
    TimelineEntry,
    _save_lines,
    _vehicle_for,
    declaration_snapshot,
    do_amend_declaration,
    do_create_declaration,
    new_reference,
    timeline,
)
from shipments.services.fruit_codes import (
    ImportResult,
    do_import_fruit_codes,
)
from shipments.services.history import (
    HistoricTrip,
    import_history,
)
from shipments.services.registry import (
    _enterprise_for,
    do_register_driver,
    do_register_enterprise,
    do_register_vehicle,
)
from shipments.services.transitions import (
    check_transition,
    do_transition,
    search,
    visible_declaration,
)

__all__ = [
    "AMENDABLE_FIELDS",
    "AMENDABLE_STATES",
    "CLOCK_SKEW",
    "IN_YARD_STATES",
    "MAX_CONTAINER_GROSS_KG",
    "MAX_DAYS_AHEAD",
    "MAX_LINES",
    "MAX_TRUCK_LOAD_KG",
    "MIN_CONTAINER_LOAD_KG",
    "OPEN_STATES",
    "_INVALID",
    "_REFERENCE_ALPHABET",
    "AmendInput",
    "CleanCustomsDeclaration",
    "CustomsDeclarationInput",
    "DeclarationInput",
    "HistoricTrip",
    "ImportResult",
    "LineInput",
    "TimelineEntry",
    "_CleanDeclaration",
    "_CleanLine",
    "_Errors",
    "_check_arrival",
    "_check_carriage",
    "_check_driver",
    "_check_lines",
    "_enterprise_for",
    "_number",
    "_save_lines",
    "_vehicle_for",
    "attach_customs_declaration",
    "check_channel_code",
    "check_customs_declaration",
    "check_declaration",
    "check_transition",
    "check_two_way",
    "customs_declarations_of",
    "customs_snapshot",
    "declaration_snapshot",
    "do_amend_declaration",
    "do_create_declaration",
    "do_import_fruit_codes",
    "do_register_driver",
    "do_register_enterprise",
    "do_register_vehicle",
    "do_transition",
    "import_history",
    "new_reference",
    "plate_notice",
    "search",
    "timeline",
    "two_way_rule",
    "unusual_weight",
    "visible_declaration",
]
