"""Use cases of multi-agency clearance.

A truck arriving at the yard gets its customs channel and one check per agency the rules require
(:func:`open_checks`, run by the lifecycle's ``arrive`` effect). Officers record inspections;
when the last required check passes the declaration is cleared through the foundation's state
machine, and the ``clear`` guard refuses any other way. Arguments are keyword-only.
"""

from __future__ import annotations

import hashlib
import hmac
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.choices import OFFICER_ROLES, Role
from accounts.models import User
from accounts.scoping import Action, gate_ids
from audit import services as audit
from clearance import selectivity
from clearance.choices import (
    AGENCY_ROLE,
    CHANNEL_CHECK,
    PENDING_STATUSES,
    RESULT_STATUS,
    SEVERITY,
    Agency,
    Channel,
    CheckKind,
    CheckStatus,
    DocumentType,
    InspectionResult,
    LimitUnit,
    agencies_of,
)
from clearance.models import (
    Check,
    CheckRule,
    Clearance,
    Document,
    DocumentRequirement,
    Inspection,
    ReferencePrice,
    SelectivityRule,
    TimeLimit,
)
from cuakhau.errors import Conflict, InvalidInput, NotAllowed, NotFound
from cuakhau.numbers import NumberError, ascii_digits, parse_decimal
from gates.models import Gate
from gates.services import hours_on
from notifications import services as notifications
from shipments import services as shipments
from shipments.choices import TERMINAL_STATES, ComplianceClass, Direction, TruckState
from shipments.models import Declaration, GoodsLine
from shipments.provinces import province_choices

if TYPE_CHECKING:
    from shipments.lifecycle import Transition

SYSTEM = "system:clearance"
SELECTIVITY = "system:selectivity"
PREVIEW_DAYS = 30

# --- rules as data ----------------------------------------------------------------------------


def _selectivity_secret() -> bytes:
    """A key for the draws derived from SECRET_KEY, so it is never the session key itself."""
    return hmac.new(
        settings.SECRET_KEY.encode(), b"cuakhau.clearance.selectivity", hashlib.sha256
    ).digest()


def _applies(
    rule: CheckRule | DocumentRequirement, direction: str, headings: Sequence[str]
) -> bool:
    if rule.directions and direction not in rule.directions:
        return False
    return not rule.hs_prefixes or any(h.startswith(tuple(rule.hs_prefixes)) for h in headings)


def required_check_rules(*, direction: str, headings: Sequence[str]) -> list[CheckRule]:
    rules = CheckRule.objects.filter(is_active=True).order_by("agency", "code")
    chosen: dict[str, CheckRule] = {}
    for rule in rules:
        # One check per agency, whichever of its rules asked for it first.
        if _applies(rule, direction, headings) and rule.agency not in chosen:
            chosen[rule.agency] = rule
    return list(chosen.values())


def required_documents(declaration: Declaration) -> list[DocumentRequirement]:
    headings = [line.hs_heading for line in declaration.lines.all()]
    return [
        requirement
        for requirement in DocumentRequirement.objects.filter(is_active=True)
        if _applies(requirement, declaration.direction, headings)
    ]


def price_ranges() -> dict[int, tuple[Decimal, Decimal]]:
    return {
        p.commodity_id: (p.min_usd_per_tonne, p.max_usd_per_tonne)
        for p in ReferencePrice.objects.all()
    }


def active_selectivity_rules() -> list[SelectivityRule]:
    return list(SelectivityRule.objects.filter(is_active=True).order_by("code"))


def facts_for(declarations: QuerySet[Declaration]) -> list[selectivity.DeclarationFacts]:
    """Selectivity's view of many declarations, in two queries whatever their number."""
    rows = list(
        declarations.order_by("pk").values_list(
            "pk", "reference", "direction", "enterprise__compliance_class", "origin_province"
        )
    )
    lines: dict[int, list[selectivity.LineFacts]] = defaultdict(list)
    keys = [row[0] for row in rows]
    for start in range(0, len(keys), 5000):
        for declaration_id, heading, commodity_id, weight, value in GoodsLine.objects.filter(
            declaration_id__in=keys[start : start + 5000]
        ).values_list("declaration_id", "hs_heading", "commodity_id", "weight_kg", "value_usd"):
            lines[declaration_id].append(
                selectivity.LineFacts(heading, commodity_id, weight, value)
            )
    return [
        selectivity.DeclarationFacts(
            reference=reference,
            direction=direction,
            compliance_class=compliance,
            origin_province=province,
            lines=tuple(lines[pk]),
        )
        for pk, reference, direction, compliance, province in rows
    ]


# --- time limits ------------------------------------------------------------------------------


