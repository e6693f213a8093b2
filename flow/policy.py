"""Who may do what in flow (slots, yard, call-forward, admission): see ``accounts/policy.py``."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from accounts import policy
from accounts.choices import Role
from accounts.scoping import Action
from flow.choices import BookingStatus
from shipments.choices import TruckState

#: Book a crossing slot for a trip (on the Declaration).
BOOK = policy.rule(
    "flow.book",
    roles={Role.DECLARANT},
    rows=Action.CHANGE,
    states={TruckState.DECLARED, TruckState.ADMITTED},
    refusal=_("Only declarants book crossing slots, for their own enterprise's trucks."),
    not_now=_("Only a declared or admitted trip can book a slot."),
)
#: Move or cancel an active booking (on the Booking). Gate officers see bookings at their gate
#: but never change them: one such gap let any Hữu Nghị officer cancel any enterprise's slot.
CHANGE_BOOKING = policy.rule(
    "flow.change_booking",
    roles={Role.DECLARANT},
    rows=Action.CHANGE,
    states={BookingStatus.ACTIVE},
    state_path="status",
    refusal=_("Only the declarant's enterprise changes or cancels its booking."),
    not_now=_("This booking is no longer active."),
)
#: See a trip's bookings on its page.
SEE_BOOKINGS = policy.rule(
    "flow.see_bookings",
    roles={Role.DECLARANT, Role.DRIVER, Role.YARD_OPERATOR, Role.BOARD},
    refusal=_("Your role does not see crossing slots."),
)
#: Record gate-in and gate-out, correct or dismiss camera reads (on the Gate).
WORK_YARD = policy.rule(
    "flow.work_yard",
    roles={Role.YARD_OPERATOR},
    rows=Action.CHANGE,
    refusal=_("Only the yard operators of this gate record yard events."),
)
#: Open the yard console and see the call-forward order (on the Gate).
SEE_YARD = policy.rule(
    "flow.see_yard",
    roles={Role.YARD_OPERATOR, Role.BOARD},
    rows=Action.CHANGE,
    refusal=_("The yard console is for yard operators and the board."),
)
#: Call cleared trucks forward (on the Gate).
CALL_FORWARD = policy.rule(
    "flow.call_forward",
    roles={Role.YARD_OPERATOR, Role.BOARD},
    rows=Action.CHANGE,
    refusal=_("Only the yard operators of this gate and the board call trucks forward."),
)
#: Publish capacity, override admission decisions, review no-shows.
MANAGE_ADMISSION = policy.rule(
    "flow.manage_admission",
    roles={Role.BOARD},
    refusal=_("Only the gate management board manages capacity and admission."),
)
#: A driver's own next trip on the phone: where to go, when, the ticket, the queue.
SEE_MY_TRIP = policy.rule(
    "flow.see_my_trip",
    roles={Role.DRIVER},
    refusal=_("The next-trip page is for drivers; your trips are under Declarations."),
)
#: Register plate cameras, rotate their signing keys, switch them off and on.
MANAGE_CAMERAS = policy.rule(
    "flow.manage_cameras",
    roles={Role.BOARD},
    refusal=_("Only the gate management board manages the plate cameras."),
)
