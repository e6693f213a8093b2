"""Personas and builders shared by every app's tests (cf. healthchecks ``hc/test.py``).

Two declarants (owner and outsider, of different enterprises), a yard operator and a customs
officer at Hữu Nghị, a customs officer at Chi Ma, a border guard at Hữu Nghị, the board, a driver
and anonymous visitors. Real Lạng Sơn reference data is loaded for every test.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.utils import timezone

from accounts.choices import Role
from accounts.models import User
from clearance import services as clearance
from clearance.choices import AGENCY_ROLE, InspectionResult
from clearance.models import Check
from clearance.reference import load_clearance_rules
from fees.reference import load_fee_schedules
from gates.models import Gate
from gates.reference import load_gates
from shipments import services
from shipments.choices import Direction, IdDocumentType, Language, VehicleKind
from shipments.models import Declaration, Driver, Enterprise, FruitCode, ProcedureCode, Vehicle
from shipments.reference import load_commodities, load_procedure_codes

PASSWORD = "correct horse battery staple 42"


@dataclass
class World:
    gates: dict[str, Gate]
    owner_enterprise: Enterprise
    outsider_enterprise: Enterprise
    owner: User
    outsider: User
    yard_hn: User
    customs_hn: User
    quarantine_hn: User
    guard_hn: User
    customs_cm: User
    customs_admin: User
    board: User
    admin: User
    driver_user: User
    owner_driver: Driver
    outsider_driver: Driver
    owner_vehicle: Vehicle
    outsider_vehicle: Vehicle
    extra: dict[str, Any] = field(default_factory=dict)

    def personas(self) -> dict[str, User | None]:
        return {
            "owner": self.owner,
            "outsider": self.outsider,
            "yard_hn": self.yard_hn,
            "customs_hn": self.customs_hn,
            "quarantine_hn": self.quarantine_hn,
            "guard_hn": self.guard_hn,
            "customs_cm": self.customs_cm,
            "customs_admin": self.customs_admin,
            "board": self.board,
            "driver": self.driver_user,
            "anonymous": None,
        }


def _user(
    username: str,
    role: str,
    *,
    enterprise: Enterprise | None = None,
    gates: list[Gate] | None = None,
    superuser: bool = False,
) -> User:
    user = User.objects.create_user(
        username=username,
        password=PASSWORD,
        role=role,
        enterprise=enterprise,
        is_staff=superuser,
        is_superuser=superuser,
    )
    if gates:
        user.gates.set(gates)
    return user


#: Registered codes every test world has: fresh fruit declared for China carries them.
FRUIT_CODES = {"puc_code": "VN-LSOR-0001", "phc_code": "VN-LSPH-0001"}


def build_world() -> World:
    load_gates()
    load_commodities()
    load_procedure_codes()
    FruitCode.objects.create(kind="puc", code=FRUIT_CODES["puc_code"], source="test")
    FruitCode.objects.create(kind="phc", code=FRUIT_CODES["phc_code"], source="test")
    load_clearance_rules()
    load_fee_schedules()
    gates = {g.code: g for g in Gate.objects.all()}
    hn, cm = gates["huu-nghi"], gates["chi-ma"]
    owner_ent = Enterprise.objects.create(
        name="Công ty TNHH Nông sản Xanh", country="VN", tax_code="0100107518"
    )
    outsider_ent = Enterprise.objects.create(
        name="Công ty CP Thương mại Khác", country="VN", tax_code="0302712571"
    )
    owner_driver = Driver.objects.create(
        full_name="Nguyễn Văn An",
        id_document_type=IdDocumentType.VN_CITIZEN_ID,
        id_document_number="001090000001",
        phone="+84912345678",
        preferred_language=Language.VIETNAMESE,
        enterprise=owner_ent,
    )
    outsider_driver = Driver.objects.create(
        full_name="王伟",
        id_document_type=IdDocumentType.CN_RESIDENT_ID,
        id_document_number="451400199001011234",
        phone="+8613912345678",
        preferred_language=Language.CHINESE,
        enterprise=outsider_ent,
    )
    driver_user = _user("driver", Role.DRIVER)
    owner_driver.user = driver_user
    owner_driver.save()
    return World(
        gates=gates,
        owner_enterprise=owner_ent,
        outsider_enterprise=outsider_ent,
        owner=_user("owner", Role.DECLARANT, enterprise=owner_ent),
        outsider=_user("outsider", Role.DECLARANT, enterprise=outsider_ent),
        yard_hn=_user("yard_hn", Role.YARD_OPERATOR, gates=[hn]),
        customs_hn=_user("customs_hn", Role.CUSTOMS, gates=[hn]),
        quarantine_hn=_user("quarantine_hn", Role.QUARANTINE, gates=[hn]),
        guard_hn=_user("guard_hn", Role.BORDER_GUARD, gates=[hn]),
        customs_cm=_user("customs_cm", Role.CUSTOMS, gates=[cm]),
        customs_admin=_user("customs_admin", Role.CUSTOMS_ADMIN),
        board=_user("board", Role.BOARD),
        admin=_user("admin", Role.ADMIN, superuser=True),
        driver_user=driver_user,
        owner_driver=owner_driver,
        outsider_driver=outsider_driver,
        owner_vehicle=Vehicle.objects.create(
            plate="29C-123.45", country="VN", kind=VehicleKind.REEFER, enterprise=owner_ent
        ),
        outsider_vehicle=Vehicle.objects.create(
            plate="12H-001.23", country="VN", kind=VehicleKind.TRUCK, enterprise=outsider_ent
        ),
    )


#: A procedure code for each direction whose crossing is fixed (the tests' default).
PROCEDURE_CODES = {Direction.EXPORT: "B11", Direction.IMPORT: "A11"}


def declaration_input(world: World, **overrides: Any) -> services.DeclarationInput:
    """A valid export of dragon fruit through the Tân Thanh route, tomorrow morning."""
    lines = overrides.pop("lines", None) or [
        services.LineInput(
            commodity="dragon-fruit",
            hs_heading="0810",
            weight_kg="18000",
            value_usd="16200.00",
            **FRUIT_CODES,
        )
    ]
    values: dict[str, Any] = {
        "direction": Direction.EXPORT,
        "gate": "huu-nghi",
        "route": "tan-thanh",
        "vehicle_plate": world.owner_vehicle.plate,
        "driver": world.owner_driver.pk,
        "origin_province": 86,
        "planned_arrival": timezone.now() + timedelta(hours=20),
        "lines": lines,
    }
    values.update(overrides)
    if values.get("customs_declaration_number") and "procedure_code" not in values:
        values["procedure_code"] = PROCEDURE_CODES.get(values["direction"], "")
    return services.DeclarationInput(**values)


def declare(world: World, actor: User | None = None, **overrides: Any) -> Declaration:
    return services.do_create_declaration(
        actor=actor or world.owner, data=declaration_input(world, **overrides)
    )


def declaration_payload(world: World, **overrides: Any) -> dict[str, Any]:
    """The API body for the same declaration as :func:`declaration_input`."""
    body: dict[str, Any] = {
        "direction": "export",
        "gate": "huu-nghi",
        "route": "tan-thanh",
        "vehicle_plate": world.owner_vehicle.plate,
        "driver": world.owner_driver.pk,
        "origin_province": 86,
        "planned_arrival": (timezone.now() + timedelta(hours=20)).isoformat(),
        "lines": [
            {
                "commodity": "dragon-fruit",
                "hs_heading": "0810",
                "weight_kg": "18000",
                "value_usd": "16200.00",
                **FRUIT_CODES,
            }
        ],
    }
    body.update(overrides)
    if body.get("customs_declaration_number") and "procedure_code" not in body:
        body["procedure_code"] = PROCEDURE_CODES.get(body["direction"], "")
    return body


def officer_for(check: Check, world: World) -> User:
    """The persona at Hữu Nghị who works ``check``'s agency."""
    by_role = {
        u.role: u for u in (world.customs_hn, world.quarantine_hn, world.guard_hn, world.yard_hn)
    }
    return by_role[AGENCY_ROLE[check.agency]]