def due_at(*, gate: Gate, flow: str, start: datetime, kind: str) -> datetime | None:
    """When a check opened at ``start`` falls due, counting the gate's working hours.

    Red channel inspections run on working time (8 working hours for a partial inspection, 2
    working days for a full one, by default): hours outside the gate's goods hours for the
    truck's flow, holidays and closures do not count. Where a gate publishes no hours, the
    limit runs on the calendar.
    """
    limit = TimeLimit.objects.filter(kind=kind).first()
    if limit is None:
        return None
    if limit.unit == LimitUnit.HOURS:
        return start + timedelta(hours=limit.amount)
    tz = timezone.get_current_timezone()
    local = start.astimezone(tz)
    remaining = timedelta(hours=limit.amount)
    days_left = limit.amount
    day = local.date()
    for _step in range(120):
        today = next(h for h in hours_on(gate, day) if h.flow == flow)
        if not today.published:
            span = timedelta(hours=limit.amount)
            return start + (span * 24 if limit.unit == LimitUnit.WORKING_DAYS else span)
        if today.opens is not None and today.closes is not None:
            opens = datetime.combine(day, today.opens, tz)
            closes = datetime.combine(day, today.closes, tz)
            if today.closes <= today.opens or today.closes == time(0, 0):
                closes += timedelta(days=1)
            begin = max(opens, local)
            if begin < closes:
                if limit.unit == LimitUnit.WORKING_HOURS:
                    if begin + remaining <= closes:
                        return begin + remaining
                    remaining -= closes - begin
                else:
                    days_left -= 1
                    if days_left == 0:
                        return closes
        day += timedelta(days=1)
    return None


# --- opening checks (the arrive effect) -------------------------------------------------------


def _new_check(
    *,
    declaration: Declaration,
    agency: str,
    kind: str,
    rule: CheckRule | None,
    at: datetime,
) -> Check:
    check = Check(
        declaration=declaration,
        gate_id=declaration.gate_id,
        agency=agency,
        kind=kind,
        rule=rule,
        perishable=declaration.perishable,
        opened_at=at,
    )
    if kind == CheckKind.RELEASE:
        # Green and blue: customs releases on the channel alone; the record says so.
        check.status = CheckStatus.PASSED
        check.closed_at = at
        check.save()
        Inspection.objects.create(
            check_record=check,
            result=InspectionResult.PASS,
            notes=str(gettext_lazy("Released by selectivity, no inspection.")),
            started_at=at,
            finished_at=at,
            officer_label=SELECTIVITY,
        )
    else:
        check.due_at = due_at(gate=declaration.gate, flow=declaration.flow, start=at, kind=kind)
        check.save()
    return check


def open_checks(declaration: Declaration, at: datetime | None = None) -> Clearance:
    """Assign the customs channel and open every required check. Runs inside the caller's
    transaction, with the declaration already locked by it."""
    at = at or declaration.state_changed_at
    facts = facts_for(Declaration.objects.filter(pk=declaration.pk))[0]
    assignment = selectivity.assign(
        facts, active_selectivity_rules(), price_ranges(), _selectivity_secret()
    )
    clearance = Clearance.objects.create(
        declaration=declaration,
        channel=assignment.channel,
        assigned_channel=assignment.channel,
        explanation=[hit.as_json() for hit in assignment.hits],
        opened_at=at,
    )
    checks = []
    headings = [line.hs_heading for line in facts.lines]
    for rule in required_check_rules(direction=declaration.direction, headings=headings):
        kind = CHANNEL_CHECK[assignment.channel] if rule.agency == Agency.CUSTOMS else rule.kind
        checks.append(
            _new_check(declaration=declaration, agency=rule.agency, kind=kind, rule=rule, at=at)
        )
    audit.record(
        action="clearance.opened",
        obj=clearance,
        actor_label=SYSTEM,
        after={
            "declaration": declaration.reference,
            "channel": assignment.channel,
            "checks": [{"agency": c.agency, "kind": c.kind, "status": c.status} for c in checks],
        },
        at=at,
    )
    return clearance


def on_arrive(declaration: Declaration, move: Transition, actor: User | None) -> None:
    if not Clearance.objects.filter(declaration=declaration).exists():
        open_checks(declaration)


def on_leave(declaration: Declaration, move: Transition, actor: User | None) -> None:
    """A cancelled or rejected truck's pending checks are withdrawn from every worklist."""
    Check.objects.filter(declaration=declaration, status__in=PENDING_STATUSES).update(
        status=CheckStatus.WITHDRAWN, closed_at=declaration.state_changed_at
    )


