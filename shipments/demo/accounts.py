"""The demo's accounts: one per role, with the gates and enterprise each works for."""

from __future__ import annotations

from dataclasses import dataclass

from accounts.choices import Role


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
