"""VNACCS customs declarations (tờ khai hải quan) and the trucks that carry them.

Customs declares a consignment, not a vehicle: one customs declaration may travel on several
trucks (12 t of machinery on two trucks) and one truck may carry the goods of several (a
consolidated load of small fruit exporters). Each has its number (12 digits), its procedure code
(mã loại hình: A11, B11, G11…) and, once VNACCS has assigned it, its channel (1, 2, 3), which
applies to every truck under it; a truck is worked at the strictest of its declarations'.

Here is the one check of a number, a procedure code and a channel code, with one set of
messages, used by the declaration form, the API and the clearance panel alike; and the linking of
a trip to its customs declarations. Who may change a channel once recorded, and what that does
to the checks at the gate, is clearance's (``clearance.services.channels``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from accounts.models import User
from cuakhau.numbers import parse_day
from gates.choices import Flow
from shipments.choices import CustomsChannel, Direction, TruckState
from shipments.models import (
    CustomsDeclaration,
    CustomsDeclarationTrip,
    Declaration,
    ProcedureCode,
)
from shipments.validators import normalize_customs_number

#: A trip may carry the goods of at most this many customs declarations.
MAX_CUSTOMS_DECLARATIONS = 20

#: Directions whose goods travel under a transport declaration (tờ khai vận chuyển), which
#: has no procedure code of its own: for them the code may be left out.
CODE_OPTIONAL = frozenset({Direction.TRANSIT, Direction.TRANSSHIPMENT})

#: Before the truck reaches the yard: the declarant may still record the channel VNACCS sent.
BEFORE_YARD = frozenset({TruckState.DECLARED, TruckState.ADMITTED})
#: Trips that no longer count when asking whether a customs declaration's trucks reached the yard.
LEFT = frozenset({TruckState.CANCELLED, TruckState.REJECTED})


def channel_code_error() -> str:
    return _("Give the channel code VNACCS assigned: 1 (green), 2 (yellow) or 3 (red).")


def number_needed_error() -> str:
    return _("Give the customs declaration number the channel was assigned to (12 digits).")


@dataclass
class CustomsDeclarationInput:
    """A customs declaration as the declarant or the officer types it; field names are the
    API's (``number``, ``procedure_code``, ``registered_on``, ``customs_office``, ``channel``)."""

    number: Any = ""
    procedure_code: Any = ""
    registered_on: Any = None
    customs_office: Any = ""
    channel: Any = ""


@dataclass
class CleanCustomsDeclaration:
    number: str
    procedure_code: ProcedureCode | None
    registered_on: date | None
    customs_office: str
    channel: str
    #: The record with this number, when it exists already (it is linked, not created).
    existing: CustomsDeclaration | None = None


#: The field names of a single customs declaration in the older flat shape (the trip's
#: ``customs_declaration_number`` and ``customs_channel``), for error messages.
FLAT_NAMES = {
    "number": "customs_declaration_number",
    "procedure_code": "procedure_code",
    "registered_on": "customs_registered_on",
    "customs_office": "customs_office",
    "channel": "customs_channel",
}


def item_names(index: int) -> dict[str, str]:
    """The field names of the ``index``-th customs declaration of a list."""
    return {key: f"customs_declarations[{index}].{key}" for key in FLAT_NAMES}


def check_channel_code(raw: Any) -> str:
    """A VNACCS channel code: "1", "2", "3", or "" (not recorded); raises ValidationError."""
    code = str(raw if raw is not None else "").strip()
    if code and code not in CustomsChannel.values:
        raise ValidationError(channel_code_error(), code="invalid_channel")
    return code


def check_customs_declaration(
    data: CustomsDeclarationInput,
    *,
    enterprise_id: int | None,
    direction: str,
    flow: str,
    names: dict[str, str] = FLAT_NAMES,
) -> tuple[CleanCustomsDeclaration | None, dict[str, list[str]]]:
    """Check a number, its procedure code, registration day, office and channel together, for a
    trip of ``direction`` and ``flow`` of ``enterprise_id``'s. Returns the clean value (None
    when nothing was given) and the errors keyed by ``names``."""
    errors: dict[str, list[str]] = {}
    raw_number = str(data.number if data.number is not None else "").strip()
    raw_code = str(data.procedure_code if data.procedure_code is not None else "").strip().upper()
    channel = ""
    try:
        channel = check_channel_code(data.channel)
    except ValidationError as exc:
        errors.setdefault(names["channel"], []).extend(exc.messages)
    if not raw_number:
        if channel or raw_code:
            errors.setdefault(names["number"], []).append(number_needed_error())
        return None, errors
    number = ""
    try:
        number = normalize_customs_number(raw_number)
    except ValidationError as exc:
        errors.setdefault(names["number"], []).extend(exc.messages)
    existing = (
        CustomsDeclaration.objects.select_related("procedure_code").filter(number=number).first()
        if number
        else None
    )
    if existing is not None and existing.enterprise_id != enterprise_id:
        errors.setdefault(names["number"], []).append(
            _("This customs declaration number is registered by another enterprise.")
        )
        existing = None
    code: ProcedureCode | None = None
    if raw_code:
        code = ProcedureCode.objects.filter(code=raw_code, is_active=True).first()
        if code is None:
            errors.setdefault(names["procedure_code"], []).append(
                _("Unknown procedure code %r: give a VNACCS code such as A11, B11 or G11.")
                % raw_code
            )
    elif existing is not None:
        code = existing.procedure_code
    elif direction not in CODE_OPTIONAL:
        errors.setdefault(names["procedure_code"], []).append(
            _("Give the procedure code (mã loại hình) the declaration was registered under.")
        )
    if (
        existing is not None
        and code is not None
        and existing.procedure_code_id
        not in (
            None,
            code.pk,
        )
    ):
        assert existing.procedure_code is not None  # noqa: S101 - checked just above
        errors.setdefault(names["procedure_code"], []).append(
            _("Customs declaration %(number)s is registered under %(code)s.")
            % {"number": number, "code": existing.procedure_code.code}
        )
    elif code is not None and direction in Direction.values and not fits(code, direction, flow):
        message = _(
            "Procedure code %(code)s (%(name)s) does not fit a trip of direction "
            "%(direction)s%(crossing)s."
        ) % {
            "code": code.code,
            "name": code.name,
            "direction": Direction(direction).label,
            "crossing": f" ({Flow(flow).label})" if flow in Flow.values else "",
        }
        errors.setdefault(names["procedure_code"], []).append(message)
        errors.setdefault("direction", []).append(message)
    registered_on: date | None = None
    if data.registered_on not in (None, ""):
        registered_on = parse_day(data.registered_on)
        if registered_on is None:
            errors.setdefault(names["registered_on"], []).append(_("Give the day as DD/MM/YYYY."))
    office = str(data.customs_office or "").strip()
    if len(office) > 120:
        errors.setdefault(names["customs_office"], []).append(_("Give at most 120 characters."))
    if errors:
        return None, errors
    return (
        CleanCustomsDeclaration(
            number=number,
            procedure_code=code,
            registered_on=registered_on,
            customs_office=office,
            channel=channel,
            existing=existing,
        ),
        {},
    )