def guard_clear(declaration: Declaration, move: Transition, actor: User | None) -> None:
    """Cleared means every required check passed: no officer can skip an agency."""
    checks = list(
        Check.objects.filter(declaration=declaration).exclude(status=CheckStatus.WITHDRAWN)
    )
    if not checks:
        raise Conflict(
            _("No clearance checks are open for this truck yet."), code="checks_not_opened"
        )
    waiting = sorted(
        {str(Agency(c.agency).label) for c in checks if c.status != CheckStatus.PASSED}
    )
    if waiting:
        raise Conflict(
            _("Not every required check has passed. Waiting for: %s.") % ", ".join(waiting),
            code="checks_pending",
        )


def guard_reject(declaration: Declaration, move: Transition, actor: User | None) -> None:
    """An agency rejects a truck only through its own check of it.

    Customs may always reject a truck at its gate. Quarantine, the border guard and health may
    reject only a truck their agency has a check on: without this a health officer could reject
    any truck while the board had the health check switched off and no inspection existed.
    """
    if actor is None or actor.has_full_access or actor.role not in OFFICER_ROLES:
        return
    if actor.role == Role.CUSTOMS:
        return
    agencies = [a for a, role in AGENCY_ROLE.items() if role == actor.role]
    has_check = (
        Check.objects.filter(declaration=declaration, agency__in=agencies)
        .exclude(status=CheckStatus.WITHDRAWN)
        .exists()
    )
    if not has_check:
        raise NotAllowed(
            _("Your agency has no check on this truck, so it cannot reject it."),
            code="no_check",
        )


def _clear_if_done(declaration: Declaration, by: User | None) -> bool:
    pending = (
        Check.objects.filter(declaration=declaration)
        .exclude(status__in=(CheckStatus.PASSED, CheckStatus.WITHDRAWN))
        .exists()
    )
    if pending or declaration.state != TruckState.ARRIVED:
        return False
    who = by.get_username() if by is not None else "selectivity"
    shipments.do_transition(
        declaration_id=declaration.pk,
        transition="clear",
        actor=None,
        actor_label=f"{SYSTEM} ({who})",
        reason=_("Every required check passed."),
    )
    notifications.notify(
        recipients=notifications.declarants_of(declaration),
        kind="clearance.cleared",
        compose=lambda: (
            _("%(reference)s cleared") % {"reference": declaration.reference},
            _("Every agency has passed truck %(plate)s. It waits to be called forward.")
            % {"plate": declaration.vehicle.plate},
        ),
        declaration=declaration,
    )
    return True


def open_backlog(*, at: datetime | None = None) -> int:
    """Open checks for trucks already in the yard without them (imported history, the demo)."""
    opened = 0
    waiting = Declaration.objects.filter(state=TruckState.ARRIVED, clearance__isnull=True)
    for declaration in waiting.select_related("gate", "vehicle").iterator():
        with transaction.atomic():
            open_checks(declaration, at=at or declaration.state_changed_at)
        opened += 1
    return opened


# --- worklists --------------------------------------------------------------------------------


def worklist(*, actor: User, gate: str = "", agency: str = "") -> QuerySet[Check]:
    """What waits for the actor's agency at the actor's gates: perishable first, then oldest."""
    checks = Check.objects.restrict(actor, Action.VIEW).filter(
        status__in=PENDING_STATUSES, declaration__state=TruckState.ARRIVED
    )
    if actor.role in OFFICER_ROLES:
        checks = checks.filter(agency__in=agencies_of(actor.role))
    elif not (actor.role == Role.BOARD or actor.has_full_access):
        return checks.none()
    if gate:
        checks = checks.filter(gate__code=gate)
    if agency in Agency.values:
        checks = checks.filter(agency=agency)
    return checks.select_related(
        "declaration", "declaration__vehicle", "declaration__enterprise", "gate"
    ).order_by("-perishable", "opened_at", "pk")


def checks_of(declaration: Declaration) -> QuerySet[Check]:
    return declaration.checks.prefetch_related("inspections").order_by("agency", "opened_at", "pk")


def may_inspect(actor: User, check: Check) -> bool:
    if actor.has_full_access:
        return True
    return actor.role == AGENCY_ROLE[check.agency] and check.gate_id in gate_ids(actor)


# --- inspections ------------------------------------------------------------------------------


@dataclass
class InspectionInput:
    result: str
    notes: str = ""
    sample_taken: bool = False
    started_at: datetime | None = None