_customs_numbers = itertools.count(300_000_000_001)


def customs_number() -> str:
    """A fresh 12-digit customs declaration number (unique within a test run)."""
    return f"{next(_customs_numbers):012d}"


def procedure_code_for(declaration: Declaration) -> str:
    """A VNACCS procedure code that fits the trip's direction and crossing (B11 for an export)."""
    for code in ProcedureCode.objects.filter(is_active=True).order_by("code"):
        if declaration.direction in code.directions and code.flow in ("", declaration.flow):
            return code.code
    return ""


def record_channel(declaration: Declaration, world: World, code: str = "1") -> Declaration:
    """The customs officer at Hữu Nghị records the VNACCS channel ``code`` (green by default) on
    the trip's customs declaration, registering one for it when it has none."""
    return clearance.do_record_customs_channel(
        actor=world.customs_hn,
        reference=declaration.reference,
        channel=code,
        number=declaration.customs_declaration_number or customs_number(),
        procedure_code=procedure_code_for(declaration),
        reason="" if not declaration.customs_channel else "corrected in a test",
    )


def pass_checks(declaration: Declaration, world: World) -> None:
    """Every pending check passes, each recorded by its agency's officer: the truck is cleared.
    A truck with no VNACCS channel recorded gets green first."""
    declaration.refresh_from_db()
    if not declaration.customs_channel:
        record_channel(declaration, world)
    for check in Check.objects.filter(declaration=declaration, status__in=["open", "on_hold"]):
        clearance.do_record_inspection(
            check_id=check.pk,
            actor=officer_for(check, world),
            data=clearance.InspectionInput(result=InspectionResult.PASS),
        )


