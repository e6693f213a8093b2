from django.db import models
from django.utils.translation import gettext_lazy as _

from gates.choices import Flow


class ComplianceClass(models.TextChoices):
    """An enterprise's compliance level under Circular 81/2019/TT-BTC (amended by 06/2024),
    rated by customs risk management (Customs Law art. 17): five levels, 1 the best."""

    PRIORITY = "priority", _("1 – Priority")
    HIGH = "high", _("2 – High")
    MODERATE = "moderate", _("3 – Moderate")
    LOW = "low", _("4 – Low")
    NON_COMPLIANT = "non_compliant", _("5 – Non-compliant")


class CustomsChannel(models.TextChoices):
    """The customs channel (luồng) VNACCS assigns when the declaration is registered, before the
    truck arrives; the trader cannot choose it. Stored as VNACCS's code."""

    GREEN = "1", _("1 – Green: released without checks")
    YELLOW = "2", _("2 – Yellow: documents checked")
    RED = "3", _("3 – Red: documents and goods inspected")


#: Order of strictness of VNACCS channel codes: a truck is worked at its strictest declaration's.
CHANNEL_STRICTNESS: dict[str, int] = {
    CustomsChannel.GREEN: 1,
    CustomsChannel.YELLOW: 2,
    CustomsChannel.RED: 3,
}


class Country(models.TextChoices):
    VIETNAM = "VN", _("Vietnam")
    CHINA = "CN", _("China")


class VehicleKind(models.TextChoices):
    TRUCK = "truck", _("Truck")
    REEFER = "reefer", _("Refrigerated truck")
    TRACTOR = "tractor", _("Tractor unit")
    TRAILER = "trailer", _("Trailer")


class IdDocumentType(models.TextChoices):
    VN_CITIZEN_ID = "cccd", _("Vietnamese citizen identity card")
    PASSPORT = "passport", _("Passport")
    BORDER_PASS = "border_pass", _("Border pass")
    CN_RESIDENT_ID = "cn_id", _("Chinese resident identity card")


class Language(models.TextChoices):
    VIETNAMESE = "vi", "Tiếng Việt"
    ENGLISH = "en", "English"
    CHINESE = "zh-hans", "简体中文"


class GoodsGroup(models.TextChoices):
    FRESH_FRUIT = "fresh_fruit", _("Fresh fruit")
    FRESH_VEGETABLES = "fresh_vegetables", _("Fresh vegetables")
    SEAFOOD = "seafood", _("Seafood")
    FROZEN = "frozen", _("Frozen goods")
    DRY_FARM = "dry_farm", _("Dried farm produce")
    ORE = "ore", _("Ores and minerals")
    ELECTRONICS = "electronics", _("Electronics")
    MACHINERY = "machinery", _("Machinery and appliances")
    INDUSTRIAL = "industrial", _("Other industrial goods")


class Direction(models.TextChoices):
    """The customs regime of a trip (loại hình)."""

    EXPORT = "export", _("Export")
    IMPORT = "import", _("Import")
    TEMP_IMPORT_REEXPORT = "temp_import_reexport", _("Temporary import for re-export")
    TEMP_EXPORT_REIMPORT = "temp_export_reimport", _("Temporary export for re-import")
    TRANSSHIPMENT = "transshipment", _("Transshipment")
    TRANSIT = "transit", _("Transit")


class ContainerSize(models.TextChoices):
    """How the goods travel: loose on the truck, or in a container (fees are charged by size)."""

    NONE = "", _("No container")
    FT20 = "20ft", _("20 ft container")
    FT40 = "40ft", _("40 ft container")


class Delivery(models.TextChoices):
    """Where the goods go after the gate: it changes the infrastructure-use fee."""

    BORDER = "border", _("Handed over at the border gate")
    INLAND = "inland", _("Delivered inland by the same vehicle")
    WHARF = "wharf", _("Transferred at the wharf only")


#: The way a regime crosses at a Lạng Sơn gate, where it is fixed; the others say it themselves.
FIXED_FLOW = {
    Direction.EXPORT: Flow.EXIT,
    Direction.IMPORT: Flow.ENTRY,
    # Goods temporarily imported from a third country are re-exported to China here.
    Direction.TEMP_IMPORT_REEXPORT: Flow.EXIT,
    Direction.TRANSSHIPMENT: Flow.EXIT,
}


class WithdrawalReason(models.TextChoices):
    """Why a truck leaves the queue before crossing (it gives up): in December 2021 fruit went
    back to be sold in Vietnam or to ports and rail."""

    SOLD_AT_HOME = "sold_at_home", _("Goods sold in Vietnam")
    RAIL = "rail", _("Sent by rail instead")
    SEAPORT = "seaport", _("Sent through a seaport instead")
    OTHER_GATE = "other_gate", _("Sent through another border gate")
    SPOILED = "spoiled", _("Goods spoiled while waiting")
    OTHER = "other", _("Another reason")


class TruckState(models.TextChoices):
    DECLARED = "declared", _("Declared")
    ADMITTED = "admitted", _("Admitted")
    ARRIVED = "arrived", _("Arrived at yard")
    CLEARED = "cleared", _("Cleared")
    CALLED = "called", _("Called forward")
    CROSSED = "crossed", _("Crossed")
    RETURNED = "returned", _("Returned empty")
    CANCELLED = "cancelled", _("Cancelled")
    REJECTED = "rejected", _("Rejected")


TERMINAL_STATES = frozenset({TruckState.RETURNED, TruckState.CANCELLED, TruckState.REJECTED})


class FruitCodeKind(models.TextChoices):
    """The codes China requires on fruit it imports: a consignment without them is turned back."""

    PUC = "puc", _("Growing area (PUC)")
    PHC = "phc", _("Packing house (PHC)")