def _check_inspection(data: InspectionInput, check: Check, now: datetime) -> datetime:
    errors: dict[str, list[str]] = {}
    if data.result not in InspectionResult.values:
        errors["result"] = [
            _("Choose one of: %s.") % ", ".join(str(r.label) for r in InspectionResult)
        ]
    elif data.result != InspectionResult.PASS and not data.notes.strip():
        errors["notes"] = [_("Say what was found: a result other than pass needs its reason.")]
    if len(data.notes) > 4000:
        errors["notes"] = [_("At most 4,000 characters.")]
    started = data.started_at or now
    if started > now + shipments.CLOCK_SKEW:
        errors["started_at"] = [_("The inspection cannot start in the future.")]
    elif started < check.opened_at:
        errors["started_at"] = [_("The inspection cannot start before the check opened.")]
    if errors:
        raise InvalidInput(_("The inspection has errors; see each field."), fields=errors)
    return min(started, now)


def do_record_inspection(*, check_id: int, actor: User, data: InspectionInput) -> Check:
    """Record an officer's finding; pass the last check and the truck is cleared."""
    now = timezone.now()
    with transaction.atomic():
        found = Check.objects.restrict(actor, Action.VIEW).filter(pk=check_id).first()
        if found is None:
            raise NotFound(_("No such check."))
        # Lock the declaration first, then the check: the same order as do_transition's
        # effects, so an inspection racing a cancellation cannot deadlock, and two officers
        # recording on the same truck at once are serialised.
        declaration = (
            Declaration.objects.select_for_update()
            .select_related("gate", "vehicle")
            .get(pk=found.declaration_id)
        )
        check = Check.objects.select_for_update().get(pk=check_id)
        if not may_inspect(actor, check):
            raise NotAllowed(
                _("Only %(agency)s officers at %(gate)s record this check.")
                % {"agency": Agency(check.agency).label, "gate": declaration.gate.name}
            )
        if not check.is_pending:
            raise Conflict(
                _("This check is already closed: %s.") % CheckStatus(check.status).label,
                code="check_closed",
            )
        if declaration.state != TruckState.ARRIVED:
            raise Conflict(
                _("The truck is %s; only a truck in the yard is inspected.")
                % TruckState(declaration.state).label,
                code="not_in_yard",
            )
        started = _check_inspection(data, check, now)
        before = check.status
        inspection = Inspection.objects.create(
            check_record=check,
            result=data.result,
            notes=data.notes.strip(),
            sample_taken=data.sample_taken,
            started_at=started,
            finished_at=now,
            officer=actor,
            officer_label=audit.actor_label_for(actor, ""),
        )
        check.status = RESULT_STATUS[data.result]
        if check.status in (CheckStatus.PASSED, CheckStatus.FAILED):
            check.closed_at = now
        check.save(update_fields=["status", "closed_at"])
        audit.record(
            action="check.inspected",
            obj=check,
            actor=actor,
            before={"status": before},
            after={
                "declaration": declaration.reference,
                "agency": check.agency,
                "result": inspection.result,
                "status": check.status,
                "notes": inspection.notes,
                "sample_taken": inspection.sample_taken,
            },
            at=now,
        )
        if data.result == InspectionResult.FAIL:
            _reject(declaration, check, actor, inspection.notes)
        elif data.result == InspectionResult.PASS:
            _clear_if_done(declaration, actor)
        elif data.result == InspectionResult.TREATMENT:
            _tell_declarant(declaration, check, inspection.notes)
    return check


def _reject(declaration: Declaration, check: Check, actor: User, notes: str) -> None:
    agency = Agency(check.agency).label
    shipments.do_transition(
        declaration_id=declaration.pk,
        transition="reject",
        actor=actor,
        reason=f"{agency}: {notes}",
    )
    notifications.notify(
        recipients=notifications.declarants_of(declaration),
        kind="clearance.rejected",
        compose=lambda: (
            _("%(reference)s rejected by %(agency)s")
            % {"reference": declaration.reference, "agency": Agency(check.agency).label},
            _("Truck %(plate)s was refused at %(gate)s. Reason: %(reason)s")
            % {"plate": declaration.vehicle.plate, "gate": declaration.gate.name, "reason": notes},
        ),
        declaration=declaration,
    )


def _tell_declarant(declaration: Declaration, check: Check, notes: str) -> None:
    notifications.notify(
        recipients=notifications.declarants_of(declaration),
        kind="clearance.treatment",
        compose=lambda: (
            _("%(reference)s: treatment required") % {"reference": declaration.reference},
            _("%(agency)s requires treatment before truck %(plate)s can pass: %(notes)s")
            % {
                "agency": Agency(check.agency).label,
                "plate": declaration.vehicle.plate,
                "notes": notes,
            },
        ),
        declaration=declaration,
    )


