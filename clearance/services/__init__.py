"""Use cases of multi-agency clearance.

A truck arriving at the yard gets one check per agency the rules require, customs' on the
VNACCS channel recorded for its declaration, with cuakhau's advisory risk result beside it
(:func:`open_checks`, run by the lifecycle's ``arrive`` effect). Officers record inspections;
when the last required check passes the declaration is cleared through the foundation's state
machine, and the ``clear`` guard refuses any other way. Arguments are keyword-only.

One module per kind of work: ``rules``, ``time_limits``, ``opening``, ``worklists``,
``inspections``, ``channels`` (the VNACCS channel), ``documents``, ``selectivity`` (and
``common``); this package re-exports them,
so callers keep writing ``clearance.services.do_...``.
"""

from __future__ import annotations

from clearance.services.channels import (
    advice_report,
    do_record_customs_channel,
    rework_customs_check,
)
from clearance.services.common import (
    PREVIEW_DAYS,
    SELECTIVITY,
    SYSTEM,
)
from clearance.services.documents import (
    FILE_SIGNATURES,
    ChecklistItem,
    checklist,
    do_upload_document,
    documents_visible,
    max_document_bytes,
    may_attach,
)
from clearance.services.inspections import (
    InspectionInput,
    _check_inspection,
    _reject,
    _tell_declarant,
    do_escalate_to_full,
    do_record_inspection,
    post_clearance_audits,
)
from clearance.services.opening import (
    _clear_if_done,
    _new_check,
    customs_check_kind,
    guard_clear,
    guard_reject,
    on_arrive,
    on_leave,
    open_backlog,
    open_checks,
    sequence_inspection_clock,
)
from clearance.services.rules import (
    _applies,
    _selectivity_secret,
    active_selectivity_rules,
    facts_for,
    price_ranges,
    required_check_rules,
    required_documents,
)
from clearance.services.selectivity import (
    Preview,
    RuleInput,
    _as_list,
    _check_random_minimum,
    _may_edit_rules,
    _rule_snapshot,
    _with_change,
    check_rule_input,
    do_save_rule,
    do_set_check_rule,
    preview_rule,
    random_selection_rate,
)
from clearance.services.time_limits import (
    due_at,
)
from clearance.services.worklists import (
    checks_of,
    matching,
    may_inspect,
    worklist,
)

__all__ = [
    "FILE_SIGNATURES",
    "PREVIEW_DAYS",
    "SELECTIVITY",
    "SYSTEM",
    "ChecklistItem",
    "InspectionInput",
    "Preview",
    "RuleInput",
    "_applies",
    "_as_list",
    "_check_inspection",
    "_check_random_minimum",
    "_clear_if_done",
    "_may_edit_rules",
    "_new_check",
    "_reject",
    "_rule_snapshot",
    "_selectivity_secret",
    "_tell_declarant",
    "_with_change",
    "active_selectivity_rules",
    "advice_report",
    "check_rule_input",
    "checklist",
    "checks_of",
    "customs_check_kind",
    "do_escalate_to_full",
    "do_record_customs_channel",
    "do_record_inspection",
    "do_save_rule",
    "do_set_check_rule",
    "do_upload_document",
    "documents_visible",
    "due_at",
    "facts_for",
    "guard_clear",
    "guard_reject",
    "matching",
    "max_document_bytes",
    "may_attach",
    "may_inspect",
    "on_arrive",
    "on_leave",
    "open_backlog",
    "open_checks",
    "post_clearance_audits",
    "preview_rule",
    "price_ranges",
    "random_selection_rate",
    "required_check_rules",
    "required_documents",
    "rework_customs_check",
    "sequence_inspection_clock",
    "worklist",
]
