"""One VNACCS customs declaration on several trucks, several on one truck, procedure codes, and
who may set or change a channel (issue 22)."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import transaction
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from audit.models import AuditEvent
from clearance import services
from clearance.choices import FROM_VNACCS, Agency, Channel, CheckKind, CheckStatus, InspectionResult
from clearance.models import Check, Clearance
from conftest import client_for
from cuakhau.errors import DomainError, InvalidInput, NotAllowed
from cuakhau.testing import World, customs_number, declaration_payload, declare, walk_to
from notifications.models import Notification
from shipments import services as shipments
from shipments.choices import Direction, TruckState
from shipments.models import CustomsDeclaration, Declaration, working_channel

pytestmark = pytest.mark.django_db


def _lot(world: World, number: str, **overrides: Any) -> Declaration:
    """A truck carrying goods of customs declaration ``number`` (exported under B11)."""
    return declare(world, customs_declaration_number=number, procedure_code="B11", **overrides)


def _customs(declaration: Declaration) -> list[Check]:
    return list(
        Check.objects.filter(declaration=declaration, agency=Agency.CUSTOMS)
        .exclude(status=CheckStatus.WITHDRAWN)
        .order_by("pk")
    )


def test_one_customs_declaration_on_two_trucks_gets_its_channel_once(world: World) -> None:
    number = customs_number()
    first = _lot(world, number)
    second = _lot(world, number)
    record = CustomsDeclaration.objects.get(number=number)
    assert set(record.trips.values_list("pk", flat=True)) == {first.pk, second.pk}
    assert record.procedure_code is not None and record.procedure_code.code == "B11"
    # Both trucks are in the yard waiting for the channel; customs records red once.
    first = walk_to(first, world, TruckState.ARRIVED)
    second = walk_to(second, world, TruckState.ARRIVED)
    assert [c.kind for c in _customs(first)] == [CheckKind.AWAITING_CHANNEL]
    services.do_record_customs_channel(
        actor=world.customs_hn, reference=first.reference, channel="3"
    )
    for truck in (first, second):
        truck = Declaration.objects.get(pk=truck.pk)
        assert truck.customs_channel == "3"
        assert [c.kind for c in _customs(truck)] == [CheckKind.PARTIAL_INSPECTION]
        assert Clearance.objects.get(declaration=truck).channel == Channel.RED
    # Searching by the VNACCS number finds every truck under it, on the page's search and the API.
    found = shipments.search(Declaration.objects.all(), number)
    assert set(found.values_list("pk", flat=True)) == {first.pk, second.pk}
    listed = client_for(world.customs_hn).get("/api/v1/declarations/", {"q": number}).json()
    assert {row["reference"] for row in listed["results"]} == {first.reference, second.reference}
    row = next(r for r in listed["results"] if r["reference"] == second.reference)
    assert row["customs_channel"] == "3"
    assert row["customs_declarations"][0]["procedure_code"] == "B11"
    # Customs' worklist finds both trucks by the number and shows each one's procedure code.
    web = Client()
    web.force_login(world.customs_hn)
    page = web.get("/clearance/", {"q": number}).content.decode()
    assert first.reference in page and second.reference in page
    assert f"{number} <abbr" in page and ">B11</abbr>" in page
    checks = client_for(world.customs_hn).get("/api/v1/checks/", {"q": number}).json()
    customs_rows = [c for c in checks["results"] if c["agency"] == "customs"]
    assert {c["declaration"] for c in customs_rows} == {first.reference, second.reference}
    assert {c["customs_channel"] for c in customs_rows} == {"3"}
    assert customs_rows[0]["customs_declarations"][0]["number"] == number


def test_a_truck_with_two_customs_declarations_is_worked_at_the_stricter(world: World) -> None:
    green, yellow = customs_number(), customs_number()
    body = declaration_payload(
        world,
        customs_declarations=[
            {"number": green, "procedure_code": "B11", "channel": "1"},
            {"number": yellow, "procedure_code": "B11"},
        ],
    )
    created = client_for(world.owner).post("/api/v1/declarations/", body, format="json")
    assert created.status_code == 201, created.json()
    truck = Declaration.objects.get(reference=created.json()["reference"])
    # One declaration has no channel yet: the truck cannot be worked at a channel.
    assert created.json()["customs_channel"] == ""
    services.do_record_customs_channel(
        actor=world.owner, reference=truck.reference, channel="2", number=yellow
    )
    truck = walk_to(Declaration.objects.get(pk=truck.pk), world, TruckState.ARRIVED)
    assert truck.customs_channel == "2"
    assert [c.kind for c in _customs(truck)] == [CheckKind.DOCUMENTS]
    api = client_for(world.owner).get(f"/api/v1/declarations/{truck.reference}/").json()
    assert api["customs_channel"] == "2"
    assert sorted((cd["number"], cd["channel"]) for cd in api["customs_declarations"]) == sorted(
        [(green, "1"), (yellow, "2")]
    )


def test_the_flat_fields_and_the_list_are_not_given_together(world: World) -> None:
    body = declaration_payload(
        world,
        customs_declaration_number=customs_number(),
        customs_declarations=[{"number": customs_number(), "procedure_code": "B11"}],
    )
    refused = client_for(world.owner).post("/api/v1/declarations/", body, format="json")
    assert refused.status_code == 400
    assert "customs_declarations" in refused.json()["error"]["fields"]
    listed_twice = declaration_payload(
        world,
        customs_declarations=[
            {"number": "300000000777", "procedure_code": "B11"},
            {"number": "3000 0000 0777", "procedure_code": "B11"},
        ],
    )
    refused = client_for(world.owner).post("/api/v1/declarations/", listed_twice, format="json")
    assert refused.status_code == 400
    assert "customs_declarations[1].number" in refused.json()["error"]["fields"]
    assert not CustomsDeclaration.objects.filter(number="300000000777").exists()


@pytest.mark.parametrize(
    ("direction", "flow", "code", "fits"),
    [
        (Direction.EXPORT, "", "B11", True),
        (Direction.EXPORT, "", "A11", False),
        (Direction.IMPORT, "", "A11", True),
        (Direction.IMPORT, "", "G11", False),
        (Direction.TEMP_IMPORT_REEXPORT, "exit", "G21", True),
        (Direction.TEMP_IMPORT_REEXPORT, "exit", "G11", False),
        (Direction.TEMP_EXPORT_REIMPORT, "exit", "G61", True),
        (Direction.TRANSIT, "exit", "", True),
    ],
)
def test_the_procedure_code_must_fit_the_trips_direction(
    world: World, direction: str, flow: str, code: str, fits: bool
) -> None:
    number = customs_number()
    data: dict[str, Any] = {
        "direction": direction,
        "flow": flow,
        "customs_declaration_number": number,
        "procedure_code": code,
    }
    if direction == Direction.IMPORT:
        data["origin_province"] = None
    if fits:
        trip = declare(world, **data)
        assert trip.customs_declaration_number == number
        return
    with pytest.raises(InvalidInput) as refused:
        declare(world, **data)
    # Both fields are named, with the code and the direction in the message.
    assert {"procedure_code", "direction"} <= set(refused.value.fields)
    assert code in refused.value.fields["procedure_code"][0]
    assert not CustomsDeclaration.objects.filter(number=number).exists()


def test_numbers_codes_and_other_enterprises_are_refused_by_field(world: World) -> None:
    with pytest.raises(InvalidInput) as short:
        declare(world, customs_declaration_number="12345", procedure_code="B11")
    assert "customs_declaration_number" in short.value.fields
    with pytest.raises(InvalidInput) as unknown:
        declare(world, customs_declaration_number=customs_number(), procedure_code="Z99")
    assert "Z99" in unknown.value.fields["procedure_code"][0]
    with pytest.raises(InvalidInput) as missing:
        declare(world, customs_declaration_number=customs_number(), procedure_code="")
    assert "procedure_code" in missing.value.fields
    theirs = customs_number()
    declare(
        world,
        actor=world.outsider,
        vehicle_plate=world.outsider_vehicle.plate,
        driver=world.outsider_driver.pk,
        customs_declaration_number=theirs,
    )
    with pytest.raises(InvalidInput) as taken:
        _lot(world, theirs)
    assert "doanh nghiệp khác" in taken.value.fields["customs_declaration_number"][0]


def test_the_declarant_records_a_channel_once_and_never_after_gate_in(world: World) -> None:
    number = customs_number()
    trip = _lot(world, number)
    services.do_record_customs_channel(actor=world.owner, reference=trip.reference, channel="2")
    # Once recorded, it is customs' to change, even before the truck comes.
    with pytest.raises(NotAllowed):
        services.do_record_customs_channel(actor=world.owner, reference=trip.reference, channel="1")
    trip = walk_to(Declaration.objects.get(pk=trip.pk), world, TruckState.ARRIVED)
    documents = _customs(trip)
    assert [c.kind for c in documents] == [CheckKind.DOCUMENTS]
    web = Client()
    web.force_login(world.owner)
    # The page offers no form; the form's address refuses; so does the API; nothing changes.
    page = web.get(f"/declarations/{trip.reference}/").content.decode()
    assert 'id="record-channel"' not in page
    posted = web.post(
        f"/clearance/declarations/{trip.reference}/channel/",
        {"customs_channel": "1", "reason": "Nhập nhầm luồng"},
        HTTP_HX_REQUEST="true",
    )
    assert posted.status_code == 403
    api = client_for(world.owner).post(
        f"/api/v1/clearances/{trip.reference}/channel/",
        {"customs_channel": "1", "reason": "Nhập nhầm luồng"},
        format="json",
    )
    assert api.status_code == 403
    with pytest.raises(NotAllowed):
        services.do_record_customs_channel(
            actor=world.owner, reference=trip.reference, channel="1", reason="Nhập nhầm luồng"
        )
    assert CustomsDeclaration.objects.get(number=number).channel == "2"
    assert [(c.pk, c.kind, c.status) for c in _customs(trip)] == [
        (documents[0].pk, CheckKind.DOCUMENTS, CheckStatus.OPEN)
    ]
    # A second truck under the same declaration, not yet in the yard, cannot record it either:
    # one of its trucks is at the yard.
    later = _lot(world, customs_number())
    with pytest.raises(NotAllowed):
        services.do_record_customs_channel(
            actor=world.owner, reference=later.reference, channel="1", number=number
        )


def test_customs_lowers_a_channel_with_a_reason_and_the_declarant_is_told(world: World) -> None:
    world.owner.preferred_language = "en"
    world.owner.save(update_fields=["preferred_language"])
    number = customs_number()
    trip = walk_to(_lot(world, number, customs_channel="2"), world, TruckState.ARRIVED)
    documents = _customs(trip)
    web = Client()
    web.force_login(world.customs_hn)
    no_reason = web.post(
        f"/clearance/declarations/{trip.reference}/channel/",
        {"customs_channel": "1"},
        HTTP_HX_REQUEST="true",
    )
    assert no_reason.status_code == 400
    assert 'data-field="reason"' in no_reason.content.decode()
    done = web.post(
        f"/clearance/declarations/{trip.reference}/channel/",
        {"customs_channel": "1", "reason": "Hồ sơ đầy đủ, chuyển luồng xanh"},
    )
    assert done.status_code in (200, 302)
    assert CustomsDeclaration.objects.get(number=number).channel == "1"
    # A lower channel withdraws nothing customs opened: it decides on the documents check.
    assert [(c.pk, c.status) for c in _customs(trip)] == [(documents[0].pk, CheckStatus.OPEN)]
    told = Notification.objects.get(recipient=world.owner, kind="clearance.channel_changed")
    assert told.language == "en"
    assert "changed the channel" in told.body and "chuyển luồng xanh" in told.body


# --- the property -------------------------------------------------------------------------


def _oracle(channels: list[str]) -> str:
    """The strictest channel, written out independently of ``working_channel``."""
    if "3" in channels:
        return "3"
    if not channels or any(c == "" for c in channels):
        return ""
    return str(max(int(c) for c in channels))


@given(channels=st.lists(st.sampled_from(["", "1", "2", "3"]), max_size=5))
def test_working_channel_is_the_strictest(channels: list[str]) -> None:
    assert working_channel(channels) == _oracle(channels)


STEPS = st.lists(
    st.one_of(
        st.tuples(st.just("arrive"), st.integers(0, 2)),
        st.tuples(st.just("record"), st.integers(0, 2), st.sampled_from(["1", "2", "3"])),
        st.tuples(st.just("inspect"), st.integers(0, 2)),
    ),
    min_size=1,
    max_size=7,
)


def _started(check: Check) -> bool:
    return (
        check.status != CheckStatus.OPEN or check.inspections.filter(officer__isnull=False).exists()
    )


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    links=st.lists(
        st.lists(st.booleans(), min_size=3, max_size=3).filter(any), min_size=1, max_size=3
    ),
    steps=STEPS,
)
def test_each_truck_is_worked_at_its_strictest_declaration_and_started_checks_stay(
    world: World, links: list[list[bool]], steps: list[tuple[Any, ...]]
) -> None:
    with transaction.atomic():
        numbers = [customs_number() for _ in range(3)]
        trips = [
            declare(
                world,
                customs_declarations=[
                    shipments.CustomsDeclarationInput(number=n, procedure_code="B11")
                    for n, on in zip(numbers, carried, strict=True)
                    if on
                ],
            )
            for carried in links
        ]
        for step in steps:
            started = {
                c.pk: (c.kind, c.status, c.closed_at)
                for c in Check.objects.filter(declaration__in=trips)
                if _started(c)
            }
            try:
                if step[0] == "arrive":
                    if step[1] < len(trips):
                        walk_to(trips[step[1]], world, TruckState.ARRIVED)
                elif step[0] == "record":
                    number = numbers[step[1]]
                    holder = next(
                        (t for t in trips if t.customs_declarations.filter(number=number).exists()),
                        None,
                    )
                    if holder is not None:
                        services.do_record_customs_channel(
                            actor=world.customs_hn,
                            reference=holder.reference,
                            channel=step[2],
                            number=number,
                            reason="property test",
                        )
                else:
                    open_customs = Check.objects.filter(
                        declaration__in=trips,
                        agency=Agency.CUSTOMS,
                        status=CheckStatus.OPEN,
                    ).exclude(kind=CheckKind.AWAITING_CHANNEL)
                    check = open_customs.order_by("pk").first()
                    if check is not None:
                        services.do_record_inspection(
                            check_id=check.pk,
                            actor=world.customs_hn,
                            data=services.InspectionInput(result=InspectionResult.PASS),
                        )
            except DomainError:
                pass
            # Recording a channel (or anything else) never changes a started check.
            for check in Check.objects.filter(pk__in=started):
                assert (check.kind, check.status, check.closed_at) == started[check.pk]
            for trip in trips:
                trip = Declaration.objects.get(pk=trip.pk)
                channels = list(trip.customs_declarations.values_list("channel", flat=True))
                expected = _oracle(channels)
                assert trip.customs_channel == expected
                clearance = Clearance.objects.filter(declaration=trip).first()
                if clearance is None or trip.state != TruckState.ARRIVED or not expected:
                    continue
                # In the yard, the truck is worked at least as strictly as its channel.
                assert clearance.channel == FROM_VNACCS[expected]
                kinds = {c.kind for c in _customs(trip)}
                strict = {"1": 1, "2": 2, "3": 3}[expected]
                rank = {
                    CheckKind.RELEASE: 1,
                    CheckKind.DOCUMENTS: 2,
                    CheckKind.PARTIAL_INSPECTION: 3,
                    CheckKind.FULL_INSPECTION: 3,
                }
                assert CheckKind.AWAITING_CHANNEL not in kinds
                assert max(rank[k] for k in kinds) >= strict
        transaction.set_rollback(True)


def test_a_truck_added_to_a_channelled_declaration_keeps_who_recorded_it(world: World) -> None:
    """Adding a truck to a customs declaration customs already channelled changes nothing of
    that recording; the link is audited, and the new truck is worked at the channel."""
    number = customs_number()
    first = walk_to(_lot(world, number), world, TruckState.ARRIVED)
    services.do_record_customs_channel(
        actor=world.customs_hn, reference=first.reference, channel="2"
    )
    recorded = CustomsDeclaration.objects.get(number=number)
    second = walk_to(declare(world, vehicle_plate="29C-444.44"), world, TruckState.ARRIVED)
    services.do_record_customs_channel(
        actor=world.customs_hn, reference=second.reference, channel="2", number=number
    )
    again = CustomsDeclaration.objects.get(number=number)
    assert (again.channel_recorded_at, again.channel_recorded_by_id) == (
        recorded.channel_recorded_at,
        recorded.channel_recorded_by_id,
    )
    assert set(again.trips.values_list("pk", flat=True)) == {first.pk, second.pk}
    second = Declaration.objects.get(pk=second.pk)
    assert second.customs_channel == "2"
    assert [c.kind for c in _customs(second)] == [CheckKind.DOCUMENTS]
    assert AuditEvent.objects.filter(action="customs_declaration.linked").count() == 1
    assert AuditEvent.objects.filter(action="customs_declaration.channel").count() == 1