def fits(code: ProcedureCode, direction: str, flow: str) -> bool:
    """Whether a trip of ``direction`` crossing ``flow`` may carry goods under ``code``."""
    if code.directions and direction not in code.directions:
        return False
    return not (code.flow and flow and code.flow != flow)


def trucks_reached_yard(customs_declaration: CustomsDeclaration) -> bool:
    """Whether a truck under this customs declaration is at the yard or beyond (then only customs
    records or changes its channel)."""
    return customs_declaration.trips.exclude(state__in=BEFORE_YARD).exclude(state__in=LEFT).exists()


def attach_customs_declaration(
    *,
    trip: Declaration,
    clean: CleanCustomsDeclaration,
    actor: User | None,
    actor_label: str = "",
    at: datetime,
) -> tuple[CustomsDeclaration, bool]:
    """Link ``trip`` to the customs declaration ``clean`` names, creating it when new; a new one
    gets the channel given with it. Returns the record and whether it was linked now. Runs inside
    the caller's transaction, which audits (its audit row comes last, see the lock order);
    channels of existing records are the caller's to change."""
    record = clean.existing
    if record is None:
        try:
            with transaction.atomic():
                record = CustomsDeclaration.objects.create(
                    number=clean.number,
                    enterprise_id=trip.enterprise_id,
                    procedure_code=clean.procedure_code,
                    registered_on=clean.registered_on,
                    customs_office=clean.customs_office,
                    channel=clean.channel,
                    channel_recorded_at=at if clean.channel else None,
                    channel_recorded_by=actor if clean.channel else None,
                    channel_recorded_by_label=_recorder(actor, actor_label)
                    if clean.channel
                    else "",
                    created_at=at,
                )
        except IntegrityError:
            # Created by a concurrent request a moment ago: link that one if it is ours.
            record = CustomsDeclaration.objects.get(number=clean.number)
            if record.enterprise_id != trip.enterprise_id:
                raise
    else:
        record = CustomsDeclaration.objects.select_for_update().get(pk=record.pk)
        if clean.channel and not record.channel:
            # The declarant records the channel VNACCS sent, once: the caller checked that none
            # is recorded and no truck under it reached the yard (``trucks_reached_yard``).
            record.channel = clean.channel
            record.channel_recorded_at = at
            record.channel_recorded_by = actor
            record.channel_recorded_by_label = _recorder(actor, actor_label)
            record.save(
                update_fields=[
                    "channel",
                    "channel_recorded_at",
                    "channel_recorded_by",
                    "channel_recorded_by_label",
                ]
            )
        fill = {
            name: value
            for name, value in (
                ("procedure_code", clean.procedure_code),
                ("registered_on", clean.registered_on),
                ("customs_office", clean.customs_office),
            )
            if value and not getattr(record, name)
        }
        if fill:
            for name, value in fill.items():
                setattr(record, name, value)
            record.save(update_fields=list(fill))
    _link, created = CustomsDeclarationTrip.objects.get_or_create(
        customs_declaration=record, trip=trip, defaults={"added_at": at}
    )
    return record, created


def _recorder(actor: User | None, label: str) -> str:
    if actor is not None:
        return f"{actor.get_username()} ({actor.get_role_display()})"
    return label


def customs_snapshot(record: CustomsDeclaration) -> dict[str, Any]:
    return {
        "number": record.number,
        "procedure_code": record.procedure_code.code if record.procedure_code else "",
        "registered_on": record.registered_on.isoformat() if record.registered_on else "",
        "customs_office": record.customs_office,
        "channel": record.channel,
    }


def customs_declarations_of(trip: Declaration) -> list[CustomsDeclaration]:
    """The trip's customs declarations, in the order they were added."""
    return sorted(trip.customs_declarations.all(), key=lambda cd: cd.pk)
