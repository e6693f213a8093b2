"""Every web form, every persona (issue 11): the wrong persona is refused and nothing changes.

The table is checked against the URL table: a new page or form that is not listed here fails
this suite, so it cannot ship without its refusal tests. A form's allowed personas must not be
refused (they may still get a 4xx for the state of the truck, never 401/403/404); every other
persona gets 403 or 404 (anonymous: a redirect to the login page) and no audit row is written.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import URLResolver, get_resolver

from audit.models import AuditEvent
from cuakhau.testing import World, declare
from cuakhau.tests.test_permissions import (
    EVERYONE,
    SIGNED_IN,
    WEB,
    _booked,
    _guard_check,
    _red_customs_check,
)
from shipments.models import Declaration

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(shared_world: World, db: None) -> World:
    """The module's one world (see ``shared_world``); each test rolls back what it changed."""
    return shared_world


Setup = Callable[[World, Declaration], dict[str, Any]]


@dataclass
class Form:
    allowed: set[str]
    url: Callable[[World, Declaration, dict[str, Any]], str]
    body: Callable[[World, str, dict[str, Any]], dict[str, Any]]
    setup: Setup | None = None


def _ref(w: World, d: Declaration, s: dict[str, Any]) -> str:
    return d.reference


def _payment(world: World, declaration: Declaration) -> dict[str, Any]:
    from fees import services as fees

    request = fees.do_request_payment(
        actor=world.owner, reference=declaration.reference, provider="demo"
    )
    return {"request": request.reference}


def _stay(world: World, declaration: Declaration) -> dict[str, Any]:
    from datetime import timedelta

    from django.utils import timezone

    from cuakhau.testing import walk_to
    from flow.models import YardVisit

    walk_to(declaration, world, "arrived")
    visit = YardVisit.objects.get(declaration=declaration)
    visit.entered_at = timezone.now() - timedelta(days=5, hours=6)
    visit.exited_at = timezone.now() - timedelta(days=5)
    visit.save()
    return {"visit": visit.pk}


def _rate_pk() -> int:
    from fees.models import FeeRate

    return int(FeeRate.objects.order_by("pk").values_list("pk", flat=True)[0])


def _rule_code() -> str:
    from clearance.models import SelectivityRule

    return str(SelectivityRule.objects.order_by("code").values_list("code", flat=True)[0])


def _fruit_codes_csv() -> SimpleUploadedFile:
    return SimpleUploadedFile(
        "codes.csv", b"kind,code\npuc,VN-TEST-0001\n", content_type="text/csv"
    )


def _pdf() -> SimpleUploadedFile:
    return SimpleUploadedFile("invoice.pdf", b"%PDF-1.7\n%%EOF\n", content_type="application/pdf")