def walk_to(declaration: Declaration, world: World, state: str) -> Declaration:
    """Move a declaration along the happy path until it reaches ``state``."""
    path = [
        ("admit", world.board),
        ("arrive", world.yard_hn),
        ("clear", world.customs_hn),
        ("call", world.yard_hn),
        ("cross", world.guard_hn),
        ("return", world.guard_hn),
    ]
    for name, actor in path:
        if declaration.state == state:
            break
        if name == "clear":
            pass_checks(declaration, world)
            declaration.refresh_from_db()
            continue
        declaration = services.do_transition(
            declaration_id=declaration.pk, transition=name, actor=actor
        )
    assert declaration.state == state
    return declaration


def run_at_once(jobs: list[Callable[[], object]], *, timeout: float = 120) -> list[BaseException]:
    """Run ``jobs`` at the same moment, each in its own thread with its own database connection,
    on PostgreSQL; in turn on SQLite (one writer at a time). Returns the exceptions raised."""
    import threading

    from django.db import connection

    parallel = connection.vendor == "postgresql"
    barrier = threading.Barrier(len(jobs) if parallel else 1)
    errors: list[BaseException] = []
    lock = threading.Lock()

    def run(job: Callable[[], object]) -> None:
        try:
            barrier.wait(timeout=30)
            job()
        except BaseException as exc:
            with lock:
                errors.append(exc)
        finally:
            connection.close()

    if parallel:
        threads = [threading.Thread(target=run, args=(job,)) for job in jobs]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=timeout)
    else:
        for job in jobs:
            run(job)
    return errors


def migrate_to(targets: list[tuple[str, str]]) -> Any:
    """Migrate the test database to ``targets`` and return the app registry as it stood there
    (for migration tests; call :func:`migrate_to_latest` afterwards)."""
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return MigrationExecutor(connection).loader.project_state(targets).apps


def latest_nodes() -> list[tuple[str, str]]:
    """The latest migration of every app."""
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    return list(MigrationExecutor(connection).loader.graph.leaf_nodes())


def migrate_to_latest() -> None:
    migrate_to(latest_nodes())