def do_escalate_to_full(*, check_id: int, actor: User, reason: str) -> Check:
    """Customs widens a partial physical inspection to a full one; the time limit becomes the
    full inspection's (2 working days by default), counted from when the check opened."""
    if not reason.strip():
        raise InvalidInput(_("Give a reason."), fields={"reason": [_("A reason is required.")]})
    with transaction.atomic():
        found = Check.objects.restrict(actor, Action.VIEW).filter(pk=check_id).first()
        if found is None:
            raise NotFound(_("No such check."))
        declaration = (
            Declaration.objects.select_for_update()
            .select_related("gate")
            .get(pk=found.declaration_id)
        )
        check = Check.objects.select_for_update().get(pk=check_id)
        if check.agency != Agency.CUSTOMS or not may_inspect(actor, check):
            raise NotAllowed(_("Only customs officers at the gate widen an inspection."))
        if check.kind != CheckKind.PARTIAL_INSPECTION or not check.is_pending:
            raise Conflict(
                _("Only a pending partial inspection can become a full one."),
                code="not_partial",
            )
        before = {"kind": check.kind, "due_at": check.due_at.isoformat() if check.due_at else None}
        check.kind = CheckKind.FULL_INSPECTION
        check.due_at = due_at(
            gate=declaration.gate,
            flow=declaration.flow,
            start=check.opened_at,
            kind=CheckKind.FULL_INSPECTION,
        )
        check.save(update_fields=["kind", "due_at"])
        audit.record(
            action="check.escalated",
            obj=check,
            actor=actor,
            before=before,
            after={
                "kind": check.kind,
                "due_at": check.due_at.isoformat() if check.due_at else None,
                "reason": reason.strip(),
            },
        )
    return check


def post_clearance_audits(*, actor: User, days: int = 90) -> QuerySet[Clearance]:
    """Blue-channel declarations released in the last ``days`` days, for customs to audit."""
    if not (actor.has_full_access or actor.role in (Role.CUSTOMS, Role.CUSTOMS_ADMIN)):
        return Clearance.objects.none()
    since = timezone.now() - timedelta(days=days)
    clearances = Clearance.objects.filter(channel=Channel.BLUE, opened_at__gte=since)
    if actor.role == Role.CUSTOMS:
        clearances = clearances.filter(declaration__gate_id__in=gate_ids(actor))
    return clearances.select_related(
        "declaration", "declaration__enterprise", "declaration__gate"
    ).order_by("-opened_at")


def do_override_channel(
    *, declaration_id: int, actor: User, channel: str, reason: str
) -> Clearance:
    """A customs officer changes the channel, with a reason; the customs check follows it."""
    errors: dict[str, list[str]] = {}
    if channel not in Channel.values:
        errors["channel"] = [_("Choose one of: %s.") % ", ".join(Channel.values)]
    if not reason.strip():
        errors["reason"] = [_("A reason is required.")]
    if errors:
        raise InvalidInput(_("The override has errors; see each field."), fields=errors)
    now = timezone.now()
    with transaction.atomic():
        declaration = (
            Declaration.objects.restrict(actor, Action.VIEW)
            .select_for_update()
            .filter(pk=declaration_id)
            .first()
        )
        if declaration is None:
            raise NotFound(_("No such declaration."))
        if not (actor.has_full_access or actor.role == Role.CUSTOMS):
            raise NotAllowed(_("Only customs officers change the channel."))
        clearance = Clearance.objects.filter(declaration=declaration).first()
        if clearance is None or declaration.state != TruckState.ARRIVED:
            raise Conflict(
                _("The channel can be changed only while the truck waits in the yard."),
                code="not_in_yard",
            )
        if clearance.channel == channel:
            raise InvalidInput(
                _("The declaration is already in that channel."),
                fields={"channel": [_("Choose a different channel.")]},
            )
        customs = Check.objects.select_for_update().filter(
            declaration=declaration, agency=Agency.CUSTOMS
        )
        decided = customs.exclude(status__in=(*PENDING_STATUSES, CheckStatus.WITHDRAWN))
        if decided.filter(inspections__officer__isnull=False).exists():
            raise Conflict(
                _("Customs has already recorded its finding on this truck."),
                code="customs_decided",
            )
        before = clearance.channel
        customs.exclude(status=CheckStatus.WITHDRAWN).update(
            status=CheckStatus.WITHDRAWN, closed_at=now
        )
        rule = CheckRule.objects.filter(agency=Agency.CUSTOMS, is_active=True).first()
        _new_check(
            declaration=declaration,
            agency=Agency.CUSTOMS,
            kind=CHANNEL_CHECK[channel],
            rule=rule,
            at=now,
        )
        clearance.channel = channel
        clearance.override_reason = reason.strip()
        clearance.overridden_by = actor
        clearance.save(update_fields=["channel", "override_reason", "overridden_by"])
        audit.record(
            action="clearance.channel_overridden",
            obj=clearance,
            actor=actor,
            before={"channel": before},
            after={"channel": channel, "reason": reason.strip()},
            at=now,
        )
        _clear_if_done(declaration, actor)
    return clearance


