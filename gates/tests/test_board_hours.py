"""Issue 12, finding 11: the board publishes a gate's hours and dated closures in the app, audited
(6 of 7 gates showed "hours not published" and only the Django admin could change them)."""

from __future__ import annotations

from datetime import time, timedelta

import pytest
from django.test import Client
from django.utils import timezone

from audit.models import AuditEvent
from audit.services import verify_chain
from cuakhau.errors import InvalidInput, NotAllowed
from cuakhau.testing import World
from gates import services
from gates.models import HoursException, WorkingHours

pytestmark = pytest.mark.django_db

WEEK = {f"opens-{d}": "7h" for d in range(6)} | {f"closes-{d}": "19:00" for d in range(6)}


def test_the_board_publishes_hours_for_a_gate_that_had_none(world: World) -> None:
    gate = world.gates["chi-ma"]
    WorkingHours.objects.filter(gate=gate).delete()
    today = timezone.localdate()
    assert not any(h.is_open for h in services.hours_on(gate, today))
    client = Client()
    client.force_login(world.board)
    response = client.post(
        "/gates/hours/chi-ma/action/",
        {
            "action": "week",
            "flow": "exit",
            "valid_from": today.strftime("%d/%m/%Y"),  # the Vietnamese way
            **WEEK,
            "opens-6": "",
            "closes-6": "",
            "source": "Thông báo của BQL cửa khẩu, 01/12/2026",
        },
    )
    assert response.status_code == 302
    rows = WorkingHours.objects.filter(gate=gate, flow="exit")
    assert sorted(rows.values_list("weekday", flat=True)) == [0, 1, 2, 3, 4, 5]
    assert {(r.opens, r.closes) for r in rows} == {(time(7), time(19))}
    event = AuditEvent.objects.filter(action="gates.hours_published").get()
    assert event.actor == world.board and event.object_id == str(gate.pk)
    assert event.after["valid_from"] == today.isoformat() and len(event.after["week"]) == 6
    assert verify_chain()[1] is None


def test_new_hours_end_the_old_ones_the_day_before(world: World) -> None:
    gate = world.gates["huu-nghi"]
    start = timezone.localdate() + timedelta(days=10)
    old = list(WorkingHours.objects.filter(gate=gate, route__isnull=True, flow="entry"))
    assert old, "Hữu Nghị has published hours"
    services.do_set_weekly_hours(
        actor=world.board,
        gate_code="huu-nghi",
        data=services.WeekInput(
            flow="entry",
            valid_from=start.isoformat(),
            opens=["07:30"] * 7,
            closes=["23:00"] * 7,
            source="test",
        ),
    )
    for row in WorkingHours.objects.filter(pk__in=[r.pk for r in old]):
        assert row.valid_until is not None and row.valid_until < start
    hours = {h.flow: h for h in services.hours_on(gate, start)}
    # Until 23:00 on our side; the crossing still ends when Hữu Nghị Quan closes (18:00 here).
    assert (hours["entry"].opens, hours["entry"].closes) == (time(7, 30), time(18))


@pytest.mark.parametrize(
    ("field", "change"),
    [
        ("opens-2", {"opens-2": "19:00", "closes-2": "07:00"}),
        ("opens-3", {"opens-3": "25:00"}),
        ("valid_from", {"valid_from": "2020-01-01"}),
        ("valid_from", {"valid_from": "31/02/2027"}),
        ("source", {"source": "  "}),
        ("flow", {"flow": "sideways"}),
    ],
)
def test_bad_hours_are_refused_by_field_and_change_nothing(
    world: World, field: str, change: dict[str, str]
) -> None:
    before = WorkingHours.objects.count(), AuditEvent.objects.count()
    client = Client()
    client.force_login(world.board)
    body = {
        "action": "week",
        "flow": "exit",
        "valid_from": timezone.localdate().isoformat(),
        **WEEK,
        "source": "notice",
    } | change
    response = client.post("/gates/hours/chi-ma/action/", body)
    assert response.status_code == 400
    html = response.content.decode()
    assert 'aria-invalid="true"' in html or "field-invalid" in html
    # What was typed comes back in the form.
    for name, value in change.items():
        if name.startswith(("opens", "closes")) and value.strip():
            assert f'value="{value}"' in html
    with pytest.raises(InvalidInput) as raised:
        services.do_set_weekly_hours(
            actor=world.board,
            gate_code="chi-ma",
            data=services.WeekInput(
                flow=body["flow"],
                valid_from=body["valid_from"],
                opens=[body.get(f"opens-{d}", "") for d in range(7)],
                closes=[body.get(f"closes-{d}", "") for d in range(7)],
                source=body["source"],
            ),
        )
    assert field in raised.value.fields
    assert (WorkingHours.objects.count(), AuditEvent.objects.count()) == before


def test_a_dated_closure_overrides_the_week_and_can_be_withdrawn(world: World) -> None:
    gate = world.gates["huu-nghi"]
    day = timezone.localdate() + timedelta(days=3)
    [exception] = services.do_add_exception(
        actor=world.board,
        gate_code="huu-nghi",
        data=services.ExceptionInput(
            day=day.strftime("%d/%m/%Y"), closed=True, reason="Phía Trung Quốc tạm đóng"
        ),
    )
    hours = services.hours_on(gate, day)
    assert all(not h.is_open and h.reason == "Phía Trung Quốc tạm đóng" for h in hours)
    # A second notice for the same day replaces the first (shorter hours instead).
    services.do_add_exception(
        actor=world.board,
        gate_code="huu-nghi",
        data=services.ExceptionInput(
            day=day.isoformat(), opens="8h", closes="12h", reason="Chỉ mở buổi sáng"
        ),
    )
    assert HoursException.objects.filter(gate=gate, date=day).count() == 1
    current = HoursException.objects.get(gate=gate, date=day)
    assert (current.opens, current.closes) == (time(8), time(12))
    services.do_remove_exception(actor=world.board, gate_code="huu-nghi", exception_id=current.pk)
    assert not HoursException.objects.filter(pk__in=[exception.pk, current.pk]).exists()
    actions = list(
        AuditEvent.objects.filter(action__startswith="gates.hours_exception").values_list(
            "action", flat=True
        )
    )
    assert actions == [
        "gates.hours_exception_published",
        "gates.hours_exception_published",
        "gates.hours_exception_withdrawn",
    ]


def test_a_closure_needs_a_reason_and_a_day(world: World) -> None:
    with pytest.raises(InvalidInput) as raised:
        services.do_add_exception(
            actor=world.board,
            gate_code="huu-nghi",
            data=services.ExceptionInput(day="9999-12-31", closed=True, reason=""),
        )
    assert set(raised.value.fields) == {"day", "reason"}


def test_only_the_board_publishes_hours(world: World) -> None:
    for user in (world.yard_hn, world.customs_hn, world.owner):
        with pytest.raises(NotAllowed):
            services.do_add_exception(
                actor=user,
                gate_code="huu-nghi",
                data=services.ExceptionInput(
                    day=timezone.localdate().isoformat(), closed=True, reason="x"
                ),
            )
    assert not HoursException.objects.filter(reason="x").exists()


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("7h", time(7)),
        ("7h30", time(7, 30)),
        ("07:00", time(7)),
        ("19.30", time(19, 30)),
        ("24:00", time(23, 59)),
        ("０７:００", time(7)),
        ("7:60", None),
        ("abc", None),
        ("", None),
    ],
)
def test_times_are_read_as_written_at_the_gates(raw: str, expected: time | None) -> None:
    assert services.parse_clock(raw) == expected