FORMS: dict[str, Form] = {
    "declarations/new/": Form(
        {"owner", "outsider"},
        lambda w, d, s: "/declarations/new/",
        lambda w, p, s: {"direction": "export"},  # incomplete: a 400 for declarants
    ),
    "declarations/fruit-codes/": Form(
        {"board"},
        lambda w, d, s: "/declarations/fruit-codes/",
        lambda w, p, s: {"file": _fruit_codes_csv(), "source": "test"},
    ),
    "declarations/new/check-plate/": Form(
        SIGNED_IN, lambda w, d, s: "/declarations/new/check-plate/", lambda w, p, s: {}
    ),
    "declarations/<str:reference>/amend/": Form(
        {"owner"},
        lambda w, d, s: f"/declarations/{d.reference}/amend/",
        lambda w, p, s: {"container": "40ft", "delivery": "border"},
    ),
    "declarations/<str:reference>/transition/": Form(
        {"owner", "board", "customs_hn"},
        lambda w, d, s: f"/declarations/{d.reference}/transition/",
        lambda w, p, s: {
            "transition": "cancel" if p == "owner" else "reject",
            "reason": "test",
            "confirmed": "yes",
        },
    ),
    "clearance/rules/<slug:code>/switch/": Form(
        {"board"},
        lambda w, d, s: "/clearance/rules/health/switch/",
        lambda w, p, s: {"active": "1", "reason": "epidemic"},
    ),
    "clearance/selectivity/new/": Form(
        {"customs_admin"},
        lambda w, d, s: "/clearance/selectivity/new/",
        lambda w, p, s: {"code": f"r-{p}", "description": "x", "channel": "red", "rate": "0,1"},
    ),
    "clearance/selectivity/preview/": Form(
        {"customs_admin"},
        lambda w, d, s: "/clearance/selectivity/preview/",
        lambda w, p, s: {"code": "p", "description": "x", "channel": "red", "rate": "0,1"},
    ),
    "clearance/selectivity/<slug:code>/": Form(
        {"customs_admin"},
        lambda w, d, s: f"/clearance/selectivity/{_rule_code()}/",
        lambda w, p, s: {"description": "changed", "channel": "red", "rate": "0,1"},
    ),
    "clearance/declarations/<str:reference>/checks/<int:check_id>/inspect/": Form(
        {"guard_hn"},
        lambda w, d, s: f"/clearance/declarations/{d.reference}/checks/{s['check']}/inspect/",
        lambda w, p, s: {"result": "pass"},
        lambda w, d: {"check": _guard_check(w, d).pk},
    ),
    "clearance/declarations/<str:reference>/checks/<int:check_id>/escalate/": Form(
        {"customs_hn"},
        lambda w, d, s: f"/clearance/declarations/{d.reference}/checks/{s['check']}/escalate/",
        lambda w, p, s: {"reason": "seal broken"},
        lambda w, d: {"check": _red_customs_check(w, d).pk},
    ),
    "clearance/declarations/<str:reference>/channel/": Form(
        # The truck is in the yard (red): only customs changes its channel now.
        {"customs_hn"},
        lambda w, d, s: f"/clearance/declarations/{d.reference}/channel/",
        lambda w, p, s: {"customs_channel": "2", "reason": "documents only"},
        lambda w, d: {"check": _red_customs_check(w, d).pk},
    ),
    "clearance/declarations/<str:reference>/documents/": Form(
        {"owner", "customs_hn", "quarantine_hn", "guard_hn"},
        lambda w, d, s: f"/clearance/declarations/{d.reference}/documents/",
        lambda w, p, s: {"document_type": "commercial_invoice", "file": _pdf()},
    ),
    "notifications/read/": Form(
        SIGNED_IN, lambda w, d, s: "/notifications/read/", lambda w, p, s: {}
    ),
    "flow/yard/<slug:code>/action/": Form(
        {"yard_hn"},
        lambda w, d, s: "/flow/yard/huu-nghi/action/",
        lambda w, p, s: {"action": "record", "kind": "gate_in", "plate": "29C-123.45"},
    ),
    "whatif/": Form(
        {"board"},
        lambda w, d, s: "/whatif/",
        lambda w, p, s: {"name": "x"},  # no change chosen: a 400 for the board
    ),
    "flow/admission/action/": Form(
        {"board"},
        lambda w, d, s: "/flow/admission/action/",
        lambda w, p, s: {"action": "nothing"},
    ),
    "flow/declarations/<str:reference>/booking/": Form(
        {"owner"},
        lambda w, d, s: f"/flow/declarations/{d.reference}/booking/",
        lambda w, p, s: {"action": "cancel", "reason": "sold at home"},
        lambda w, d: {"booked": _booked(w, d).pk},
    ),
    "gates/hours/<slug:code>/action/": Form(
        {"board"},
        lambda w, d, s: "/gates/hours/huu-nghi/action/",
        lambda w, p, s: {"action": "exception", "day": "", "reason": ""},  # a 400 for the board
    ),
    "flow/cameras/": Form(
        {"board"},
        lambda w, d, s: "/flow/cameras/",
        lambda w, p, s: {"action": "register", "code": ""},  # incomplete: a 400 for the board
    ),
    "accounts/users/": Form(
        {"board"},
        lambda w, d, s: "/accounts/users/",
        lambda w, p, s: {"username": "", "role": "customs"},  # incomplete: a 400 for the board
    ),
    "accounts/users/<int:user_id>/": Form(
        {"board"},
        lambda w, d, s: f"/accounts/users/{w.customs_hn.pk}/",
        lambda w, p, s: {"action": "token"},
    ),
    "fees/schedules/": Form(
        {"board"},
        lambda w, d, s: "/fees/schedules/",
        lambda w, p, s: {"action": "rate", "rate": _rate_pk(), "amount_vnd": "250.000"},
    ),
    "fees/declarations/<str:reference>/pay/": Form(
        {"owner"},
        lambda w, d, s: f"/fees/declarations/{d.reference}/pay/",
        lambda w, p, s: {"provider": "demo"},
    ),
    "fees/demo-pay/<str:request_ref>/": Form(
        {"owner"},
        lambda w, d, s: f"/fees/demo-pay/{s['request']}/",
        lambda w, p, s: {"action": "pay"},
        _payment,
    ),
    "fees/reconciliation/yard-stays/<int:visit_id>/charge/": Form(
        {"board"},
        lambda w, d, s: f"/fees/reconciliation/yard-stays/{s['visit']}/charge/",
        lambda w, p, s: {},
        _stay,
    ),
}

