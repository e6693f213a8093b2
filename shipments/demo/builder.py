"""Building the demo's enterprises, fleet, accounts and trips, one seeded generator for all."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.utils import timezone

from accounts.choices import Role
from accounts.models import User
from gates.models import Gate, Route
from gates.reference import reference_data
from shipments.choices import (
    ComplianceClass,
    CustomsChannel,
    Delivery,
    Direction,
    GoodsGroup,
    IdDocumentType,
    Language,
    VehicleKind,
    WithdrawalReason,
)
from shipments.demo.accounts import ACCOUNTS, DemoAccount
from shipments.demo.names import (
    CN_COMPANY_WORDS,
    CN_GIVEN,
    CN_SURNAMES,
    VN_COMPANY_WORDS,
    VN_GIVEN,
    VN_MIDDLE,
    VN_PLACES,
    VN_SURNAMES,
    _cn_credit_code,
    _cn_plate,
    _vn_plate,
    _vn_tax_code,
)
from shipments.demo.traffic import (
    MIX,
    ORIGINS_EXIT,
    USD_PER_TONNE,
    _poisson,
    _weighted,
    day_factor,
    tet_days,
)
from shipments.models import Commodity, Driver, Enterprise, FruitCode, Vehicle
from shipments.services import HistoricTrip, LineInput
from shipments.validators import ocr_key


class DemoBuilder:
    def __init__(self, *, seed: int, days: int, end: date, scale: float = 1.0) -> None:
        self.rng = random.Random(seed)
        self.days, self.end, self.scale = days, end, scale
        self.now = timezone.now()
        self.catalogue = {c.code: c for c in Commodity.objects.all()}
        self.gates = {g.code: g for g in Gate.objects.all()}
        self.routes = {r.code: r for r in Route.objects.all()}
        self.observed: dict[str, dict[str, int]] = {
            k: v
            for k, v in reference_data()["observed_daily_trucks"].items()
            if not k.startswith("_")
        }
        self.customs_seq = 100000000000 + seed * 1000000
        # The last customs declaration of each (enterprise, direction, flow, day): a lot on
        # several trucks shares it.
        self.last_customs: dict[tuple[int, str, str, date], str] = {}

    # --- master data -------------------------------------------------------------------
    def enterprises(self) -> list[Enterprise]:
        rng = self.rng
        rows: list[Enterprise] = []
        seen: set[str] = set()
        for index in range(40):
            code = _vn_tax_code(rng)
            if code in seen:
                continue
            seen.add(code)
            name = (
                f"Công ty TNHH {rng.choice(VN_COMPANY_WORDS)} {rng.choice(VN_PLACES)} {index + 1}"
            )
            klass = _weighted(
                rng,
                [
                    (ComplianceClass.PRIORITY, 5),
                    (ComplianceClass.HIGH, 25),
                    (ComplianceClass.MODERATE, 50),
                    (ComplianceClass.LOW, 12),
                    (ComplianceClass.NON_COMPLIANT, 8),
                ],
            )
            rows.append(
                Enterprise(
                    name=name,
                    country="VN",
                    tax_code=code,
                    compliance_class=klass,
                    address=f"{rng.choice(VN_PLACES)}, Việt Nam",
                )
            )
        rows[0].name, rows[0].compliance_class = (
            "Công ty TNHH Nông sản Xanh Lạng Sơn",
            ComplianceClass.HIGH,
        )
        for index in range(8):
            rows.append(
                Enterprise(
                    name=f"广西凭祥{rng.choice(CN_COMPANY_WORDS)}有限公司 {index + 1}",
                    country="CN",
                    tax_code=_cn_credit_code(rng),
                    compliance_class=ComplianceClass.MODERATE,
                    address="广西凭祥市",
                )
            )
        return Enterprise.objects.bulk_create(rows)

    def fleet(self, enterprises: list[Enterprise], size: int) -> list[tuple[Vehicle, Driver]]:
        rng = self.rng
        vehicles: list[Vehicle] = []
        drivers: list[Driver] = []
        plates: set[str] = set()
        weights = [(e, 6.0 if i < 2 else 1.0) for i, e in enumerate(enterprises)]
        while len(vehicles) < size:
            owner = _weighted(rng, weights)
            chinese = owner.country == "CN"
            plate = _cn_plate(rng) if chinese else _vn_plate(rng, rng.choice(["C", "H", "LD"]))
            if plate in plates:
                continue
            plates.add(plate)
            kind = VehicleKind.REEFER if rng.random() < 0.5 else VehicleKind.TRUCK
            vehicles.append(
                Vehicle(
                    plate=plate,
                    ocr_key=ocr_key(plate),
                    country=owner.country,
                    kind=kind,
                    enterprise=owner,
                    payload_kg=rng.choice([8000, 15000, 20000, 30000]),
                )
            )
            if chinese:
                name = rng.choice(CN_SURNAMES) + rng.choice(CN_GIVEN) + rng.choice(CN_GIVEN)
                doc_type, doc = (
                    IdDocumentType.CN_RESIDENT_ID,
                    f"4514{rng.randrange(10**13, 10**14)}",
                )
                phone, language = f"+86139{rng.randrange(10**7, 10**8)}", Language.CHINESE
            else:
                name = f"{rng.choice(VN_SURNAMES)} {rng.choice(VN_MIDDLE)} {rng.choice(VN_GIVEN)}"
                doc_type, doc = IdDocumentType.VN_CITIZEN_ID, f"0{rng.randrange(10**10, 10**11)}"
                phone, language = f"+8491{rng.randrange(10**6, 10**7)}", Language.VIETNAMESE
            drivers.append(
                Driver(
                    full_name=name,
                    id_document_type=doc_type,
                    id_document_number=doc,
                    phone=phone,
                    preferred_language=language,
                    enterprise=owner,
                )
            )
        Vehicle.objects.bulk_create(vehicles)
        Driver.objects.bulk_create(drivers)
        return list(zip(vehicles, drivers, strict=True))

    def accounts(
        self, enterprises: list[Enterprise], driver: Driver
    ) -> list[tuple[DemoAccount, User]]:
        # One hash for all demo accounts: PBKDF2 takes a third of a second each, by design.
        password = make_password(settings.CUAKHAU_DEMO_PASSWORD)
        made: list[tuple[DemoAccount, User]] = []
        for spec in ACCOUNTS:
            user = User(
                username=spec.username,
                role=spec.role,
                enterprise=enterprises[spec.enterprise] if spec.enterprise is not None else None,
                is_staff=spec.role == Role.ADMIN,
                is_superuser=spec.role == Role.ADMIN,
                first_name=spec.display_name,
            )
            user.password = password
            user.save()
            if spec.gates:
                user.gates.set([self.gates[code] for code in spec.gates])
            made.append((spec, user))
        driver.user = next(u for s, u in made if s.role == Role.DRIVER)
        driver.save(update_fields=["user"])
        return made

    # --- traffic -----------------------------------------------------------------------
    def trips(self, fleet: list[tuple[Vehicle, Driver]]) -> Iterator[HistoricTrip]:
        rng = self.rng
        start = self.end - timedelta(days=self.days - 1)
        tet = tet_days(start, self.end)
        vn_fleet = [(v, d) for v, d in fleet if v.country == "VN"]
        cn_fleet = [(v, d) for v, d in fleet if v.country == "CN"]
        tz = timezone.get_current_timezone()
        day = start
        # Two days ahead, too: trucks already declared for tomorrow and the day after.
        last = self.end + timedelta(days=2)
        while day <= last:
            factor = day_factor(day, tet)
            for key, flows in self.observed.items():
                gate_code, _, route_code = key.partition("/")
                for flow, per_day in flows.items():
                    mean = per_day * factor * self.scale
                    if day > self.end:
                        mean *= 0.6 if day == self.end + timedelta(days=1) else 0.25
                    for _n in range(_poisson(rng, mean)):
                        pool = vn_fleet if flow == "exit" or rng.random() < 0.6 else cn_fleet
                        vehicle, driver = rng.choice(pool)
                        hour = rng.choices(
                            range(6, 23),
                            weights=[2, 8, 10, 10, 9, 8, 7, 7, 7, 6, 6, 5, 4, 3, 3, 2, 1],
                        )[0]
                        arrival = datetime.combine(day, time(hour, rng.randrange(60)), tz)
                        # Each trip draws from its own generator so that how far it got by now
                        # (which varies with the clock) never shifts the draws of later trips.
                        trip_rng = random.Random(rng.getrandbits(64))
                        yield self._trip(
                            trip_rng, gate_code, route_code, flow, vehicle, driver, arrival
                        )
            day += timedelta(days=1)

    def _trip(
        self,
        rng: random.Random,
        gate_code: str,
        route_code: str,
        flow: str,
        vehicle: Vehicle,
        driver: Driver,
        arrival: datetime,
    ) -> HistoricTrip:
        key = f"{gate_code}/{route_code}" if route_code else gate_code
        commodity_code = _weighted(rng, MIX[(key, flow)])
        if (
            commodity_code in ("dragon-fruit", "longan")
            and arrival.month == 6
            and rng.random() < 0.5
        ):
            commodity_code = "lychee"
        commodity = self.catalogue[commodity_code]
        tonnes = rng.uniform(6, 28)
        # About 3 % of trips are under-declared, for customs' value rule to find.
        price = rng.uniform(0.8, 1.2) if rng.random() > 0.03 else rng.uniform(0.35, 0.6)
        lines = [
            LineInput(
                commodity=commodity.code,
                weight_kg=Decimal(f"{tonnes * 1000:.1f}"),
                value_usd=Decimal(f"{tonnes * USD_PER_TONNE[commodity.code] * price:.2f}"),
                # Fruit for China carries its codes (no draw: the random stream stays as it was).
                **(DEMO_FRUIT_CODES if commodity.goods_group == GoodsGroup.FRESH_FRUIT else {}),
            )
        ]
        if rng.random() < 0.12:
            extra = self.catalogue[_weighted(rng, MIX[(key, flow)])]
            if extra.code != commodity.code:
                t2 = rng.uniform(1, 5)
                lines.append(
                    LineInput(
                        commodity=extra.code,
                        weight_kg=Decimal(f"{t2 * 1000:.1f}"),
                        value_usd=Decimal(f"{t2 * USD_PER_TONNE[extra.code]:.2f}"),
                    )
                )
        if flow == "exit":
            direction = Direction.TEMP_IMPORT_REEXPORT if rng.random() < 0.05 else Direction.EXPORT
            province = _weighted(rng, ORIGINS_EXIT)
        else:
            direction = Direction.IMPORT
            province = None
        created = arrival - timedelta(hours=rng.uniform(6, 36))
        if created > self.now:
            # A trip planned for the coming days was declared already, never in the future (no
            # draw here: the random stream must not depend on the hour the demo is built).
            created = self.now - (created - self.now) % timedelta(hours=12)
        fast = commodity.perishable
        steps: list[tuple[str, datetime, str]] = []
        outcome = rng.random()
        moments = [
            ("admit", arrival - timedelta(hours=rng.uniform(1, 5)), "system:demo (board)"),
            ("arrive", arrival + timedelta(minutes=rng.uniform(-40, 90)), "system:demo (yard)"),
            ("clear", None, "system:demo (customs)"),
            ("call", None, "system:demo (yard)"),
            ("cross", None, "system:demo (border guard)"),
            ("return", None, "system:demo (border guard)"),
        ]
        at = created
        for name, when, actor in moments:
            if when is None:
                gap = {
                    "clear": rng.uniform(0.5, 3) if fast else rng.uniform(1.5, 8),
                    "call": rng.uniform(0.2, 2) if fast else rng.uniform(0.5, 4),
                    "cross": rng.uniform(0.1, 0.8),
                    "return": rng.uniform(3, 10),
                }[name]
                when = at + timedelta(hours=gap)
            when = max(when, at + timedelta(minutes=1))
            if when > self.now:
                break
            if name == "clear" and outcome < 0.01:
                steps.append(("reject", when, "system:demo (quarantine)"))
                break
            if name == "arrive" and outcome > 0.985:
                steps.append(
                    (
                        "cancel",
                        max(when - timedelta(hours=2), at + timedelta(minutes=1)),
                        "system:demo (declarant)",
                    )
                )
                break
            steps.append((name, when, actor))
            at = when
        customs = ""
        self.customs_seq += rng.randrange(1, 40)
        # Most trucks are registered in VNACCS (number and channel) before they reach the yard.
        if any(s[0] == "clear" for s in steps) or rng.random() < 0.85:
            customs = f"{self.customs_seq:012d}"
        reference = f"{created.astimezone(timezone.get_current_timezone()):%y%m%d}-" + "".join(
            rng.choice("ABCDEFGHJKLMNPQRSTUVWXYZ23456789") for _ in range(6)
        )
        # Containers and inland delivery from the reference, so the main stream stays as it was.
        carriage = random.Random(reference)
        container = ""
        if (
            direction in (Direction.TEMP_IMPORT_REEXPORT, Direction.IMPORT)
            or carriage.random() < 0.1
        ):
            container = carriage.choice(("20ft", "40ft", "40ft")) if carriage.random() < 0.3 else ""
        delivery = Delivery.BORDER
        if direction == Direction.IMPORT:
            draw = carriage.random()
            delivery = Delivery.INLAND if draw < 0.3 else Delivery.WHARF if draw < 0.4 else delivery
        # The channel VNACCS assigned at registration (demo mix, inferred: mostly green).
        draw = carriage.random()
        channel = CustomsChannel.GREEN if draw < 0.6 else CustomsChannel.YELLOW
        channel = CustomsChannel.RED if draw >= 0.94 else channel
        # One customs declaration on several trucks (a lot split over trucks the same day) and
        # consolidated loads carrying a second declaration: demo mixes, inferred.
        procedure = demo_procedure_code(direction, flow, carriage)
        more: list[tuple[str, str, str]] = []
        if customs:
            lot = (vehicle.enterprise.pk, direction, flow, timezone.localdate(arrival))
            if lot in self.last_customs and carriage.random() < 0.06:
                customs = self.last_customs[lot]
            self.last_customs[lot] = customs
            if len(lines) > 1 and carriage.random() < 0.05:
                self.customs_seq += 1
                more.append((f"{self.customs_seq:012d}", procedure, channel))
        # Why cancelled trucks left the queue, and which trucks deliver two-way on the pilot's
        # routes (one kind of goods): demo mixes, inferred.
        withdrawal = ""
        if steps and steps[-1][0] == "cancel":
            withdrawal = carriage.choices(
                [r.value for r in WithdrawalReason], weights=(40, 15, 10, 25, 3, 7)
            )[0]
        two_way = (
            route_code in TWO_WAY_ROUTES
            and timezone.localdate(arrival) >= TWO_WAY_FROM
            and len({line.commodity for line in lines}) == 1
            and carriage.random() < 0.2
        )
        return HistoricTrip(
            reference=reference,
            two_way=two_way,
            withdrawal_reason=withdrawal,
            container=container,
            delivery=delivery,
            enterprise=vehicle.enterprise,
            direction=direction,
            flow=flow,
            gate=self.gates[gate_code],
            route=self.routes.get(route_code) if route_code else None,
            vehicle=vehicle,
            driver=driver,
            origin_province=province,
            planned_arrival=arrival,
            customs_declaration_number=customs,
            customs_channel=channel if customs else "",
            procedure_code=procedure,
            more_customs_declarations=more,
            created_at=created,
            lines=lines,
            steps=steps,
        )


#: The procedure codes the demo's trips are declared under, by direction and crossing (demo mix).
_DEMO_PROCEDURE_CODES: dict[tuple[str, str], tuple[str, ...]] = {
    (Direction.IMPORT, "entry"): ("A11", "A11", "A12", "E31"),
    (Direction.EXPORT, "exit"): ("B11", "B11", "B11", "E62"),
    (Direction.TEMP_IMPORT_REEXPORT, "entry"): ("G11",),
    (Direction.TEMP_IMPORT_REEXPORT, "exit"): ("G21",),
    (Direction.TEMP_EXPORT_REIMPORT, "exit"): ("G61",),
    (Direction.TEMP_EXPORT_REIMPORT, "entry"): ("G51",),
    (Direction.TRANSSHIPMENT, "entry"): ("C11",),
    (Direction.TRANSSHIPMENT, "exit"): ("C12",),
}


def demo_procedure_code(direction: str, flow: str, rng: random.Random) -> str:
    """A procedure code that fits the trip (transit travels under a transport declaration)."""
    choices = _DEMO_PROCEDURE_CODES.get((direction, flow))
    return rng.choice(choices) if choices else ""


#: The demo's registered fruit codes: invented, marked so, for the demo's fruit declarations.
#: The two-way pilot's routes and first day, from the shipped rules.
_PILOT = reference_data()["two_way_delivery"]
TWO_WAY_ROUTES = frozenset(row["route"] for row in _PILOT)
TWO_WAY_FROM = min(date.fromisoformat(row["starts_on"]) for row in _PILOT)

DEMO_FRUIT_CODES = {"puc_code": "VN-DEMO-PUC-0001", "phc_code": "VN-DEMO-PHC-0001"}


def demo_fruit_codes() -> None:
    """A few registered codes so the demo's declarants can declare fruit for China."""
    for kind in ("puc", "phc"):
        for n in range(1, 6):
            FruitCode.objects.get_or_create(
                kind=kind,
                code=f"VN-DEMO-{kind.upper()}-{n:04d}",
                defaults={"source": "demo: invented codes, not a registered list"},
            )
