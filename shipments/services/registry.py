"""Registering enterprises, vehicles and drivers."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from accounts import policy
from accounts.choices import Role
from accounts.models import User
from accounts.scoping import Action
from audit import services as audit
from cuakhau.errors import Conflict, InvalidInput, NotAllowed
from shipments import policy as rules
from shipments.choices import (
    VehicleKind,
)
from shipments.models import (
    Driver,
    Enterprise,
    Vehicle,
)
from shipments.validators import (
    normalize_plate,
)


def _enterprise_for(actor: User, enterprise_id: Any) -> Enterprise:
    if actor.role == Role.DECLARANT:
        if actor.enterprise_id is None:
            raise NotAllowed(_("Your account belongs to no enterprise."))
        return Enterprise.objects.get(pk=actor.enterprise_id)
    enterprise = Enterprise.objects.restrict(actor, Action.VIEW).filter(pk=enterprise_id).first()
    if enterprise is None:
        raise InvalidInput(
            _("Choose the enterprise."), fields={"enterprise": [_("Unknown enterprise.")]}
        )
    return enterprise


def do_register_vehicle(
    *, actor: User, plate: str, kind: str, payload_kg: int | None = None, enterprise_id: Any = None
) -> Vehicle:
    policy.require(actor, rules.REGISTER_FLEET)
    try:
        canonical, country = normalize_plate(plate)
    except ValidationError as exc:
        raise InvalidInput(exc.messages[0], fields={"plate": exc.messages}) from exc
    if kind not in VehicleKind.values:
        raise InvalidInput(
            _("Unknown vehicle kind."),
            fields={"kind": [_("Choose one of: %s.") % ", ".join(VehicleKind.values)]},
        )
    enterprise = _enterprise_for(actor, enterprise_id)
    with transaction.atomic():
        if Vehicle.objects.filter(plate=canonical).exists():
            raise Conflict(
                _("Plate %s is already registered.") % canonical,
                fields={"plate": [_("This plate is already registered.")]},
            )
        vehicle = Vehicle.objects.create(
            plate=canonical,
            country=country,
            kind=kind,
            payload_kg=payload_kg,
            enterprise=enterprise,
        )
        audit.record(
            action="vehicle.registered",
            obj=vehicle,
            actor=actor,
            after={"plate": canonical, "kind": kind, "enterprise": enterprise.pk},
        )
    return vehicle


def do_register_driver(
    *,
    actor: User,
    full_name: str,
    id_document_type: str,
    id_document_number: str,
    phone: str,
    preferred_language: str,
    enterprise_id: Any = None,
) -> Driver:
    policy.require(actor, rules.REGISTER_FLEET)
    enterprise = _enterprise_for(actor, enterprise_id)
    with transaction.atomic():
        if Driver.objects.filter(
            id_document_type=id_document_type, id_document_number=id_document_number
        ).exists():
            raise Conflict(
                _("A driver with this identity document is already registered."),
                fields={"id_document_number": [_("Already registered.")]},
            )
        driver = Driver.objects.create(
            full_name=full_name,
            id_document_type=id_document_type,
            id_document_number=id_document_number,
            phone=phone,
            preferred_language=preferred_language,
            enterprise=enterprise,
        )
        audit.record(
            action="driver.registered",
            obj=driver,
            actor=actor,
            after={
                "full_name": full_name,
                "enterprise": enterprise.pk,
                "id_document_type": id_document_type,
            },
        )
    return driver


def do_register_enterprise(
    *, actor: User, name: str, country: str, tax_code: str, compliance_class: str, address: str = ""
) -> Enterprise:
    policy.require(actor, rules.REGISTER_ENTERPRISE)
    with transaction.atomic():
        if Enterprise.objects.filter(tax_code=tax_code).exists():
            raise Conflict(
                _("An enterprise with this tax code is already registered."),
                fields={"tax_code": [_("Already registered.")]},
            )
        enterprise = Enterprise.objects.create(
            name=name,
            country=country,
            tax_code=tax_code,
            compliance_class=compliance_class,
            address=address,
        )
        audit.record(
            action="enterprise.registered",
            obj=enterprise,
            actor=actor,
            after={
                "name": name,
                "country": country,
                "tax_code": tax_code,
                "compliance_class": compliance_class,
            },
        )
    return enterprise
