"""Demo accounts and traffic calibrated to Lạng Sơn's published figures.

Volumes come from the mid-2025 trucks per day per gate and direction in the reference data
(``observed_daily_trucks``); the commodity mix per gate follows docs/sources.md (fruit through
Tân Thanh, seafood through Cốc Nam, electronics and machinery imported through Hữu Nghị, mostly
imports and medicinal herbs at Chi Ma). Traffic dips on Sundays, swells in the lychee season
(June) and nearly stops around Tết / Spring Festival. Everything derives from one seeded RNG, so
the same ``--seed`` and ``--end`` give the same data.

History goes in through :func:`shipments.services.import_history`, which checks every step
against the lifecycle table and writes the same state-change and audit rows as live moves.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

import holidays as holiday_calendars
from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.db.models import Count
from django.utils import timezone
from stdnum.cn import uscc
from stdnum.vn import mst

from accounts.choices import Role
from accounts.models import User
from clearance.services import open_backlog
from fees.demo import build_fees_demo
from flow.demo import build_flow_demo
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
)
from shipments.models import Commodity, Declaration, Driver, Enterprise, FruitCode, Vehicle
from shipments.services import HistoricTrip, LineInput, import_history
from shipments.validators import ocr_key

DEMO_LABEL = "system:demo"

# (gate/route key, flow) → weighted commodity mix.
MIX: dict[tuple[str, str], list[tuple[str, float]]] = {
    ("huu-nghi/tan-thanh", "exit"): [
        ("durian", 30),
        ("dragon-fruit", 20),
        ("jackfruit", 12),
        ("mango", 10),
        ("watermelon", 8),
        ("banana", 10),
        ("longan", 5),
        ("cassava-chips", 5),
    ],
    ("huu-nghi/tan-thanh", "entry"): [
        ("fresh-vegetables", 25),
        ("appliances", 20),
        ("machinery", 20),
        ("chemicals", 15),
        ("hot-rolled-steel", 20),
    ],
    ("huu-nghi/coc-nam", "exit"): [
        ("fresh-fish", 45),
        ("live-crustaceans", 40),
        ("frozen-seafood", 15),
    ],
    ("huu-nghi/coc-nam", "entry"): [("frozen-seafood", 40), ("fresh-vegetables", 60)],
    ("huu-nghi", "exit"): [
        ("durian", 25),
        ("dragon-fruit", 10),
        ("phones", 20),
        ("integrated-circuits", 15),
        ("computers", 10),
        ("furniture", 10),
        ("tapioca-starch", 10),
    ],
    ("huu-nghi", "entry"): [
        ("phones", 15),
        ("integrated-circuits", 20),
        ("computers", 10),
        ("machinery", 25),
        ("appliances", 15),
        ("chemicals", 5),
        ("hot-rolled-steel", 10),
    ],
    ("chi-ma", "exit"): [
        ("cassava-chips", 40),
        ("dried-longan", 20),
        ("watermelon", 20),
        ("tapioca-starch", 20),
    ],
    ("chi-ma", "entry"): [
        ("medicinal-herbs", 30),
        ("machinery", 25),
        ("fresh-vegetables", 25),
        ("chemicals", 20),
    ],
}
# Export value per tonne in USD: rough orders of magnitude for realistic-looking lines.
USD_PER_TONNE = {
    "durian": 3500,
    "dragon-fruit": 900,
    "jackfruit": 600,
    "lychee": 1500,
    "longan": 1200,
    "mango": 800,
    "watermelon": 250,
    "banana": 450,
    "fresh-vegetables": 400,
    "cassava-chips": 250,
    "dried-longan": 4000,
    "fresh-fish": 3000,
    "live-crustaceans": 9000,
    "frozen-seafood": 3500,
    "tapioca-starch": 500,
    "medicinal-herbs": 3000,
    "iron-ore": 100,
    "aluminium": 2400,
    "hot-rolled-steel": 600,
    "chemicals": 900,
    "furniture": 2500,
    "phones": 60000,
    "computers": 40000,
    "integrated-circuits": 150000,
    "machinery": 12000,
    "appliances": 5000,
}
WEEKDAY_FACTOR = (1.03, 1.04, 1.04, 1.03, 1.02, 0.97, 0.87)
MONTH_FACTOR = {
    1: 0.9,
    2: 0.7,
    3: 0.95,
    4: 1.0,
    5: 1.05,
    6: 1.15,
    7: 1.05,
    8: 1.0,
    9: 1.0,
    10: 1.0,
    11: 1.05,
    12: 1.1,
}
ORIGINS_EXIT = [
    (82, 12),
    (86, 10),
    (96, 3),
    (91, 6),
    (92, 5),
    (80, 8),
    (75, 5),
    (52, 3),
    (24, 6),
    (15, 4),
    (20, 10),
    (33, 4),
    (1, 6),
    (31, 4),
    (79, 6),
    (40, 3),
]


@dataclass(frozen=True)
class DemoAccount:
    username: str
    role: str
    gates: tuple[str, ...] = ()
    enterprise: int | None = None
    description: str = ""
    display_name: str = ""


ACCOUNTS = (
    DemoAccount(
        "admin",
        Role.ADMIN,
        description="administrator (Django admin)",
        display_name="Quản trị hệ thống",
    ),
    DemoAccount(
        "board",
        Role.BOARD,
        description="gate management board, whole province",
        display_name="Hoàng Minh Tuấn",
    ),
    DemoAccount(
        "declarant",
        Role.DECLARANT,
        enterprise=0,
        description="declarant of the first demo enterprise",
        display_name="Nguyễn Thị Lan",
    ),
    DemoAccount(
        "declarant2",
        Role.DECLARANT,
        enterprise=1,
        description="declarant of another enterprise",
        display_name="Trần Văn Hải",
    ),
    DemoAccount(
        "driver",
        Role.DRIVER,
        description="driver of the first demo enterprise",
        display_name="Phạm Đức Long",
    ),
    DemoAccount(
        "yard.huunghi",
        Role.YARD_OPERATOR,
        ("huu-nghi",),
        description="yard operator, Hữu Nghị",
        display_name="Lê Văn Sơn",
    ),
    DemoAccount(
        "customs.huunghi",
        Role.CUSTOMS,
        ("huu-nghi",),
        description="customs, Hữu Nghị",
        display_name="Vũ Thị Hà",
    ),
    DemoAccount(
        "quarantine.huunghi",
        Role.QUARANTINE,
        ("huu-nghi",),
        description="plant/animal quarantine, Hữu Nghị",
        display_name="Đặng Quang Khánh",
    ),
    DemoAccount(
        "borderguard.huunghi",
        Role.BORDER_GUARD,
        ("huu-nghi",),
        description="border guard, Hữu Nghị",
        display_name="Bùi Hữu Thắng",
    ),
    DemoAccount(
        "health.huunghi",
        Role.HEALTH,
        ("huu-nghi",),
        description="health check, Hữu Nghị",
        display_name="Đỗ Thanh Bình",
    ),
    DemoAccount(
        "yard.chima",
        Role.YARD_OPERATOR,
        ("chi-ma",),
        description="yard operator, Chi Ma",
        display_name="Ngô Công Việt",
    ),
    DemoAccount(
        "customs.chima",
        Role.CUSTOMS,
        ("chi-ma",),
        description="customs, Chi Ma",
        display_name="Hồ Thị Quân",
    ),
    DemoAccount(
        "quarantine.chima",
        Role.QUARANTINE,
        ("chi-ma",),
        description="plant/animal quarantine, Chi Ma",
        display_name="Lương Văn Phong",
    ),
    DemoAccount(
        "borderguard.chima",
        Role.BORDER_GUARD,
        ("chi-ma",),
        description="border guard, Chi Ma",
        display_name="Nông Văn Dũng",
    ),
    DemoAccount(
        "customs.admin",
        Role.CUSTOMS_ADMIN,
        description="customs administrator: selectivity rules, province-wide",
        display_name="Trịnh Minh Đức",
    ),
)

VN_COMPANY_WORDS = [
    "Nông sản",
    "Trái cây",
    "Xuất nhập khẩu",
    "Thương mại",
    "Logistics",
    "Vận tải",
    "Hoa quả",
    "Thủy sản",
    "Điện tử",
    "Máy móc",
    "Dược liệu",
    "Hóa chất",
]
VN_PLACES = [
    "Lạng Sơn",
    "Kinh Bắc",
    "Đồng Tháp",
    "Tiền Giang",
    "Bình Thuận",
    "Hà Nội",
    "Sài Gòn",
    "Tây Nguyên",
    "Hải Phòng",
    "Đông Bắc",
    "Cửu Long",
    "Hồng Hà",
    "Việt Trung",
]
VN_SURNAMES = [
    "Nguyễn",
    "Trần",
    "Lê",
    "Phạm",
    "Hoàng",
    "Vũ",
    "Đặng",
    "Bùi",
    "Đỗ",
    "Hồ",
    "Ngô",
    "Lương",
]
VN_MIDDLE = ["Văn", "Đức", "Minh", "Quang", "Thị", "Hữu", "Thanh", "Công"]
VN_GIVEN = [
    "An",
    "Bình",
    "Cường",
    "Dũng",
    "Hải",
    "Hùng",
    "Khánh",
    "Long",
    "Nam",
    "Phong",
    "Quân",
    "Sơn",
    "Thắng",
    "Tuấn",
    "Việt",
    "Hà",
    "Lan",
]
CN_COMPANY_WORDS = ["进出口", "贸易", "物流", "果业"]
CN_SURNAMES = ["王", "李", "张", "刘", "陈", "杨", "黄", "赵", "周", "吴", "农", "韦"]
CN_GIVEN = ["伟", "强", "磊", "军", "勇", "杰", "涛", "斌", "超", "明", "华", "平"]
VN_TRUCK_PROVINCES = [
    12,
    14,
    15,
    20,
    29,
    30,
    34,
    36,
    37,
    43,
    47,
    49,
    51,
    60,
    61,
    63,
    64,
    65,
    67,
    68,
    71,
    72,
    89,
    98,
    99,
]


def _vn_tax_code(rng: random.Random) -> str:
    body = "0" + "".join(str(rng.randrange(10)) for _ in range(8))
    return body + str(mst.calc_check_digit(body))


def _cn_credit_code(rng: random.Random) -> str:
    alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"
    body = (
        "91450"
        + "".join(str(rng.randrange(10)) for _ in range(3))
        + "".join(rng.choice(alphabet) for _ in range(9))
    )
    return body + str(uscc.calc_check_digit(body))


def _vn_plate(rng: random.Random, series: str) -> str:
    province = rng.choice(VN_TRUCK_PROVINCES)
    return f"{province}{series}-{rng.randrange(1000):03d}.{rng.randrange(100):02d}"


def _cn_plate(rng: random.Random) -> str:
    letters = "ABCDEFKMNP"
    return f"桂{rng.choice(letters)}·{rng.randrange(10000, 99999)}"


def _weighted(rng: random.Random, items: Sequence[tuple[Any, float]]) -> Any:
    values, weights = zip(*items, strict=True)
    return rng.choices(values, weights=weights, k=1)[0]


def _poisson(rng: random.Random, mean: float) -> int:
    # Normal approximation above 30 is plenty for day counts.
    if mean > 30:
        return max(0, round(rng.gauss(mean, math.sqrt(mean))))
    limit, k, p = math.exp(-mean), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


def tet_days(start: date, end: date) -> set[date]:
    """Days around Tết / Spring Festival when traffic nearly stops: eve-2 to fifth day."""
    days: set[date] = set()
    for year in range(start.year, end.year + 2):
        calendar = holiday_calendars.country_holidays("VN", years=year, language="en_US")
        new_year = next((d for d, n in sorted(calendar.items()) if n == "Lunar New Year"), None)
        if new_year is not None:
            days.update(new_year + timedelta(days=k) for k in range(-3, 6))
    return days


def day_factor(day: date, tet: set[date]) -> float:
    factor = WEEKDAY_FACTOR[day.weekday()] * MONTH_FACTOR[day.month]
    return factor * (0.08 if day in tet else 1.0)


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
        return HistoricTrip(
            reference=reference,
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
            created_at=created,
            lines=lines,
            steps=steps,
        )


#: The demo's registered fruit codes: invented, marked so, for the demo's fruit declarations.
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


def demo_exists() -> bool:
    return User.objects.filter(username="declarant").exists()


def build_demo(
    *,
    seed: int = 1,
    days: int = 30,
    end: date | None = None,
    scale: float = 1.0,
    progress: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """Build the demo; ``progress`` is told what is being built as it goes (``make run`` shows
    it, since the whole build takes a minute or more)."""
    say = progress or (lambda message: None)
    builder = DemoBuilder(seed=seed, days=days, end=end or timezone.localdate(), scale=scale)
    if not builder.catalogue or not builder.gates:
        raise RuntimeError("Load the reference data first (cuakhau load-reference)")
    with transaction.atomic():
        enterprises = builder.enterprises()
        demo_fruit_codes()
        fleet = builder.fleet(enterprises, size=max(60, int(2400 * scale)))
        own = next(
            d for v, d in fleet if v.enterprise_id == enterprises[0].pk and v.country == "VN"
        )
        accounts = builder.accounts(enterprises, own)
    say(f"{len(enterprises)} enterprises, {len(fleet)} trucks and the demo accounts")
    created = 0
    batch: list[HistoricTrip] = []
    references: set[str] = set()
    for trip in builder.trips(fleet):
        if trip.reference in references:
            continue
        references.add(trip.reference)
        batch.append(trip)
        if len(batch) >= 2000:
            created += import_history(trips=batch, actor_label=DEMO_LABEL)
            batch = []
            if created % 10000 == 0:
                say(f"{created:,} declarations with their history")
    created += import_history(trips=batch, actor_label=DEMO_LABEL)
    say(f"{created:,} declarations with their history; opening checks in the yards")
    # Trucks already in the yard get their channel and agency checks, as a live arrival would.
    checks_opened = open_backlog()
    say("slots, bookings, yard visits and camera reads")
    flow = build_flow_demo(seed=seed)
    say("fees: assessments, payments, receipts and yard charges")
    fees = build_fees_demo(seed=seed)
    by_state = dict(
        Declaration.objects.order_by()
        .values_list("state")
        .annotate(n=Count("pk"))
        .values_list("state", "n")
    )
    return {
        "accounts": accounts,
        "declarations": created,
        "by_state": by_state,
        "clearances_opened": checks_opened,
        **flow,
        **fees,
    }