# --- documents --------------------------------------------------------------------------------

#: Accepted files, recognised by their first bytes rather than by the name the uploader gave.
FILE_SIGNATURES: tuple[tuple[bytes, str, str], ...] = (
    (b"%PDF-", "application/pdf", ".pdf"),
    (b"\xff\xd8\xff", "image/jpeg", ".jpg"),
    (b"\x89PNG\r\n\x1a\n", "image/png", ".png"),
)


def max_document_bytes() -> int:
    return int(settings.CUAKHAU_MAX_DOCUMENT_MB) * 1024 * 1024


def documents_visible(user: User) -> QuerySet[Document]:
    """The declarant's own documents and those at the gates where an officer works; no one else."""
    documents = Document.objects.select_related("declaration", "declaration__gate")
    if not user.is_authenticated or not user.is_active:
        return documents.none()
    if user.has_full_access:
        return documents
    if user.role == Role.DECLARANT and user.enterprise_id is not None:
        return documents.filter(declaration__enterprise_id=user.enterprise_id)
    if user.role in OFFICER_ROLES:
        return documents.filter(declaration__gate_id__in=gate_ids(user))
    return documents.none()


def may_attach(user: User, declaration: Declaration) -> bool:
    if user.has_full_access:
        return True
    if user.role == Role.DECLARANT:
        return declaration.enterprise_id == user.enterprise_id
    return user.role in OFFICER_ROLES and declaration.gate_id in gate_ids(user)


def do_upload_document(
    *, reference: str, actor: User, document_type: str, upload: UploadedFile | None
) -> Document:
    declaration = Declaration.objects.filter(reference=reference).first()
    if declaration is None or not may_attach(actor, declaration):
        # Another enterprise's declaration is reported as missing, not as forbidden: its
        # existence is not the asker's business.
        raise NotFound(_("No such declaration."))
    if declaration.state in TERMINAL_STATES:
        raise Conflict(
            _("The declaration is %s; no more documents are accepted.")
            % TruckState(declaration.state).label,
            code="declaration_closed",
        )
    errors: dict[str, list[str]] = {}
    if document_type not in DocumentType.values:
        errors["document_type"] = [_("Choose a document type from the list.")]
    content_type = suffix = ""
    if upload is None:
        errors["file"] = [_("Choose a file to upload.")]
    elif not upload.size:
        errors["file"] = [_("The file is empty.")]
    elif upload.size > max_document_bytes():
        errors["file"] = [
            _("The file is %(size).1f MB; at most %(limit)d MB is accepted.")
            % {"size": upload.size / 1024 / 1024, "limit": settings.CUAKHAU_MAX_DOCUMENT_MB}
        ]
    else:
        head = upload.read(16)
        upload.seek(0)
        for signature, kind, extension in FILE_SIGNATURES:
            if head.startswith(signature):
                content_type, suffix = kind, extension
                break
        else:
            errors["file"] = [_("Only PDF, JPEG and PNG files are accepted.")]
    if errors or upload is None:
        raise InvalidInput(_("The document was not accepted; see each field."), fields=errors)
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    original = (upload.name or "document").rsplit("/", 1)[-1][:200]
    now = timezone.now()
    with transaction.atomic():
        document = Document(
            declaration=declaration,
            document_type=document_type,
            original_name=original,
            content_type=content_type,
            size=upload.size or 0,
            sha256=digest.hexdigest(),
            uploaded_at=now,
            uploaded_by=actor,
        )
        # The generated name takes its suffix from the content, never from the uploader.
        document.file.save(f"upload{suffix}", upload, save=False)
        document.save()
        audit.record(
            action="document.uploaded",
            obj=document,
            actor=actor,
            after={
                "declaration": declaration.reference,
                "document_type": document_type,
                "file_name": original,
                "size": document.size,
                "sha256": document.sha256,
            },
            at=now,
        )
    return document


@dataclass(frozen=True)
class ChecklistItem:
    requirement: DocumentRequirement
    documents: list[Document]


def checklist(declaration: Declaration, documents: Iterable[Document]) -> list[ChecklistItem]:
    by_type: dict[str, list[Document]] = defaultdict(list)
    for document in documents:
        by_type[document.document_type].append(document)
    return [
        ChecklistItem(requirement, by_type.get(requirement.document_type, []))
        for requirement in required_documents(declaration)
    ]


# --- selectivity rules: editing and preview ---------------------------------------------------