# Routes that are not forms of this platform: read-only pages in WEB (test_permissions.py),
# the declaration page (scoped, tested there), fragments, and Django's own views.
NOT_FORMS = {
    "healthz": "anonymous liveness probe, GET only",
    "i18n/setlang/": "Django's language switch, open to everyone",
    "accounts/login/": "the login form (tested in test_web.py and accounts/tests)",
    "accounts/logout/": "logs out the caller only",
    "accounts/home/": "redirects to the caller's own work page (accounts/tests)",
    "accounts/password/": "one's own password, for every signed-in user (accounts/tests)",
    "declarations/<str:reference>/": "the declaration page (test_declaration_page_is_scoped)",
    "declarations/new/line/": "an empty goods-line fragment (GET)",
    "clearance/documents/<int:document_id>/": "document download (API matrix: document file)",
    "flow/board/<slug:code>/": "the public board of one gate (GET)",
    "gates/hours/<slug:code>/": "one gate's hours, for the board (GET, in WEB)",
    "flow/yard/<slug:code>/": "the yard console of one gate (GET, as /flow/yard/)",
    "fees/schedules/<slug:code>/": "one public fee schedule (GET)",
    "fees/receipts/<str:token>/": "a receipt, by its secret token (API matrix: receipt)",
    "fees/v/<str:token>/": "public receipt verification (no private data)",
    "fees/v/": "public check of a paper receipt by number and amount (GET; fees/tests)",
    "": "the public gates page (WEB '/')",
    "whatif/<int:pk>/": "a what-if run's page (GET, the board; whatif/tests)",
    "whatif/<int:pk>/<slug:which>.json": "a what-if run's scenario as JSON (GET, the board)",
    "open-data/datapackage.json": "the open data's Frictionless descriptor (GET, public)",
    "open-data/<slug:name>.<str:fmt>": "an open dataset as CSV or JSON (GET, public)",
}


def _web_routes() -> set[str]:
    def walk(patterns: Any, prefix: str = "") -> Any:
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                yield from walk(pattern.url_patterns, prefix + str(pattern.pattern))
            else:
                yield prefix + str(pattern.pattern)

    return {
        route
        for route in walk(get_resolver().url_patterns)
        if not route.startswith(("api/", "admin/", "static/", "^"))
    }


def test_every_web_route_is_in_a_matrix() -> None:
    pages = {url.lstrip("/") for url in WEB}
    covered = set(FORMS) | set(NOT_FORMS) | pages
    missing = _web_routes() - covered
    assert not missing, f"add these routes to FORMS, WEB or NOT_FORMS: {sorted(missing)}"
    stale = (set(FORMS) | set(NOT_FORMS)) - _web_routes()
    assert not stale, f"these routes no longer exist: {sorted(stale)}"


@pytest.mark.parametrize("route", sorted(FORMS))
@pytest.mark.parametrize("persona", sorted(EVERYONE))
def test_each_form_refuses_the_wrong_persona(world: World, route: str, persona: str) -> None:
    form = FORMS[route]
    declaration = declare(world)
    state = form.setup(world, declaration) if form.setup else {}
    declaration.refresh_from_db()
    user = world.personas()[persona]
    client = Client()
    if user is not None:
        client.force_login(user)
    before = AuditEvent.objects.count()
    response = client.post(form.url(world, declaration, state), form.body(world, persona, state))
    if persona in form.allowed:
        assert response.status_code not in (401, 403, 404), (persona, response.status_code)
        return
    if persona == "anonymous":
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    else:
        assert response.status_code in (403, 404), (persona, response.status_code)
    assert AuditEvent.objects.count() == before, "a refused form changed something"
