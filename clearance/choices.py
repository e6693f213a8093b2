from django.db import models
from django.utils.translation import gettext_lazy as _

from accounts.choices import Role
from shipments.choices import CustomsChannel


class Agency(models.TextChoices):
    """The authorities that check a truck at the gate (lực lượng chức năng)."""

    CUSTOMS = "customs", _("Customs")
    PLANT_QUARANTINE = "plant_quarantine", _("Plant quarantine")
    ANIMAL_QUARANTINE = "animal_quarantine", _("Animal quarantine")
    BORDER_GUARD = "border_guard", _("Border guard")
    HEALTH = "health", _("Health check")


#: Which officers work each agency's checks.
AGENCY_ROLE: dict[str, str] = {
    Agency.CUSTOMS: Role.CUSTOMS,
    Agency.PLANT_QUARANTINE: Role.QUARANTINE,
    Agency.ANIMAL_QUARANTINE: Role.QUARANTINE,
    Agency.BORDER_GUARD: Role.BORDER_GUARD,
    Agency.HEALTH: Role.HEALTH,
}


def agencies_of(role: str) -> frozenset[str]:
    return frozenset(agency for agency, r in AGENCY_ROLE.items() if r == role)


class Channel(models.TextChoices):
    """Customs channel (luồng): how closely customs looks at a declaration. VNACCS has three
    (codes 1, 2, 3); post-clearance audit is a separate process after release, not a channel."""

    GREEN = "green", _("Green: released")
    YELLOW = "yellow", _("Yellow: documents checked")
    RED = "red", _("Red: physical inspection")


#: VNACCS's channel codes (``shipments.choices.CustomsChannel``) and the channels they name.
FROM_VNACCS: dict[str, str] = {
    CustomsChannel.GREEN: Channel.GREEN,
    CustomsChannel.YELLOW: Channel.YELLOW,
    CustomsChannel.RED: Channel.RED,
}
TO_VNACCS: dict[str, str] = {channel: code for code, channel in FROM_VNACCS.items()}


class RuleTarget(models.TextChoices):
    """What a selectivity rule selects a declaration for, in cuakhau's advisory risk result."""

    YELLOW = Channel.YELLOW.value, _("Yellow: documents checked")
    RED = Channel.RED.value, _("Red: physical inspection")
    POST_AUDIT = "post_audit", _("Post-clearance audit (after release)")


#: Order of strictness: when several rules select a declaration, the strictest channel wins.
#: Rules for post-clearance audit are not in it: they never change the channel.
SEVERITY: dict[str, int] = {Channel.GREEN: 0, Channel.YELLOW: 1, Channel.RED: 2}


class CheckKind(models.TextChoices):
    AWAITING_CHANNEL = "awaiting_channel", _("Waiting for the VNACCS channel")
    RELEASE = "release", _("Release (no inspection)")
    DOCUMENTS = "documents", _("Document check")
    PARTIAL_INSPECTION = "partial_inspection", _("Partial physical inspection")
    FULL_INSPECTION = "full_inspection", _("Full physical inspection")
    QUARANTINE = "quarantine", _("Quarantine inspection")
    IMMIGRATION = "immigration", _("Vehicle and driver check")
    HEALTH = "health", _("Health check")


#: The customs check each channel opens.
CHANNEL_CHECK: dict[str, str] = {
    Channel.GREEN: CheckKind.RELEASE,
    Channel.YELLOW: CheckKind.DOCUMENTS,
    Channel.RED: CheckKind.PARTIAL_INSPECTION,
}


#: Customs checks that inspect the goods: their clock waits for the specialised checks.
INSPECTIONS = frozenset({CheckKind.PARTIAL_INSPECTION, CheckKind.FULL_INSPECTION})
#: Specialised checks (kiểm tra chuyên ngành) whose result starts a red inspection's clock.
SPECIALISED_AGENCIES = frozenset({Agency.PLANT_QUARANTINE, Agency.ANIMAL_QUARANTINE})


class CheckStatus(models.TextChoices):
    OPEN = "open", _("Waiting")
    ON_HOLD = "on_hold", _("On hold (treatment or re-inspection)")
    PASSED = "passed", _("Passed")
    FAILED = "failed", _("Failed")
    WITHDRAWN = "withdrawn", _("Withdrawn")


PENDING_STATUSES = frozenset({CheckStatus.OPEN, CheckStatus.ON_HOLD})


class InspectionResult(models.TextChoices):
    PASS = "pass", _("Pass")
    FAIL = "fail", _("Fail (reject)")
    TREATMENT = "treatment", _("Treatment required")
    REINSPECT = "reinspect", _("Re-inspect")


RESULT_STATUS: dict[str, str] = {
    InspectionResult.PASS: CheckStatus.PASSED,
    InspectionResult.FAIL: CheckStatus.FAILED,
    InspectionResult.TREATMENT: CheckStatus.ON_HOLD,
    InspectionResult.REINSPECT: CheckStatus.ON_HOLD,
}


class LimitUnit(models.TextChoices):
    WORKING_HOURS = "working_hours", _("working hours")
    WORKING_DAYS = "working_days", _("working days")
    HOURS = "hours", _("hours")


class DocumentType(models.TextChoices):
    CUSTOMS_DECLARATION = "customs_declaration", _("Customs declaration")
    COMMERCIAL_INVOICE = "commercial_invoice", _("Commercial invoice")
    PACKING_LIST = "packing_list", _("Packing list")
    CONTRACT = "contract", _("Sales contract")
    CERTIFICATE_OF_ORIGIN = "certificate_of_origin", _("Certificate of origin")
    PHYTOSANITARY = "phytosanitary", _("Phytosanitary certificate")
    VETERINARY = "veterinary", _("Veterinary health certificate")
    TRANSPORT_PERMIT = "transport_permit", _("Cross-border transport permit")
    VEHICLE_REGISTRATION = "vehicle_registration", _("Vehicle registration")
    VEHICLE_INSPECTION = "vehicle_inspection", _("Vehicle safety inspection certificate")
    VEHICLE_INSURANCE = "vehicle_insurance", _("Vehicle insurance")
    DRIVING_LICENCE = "driving_licence", _("Driving licence")
    DRIVER_IDENTITY = "driver_identity", _("Driver's passport or border pass")
    HEALTH_DECLARATION = "health_declaration", _("Health declaration")
    OTHER = "other", _("Other")