@dataclass
class RuleInput:
    code: str
    description: str
    channel: str
    rate: Any
    # Lists, or comma-separated text as typed in the form.
    compliance_classes: Any = field(default_factory=list)
    hs_prefixes: Any = field(default_factory=list)
    directions: Any = field(default_factory=list)
    origin_provinces: Any = field(default_factory=list)
    value_outside_range: bool = False
    is_active: bool = True
    # A language code when a person typed the rate in a form ("0,05" in "vi"); None for the API.
    number_language: str | None = None


def _as_list(raw: Any) -> list[Any]:
    if raw is None or raw == "":
        return []
    if isinstance(raw, str):
        return [part.strip() for part in raw.replace(";", ",").split(",") if part.strip()]
    if isinstance(raw, list | tuple):
        return [part.strip() if isinstance(part, str) else part for part in raw if part != ""]
    return [raw]


def check_rule_input(data: RuleInput, *, existing: SelectivityRule | None) -> SelectivityRule:
    """Validate a rule and return it unsaved (the existing row changed in memory, or a new one)."""
    errors: dict[str, list[str]] = {}
    code = data.code.strip().lower()
    if existing is None:
        if not code or not all(ch.isalnum() or ch in "-_" for ch in code) or len(code) > 40:
            errors["code"] = [_("Use 1 to 40 letters, digits, '-' or '_'.")]
        elif SelectivityRule.objects.filter(code=code).exists():
            errors["code"] = [_("A rule with this code exists; edit it instead.")]
    description = data.description.strip()
    if not description:
        errors["description"] = [_("Describe what the rule looks for.")]
    elif len(description) > 300:
        errors["description"] = [_("At most 300 characters.")]
    if data.channel not in (Channel.YELLOW, Channel.RED, Channel.BLUE):
        errors["channel"] = [_("Choose yellow, red or blue.")]
    rate: Decimal | None
    try:
        rate = parse_decimal(data.rate, language=data.number_language, places=4)
    except NumberError as exc:
        rate, errors["rate"] = None, [exc.message]
    if rate is not None and not Decimal(0) <= rate <= Decimal(1):
        rate = None
        errors["rate"] = [
            _("Give a share between 0 and 1, e.g. %(example)s for 5%%.")
            % {"example": number_format(Decimal("0.05"))}
        ]
    classes = _as_list(data.compliance_classes)
    if bad := [c for c in classes if c not in ComplianceClass.values]:
        errors["compliance_classes"] = [
            _("Unknown: %(bad)s. Use: %(good)s.")
            % {"bad": ", ".join(map(str, bad)), "good": ", ".join(ComplianceClass.values)}
        ]
    directions = _as_list(data.directions)
    if bad := [d for d in directions if d not in Direction.values]:
        errors["directions"] = [
            _("Unknown: %(bad)s. Use: %(good)s.")
            % {"bad": ", ".join(map(str, bad)), "good": ", ".join(Direction.values)}
        ]
    prefixes = [ascii_digits(str(p)).strip() for p in _as_list(data.hs_prefixes)]
    if bad := [p for p in prefixes if not (p.isascii() and p.isdigit() and 2 <= len(p) <= 4)]:
        errors["hs_prefixes"] = [
            _("Unknown: %s. Give HS chapters (2 digits) or headings (4 digits).") % ", ".join(bad)
        ]
    provinces: list[int] = []
    known = {code for code, _name in province_choices()}
    for raw in _as_list(data.origin_provinces):
        try:
            number = int(raw)
        except (TypeError, ValueError):
            number = -1
        if number not in known:
            errors["origin_provinces"] = [_("Unknown province code: %s.") % raw]
            break
        provinces.append(number)
    if errors:
        raise InvalidInput(_("The rule has errors; see each field."), fields=errors)
    rule = existing or SelectivityRule(code=code)
    rule.description = description
    rule.channel = data.channel
    rule.rate = rate  # type: ignore[assignment]
    rule.compliance_classes = classes
    rule.directions = directions
    rule.hs_prefixes = prefixes
    rule.origin_provinces = provinces
    rule.value_outside_range = bool(data.value_outside_range)
    rule.is_active = bool(data.is_active)
    return rule


def _with_change(rule: SelectivityRule) -> list[SelectivityRule]:
    others = [r for r in active_selectivity_rules() if r.code != rule.code]
    return sorted([*others, rule] if rule.is_active else others, key=lambda r: r.code)


def random_selection_rate(rules: Iterable[SelectivityRule]) -> float:
    """The chance that a declaration no targeted rule picks is still inspected (not green)."""
    miss = 1.0
    for rule in rules:
        if rule.is_random and rule.channel != Channel.GREEN:
            miss *= 1.0 - float(rule.rate)
    return 1.0 - miss


def _check_random_minimum(rules: list[SelectivityRule]) -> None:
    floor = float(settings.CUAKHAU_MIN_RANDOM_SELECTION)
    rate = random_selection_rate(rules)
    if rate + 1e-9 < floor:
        raise Conflict(
            _(
                "After this change only %(rate).2f%% of declarations would be selected at "
                "random; the minimum is %(floor).2f%%."
            )
            % {"rate": rate * 100, "floor": floor * 100},
            code="below_random_minimum",
            fields={"rate": [_("Keep the random selection at or above the minimum.")]},
        )


def _may_edit_rules(actor: User) -> None:
    if not (actor.has_full_access or actor.role == Role.CUSTOMS_ADMIN):
        raise NotAllowed(_("Only the customs administrator edits selectivity rules."))


@dataclass(frozen=True)
class Preview:
    days: int
    count: int
    current: selectivity.Shares
    proposed: selectivity.Shares
    changed: int
    changed_by_channel: dict[str, dict[str, int]]
    random_rate: float


def preview_rule(*, actor: User, data: RuleInput, days: int = PREVIEW_DAYS) -> Preview:
    """What the rule change would have done to the last ``days`` days of declarations."""
    _may_edit_rules(actor)
    existing = SelectivityRule.objects.filter(code=data.code.strip().lower()).first()
    if existing is not None:
        existing = SelectivityRule.objects.get(pk=existing.pk)
    rule = check_rule_input(data, existing=existing)
    current_rules = active_selectivity_rules()
    proposed_rules = _with_change(rule)
    since = timezone.now() - timedelta(days=days)
    population = facts_for(Declaration.objects.filter(created_at__gte=since))
    prices = price_ranges()
    secret = _selectivity_secret()
    current, proposed = selectivity.evaluate(
        population, [current_rules, proposed_rules], prices, secret
    )
    moves: dict[str, dict[str, int]] = {c: dict.fromkeys(SEVERITY, 0) for c in SEVERITY}
    for before, after in zip(current.channels, proposed.channels, strict=True):
        moves[before][after] += 1
    changed = sum(n for b, row in moves.items() for a, n in row.items() if a != b)
    return Preview(
        days=days,
        count=len(population),
        current=current.shares,
        proposed=proposed.shares,
        changed=changed,
        changed_by_channel=moves,
        random_rate=random_selection_rate(proposed_rules),
    )


def do_save_rule(*, actor: User, data: RuleInput, creating: bool) -> SelectivityRule:
    """Create a rule (its code must be new) or change an existing one, with audit."""
    _may_edit_rules(actor)
    with transaction.atomic():
        code = data.code.strip().lower()
        existing = None
        if not creating:
            existing = SelectivityRule.objects.select_for_update().filter(code=code).first()
            if existing is None:
                raise NotFound(_("No such rule."))
        before = _rule_snapshot(existing) if existing is not None else None
        rule = check_rule_input(data, existing=existing)
        _check_random_minimum(_with_change(rule))
        rule.updated_at = timezone.now()
        rule.updated_by = actor
        rule.save()
        audit.record(
            action="selectivity_rule.changed" if before else "selectivity_rule.created",
            obj=rule,
            actor=actor,
            before=before,
            after=_rule_snapshot(rule),
        )
    return rule


def _rule_snapshot(rule: SelectivityRule) -> dict[str, Any]:
    return {
        "code": rule.code,
        "description": rule.description,
        "channel": rule.channel,
        "rate": str(rule.rate),
        "compliance_classes": list(rule.compliance_classes),
        "hs_prefixes": list(rule.hs_prefixes),
        "directions": list(rule.directions),
        "origin_provinces": list(rule.origin_provinces),
        "value_outside_range": rule.value_outside_range,
        "is_active": rule.is_active,
    }


def do_set_check_rule(*, actor: User, code: str, active: bool, reason: str) -> CheckRule:
    """The board switches a check on or off (the health check during an epidemic)."""
    if not (actor.has_full_access or actor.role == Role.BOARD):
        raise NotAllowed(_("Only the gate management board switches checks on or off."))
    if not reason.strip():
        raise InvalidInput(_("Give a reason."), fields={"reason": [_("A reason is required.")]})
    with transaction.atomic():
        rule = CheckRule.objects.select_for_update().filter(code=code).first()
        if rule is None:
            raise NotFound(_("No such check rule."))
        before = rule.is_active
        rule.is_active = active
        rule.save(update_fields=["is_active"])
        audit.record(
            action="check_rule.switched",
            obj=rule,
            actor=actor,
            before={"is_active": before},
            after={"is_active": active, "reason": reason.strip()},
        )
    return rule
