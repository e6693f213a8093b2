"""Worklist scoping and order, document upload and who may read the files."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client, override_settings
from django.utils import timezone

from audit.models import AuditEvent
from clearance import services
from clearance.choices import Agency
from clearance.models import Check, Document
from conftest import client_for
from cuakhau.errors import Conflict, InvalidInput, NotFound
from cuakhau.testing import World, customs_number, declare, walk_to
from shipments import services as shipments
from shipments.choices import TruckState
from shipments.models import Declaration

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def _arrived(world: World, **overrides: object) -> Declaration:
    return walk_to(declare(world, **overrides), world, TruckState.ARRIVED)


def _chi_ma(world: World) -> Declaration:
    declaration = declare(world, gate="chi-ma", route="", vehicle_plate="29C-777.88")
    for move in ("admit", "arrive"):
        declaration = shipments.do_transition(
            declaration_id=declaration.pk, transition=move, actor=world.admin
        )
    return declaration


def test_an_officer_at_chi_ma_sees_nothing_of_tan_thanh(world: World) -> None:
    tan_thanh = _arrived(world)
    chi_ma = _chi_ma(world)
    # Customs at Chi Ma has something to do: the channel VNACCS assigned is red.
    services.do_record_customs_channel(
        actor=world.admin,
        reference=chi_ma.reference,
        channel="3",
        number=customs_number(),
        procedure_code="B11",
    )
    seen_cm = list(services.worklist(actor=world.customs_cm))
    assert {c.declaration_id for c in seen_cm} == {chi_ma.pk}
    assert all(c.declaration_id != tan_thanh.pk for c in seen_cm)
    # Nor through the API, the check's own URL or the declaration's clearance.
    api = client_for(world.customs_cm)
    listed = api.get("/api/v1/checks/").json()["results"]
    assert tan_thanh.reference not in {row["declaration"] for row in listed}
    check = Check.objects.filter(declaration=tan_thanh).first()
    assert check is not None
    assert api.get(f"/api/v1/checks/{check.pk}/").status_code == 404
    assert api.get(f"/api/v1/clearances/{tan_thanh.reference}/").status_code == 404


def test_worklists_show_each_agency_its_own_checks_perishable_then_oldest(world: World) -> None:
    steel = _arrived(
        world,
        lines=[
            shipments.LineInput(
                commodity="hot-rolled-steel",
                hs_heading="7208",
                weight_kg="25000",
                value_usd="15000",
            )
        ],
    )
    fruit = _arrived(world, vehicle_plate="29C-222.33")
    # Steel waited longer; fruit still comes first because it rots.
    Check.objects.filter(declaration=steel).update(opened_at=timezone.now() - timedelta(hours=5))
    guard_list = list(services.worklist(actor=world.guard_hn))
    assert [c.declaration_id for c in guard_list] == [fruit.pk, steel.pk]
    assert {c.agency for c in guard_list} == {Agency.BORDER_GUARD}
    quarantine_list = list(services.worklist(actor=world.quarantine_hn))
    assert [c.declaration_id for c in quarantine_list] == [fruit.pk]
    assert list(services.worklist(actor=world.owner)) == []
    assert list(services.worklist(actor=world.yard_hn)) == []
    board = {c.declaration_id for c in services.worklist(actor=world.board)}
    assert {fruit.pk, steel.pk} <= board


def test_worklist_page_for_officers_only(world: World) -> None:
    declaration = _arrived(world)
    web = Client()
    web.force_login(world.quarantine_hn)
    page = web.get("/clearance/")
    assert page.status_code == 200
    assert declaration.reference in page.content.decode()
    web.force_login(world.owner)
    assert web.get("/clearance/").status_code == 403
    web.logout()
    assert web.get("/clearance/").status_code == 302


def test_worklists_are_searched_by_plate_however_written(world: World) -> None:
    """Issue 12, finding 4: no plate or reference search on the worklists (page and API)."""
    first = _arrived(world, vehicle_plate="29C-222.33")
    second = _arrived(world, vehicle_plate="29C-444.55")
    web = Client()
    web.force_login(world.quarantine_hn)
    page = web.get("/clearance/", {"q": "29c 22233"}).content.decode()
    assert first.reference in page and second.reference not in page
    page = web.get("/clearance/", {"q": second.reference[:9]}).content.decode()
    assert second.reference in page and first.reference not in page
    api = client_for(world.quarantine_hn)
    found = api.get("/api/v1/checks/", {"q": "29C-444.55"}).json()["results"]
    assert {row["declaration"] for row in found} == {second.reference}


def _upload(user: object, reference: str, content: bytes, name: str, kind: str = "phytosanitary"):  # type: ignore[no-untyped-def]
    return services.do_upload_document(
        reference=reference,
        actor=user,  # type: ignore[arg-type]
        document_type=kind,
        upload=SimpleUploadedFile(name, content),
    )


def test_upload_stores_under_a_generated_name_and_audits(world: World) -> None:
    declaration = declare(world)
    document = _upload(world.owner, declaration.reference, PDF, "../../etc/passwd.pdf")
    assert document.content_type == "application/pdf"
    assert document.original_name == "passwd.pdf"
    assert "passwd" not in document.file.name
    assert document.file.name.startswith("documents/") and document.file.name.endswith(".pdf")
    assert document.file.read() == PDF
    assert AuditEvent.objects.filter(action="document.uploaded").count() == 1
    # An officer at the gate may attach one too (photos of an inspection).
    photo = _upload(world.quarantine_hn, declaration.reference, PNG, "seal.png", kind="other")
    assert photo.file.name.endswith(".png")


@override_settings(CUAKHAU_MAX_DOCUMENT_MB=1)
def test_upload_refusals_name_the_problem_and_store_nothing(world: World) -> None:
    declaration = declare(world)
    cases = [
        (b"just text, not a PDF", "invoice.pdf", "phytosanitary", "file"),
        (b"MZ\x90\x00 executable", "invoice.exe", "phytosanitary", "file"),
        (b"", "empty.pdf", "phytosanitary", "file"),
        (PDF + b"0" * (1024 * 1024), "big.pdf", "phytosanitary", "file"),
        (PDF, "fine.pdf", "love_letter", "document_type"),
    ]
    for content, name, kind, field in cases:
        with pytest.raises(InvalidInput) as info:
            _upload(world.owner, declaration.reference, content, name, kind)
        assert field in info.value.fields, name
    with pytest.raises(NotFound):
        _upload(world.outsider, declaration.reference, PDF, "theirs.pdf")
    with pytest.raises(NotFound):
        _upload(world.customs_cm, declaration.reference, PDF, "theirs.pdf")
    with pytest.raises(NotFound):
        _upload(world.yard_hn, declaration.reference, PDF, "theirs.pdf")
    shipments.do_transition(
        declaration_id=declaration.pk, transition="cancel", actor=world.owner, reason="no buyer"
    )
    with pytest.raises(Conflict):
        _upload(world.owner, declaration.reference, PDF, "late.pdf")
    assert not Document.objects.exists()


def test_documents_are_seen_by_the_declarant_and_the_gates_agencies_only(world: World) -> None:
    declaration = declare(world)
    document = _upload(world.owner, declaration.reference, PDF, "phyto.pdf")
    allowed = {"owner", "customs_hn", "quarantine_hn", "guard_hn", "admin"}
    for name, user in world.personas().items():
        web = Client()
        if user is not None:
            web.force_login(user)
        response = web.get(f"/clearance/documents/{document.pk}/")
        if name in allowed:
            assert response.status_code == 200, name
            assert b"".join(response.streaming_content) == PDF  # type: ignore[attr-defined]
            assert response["X-Content-Type-Options"] == "nosniff"
        else:
            assert response.status_code in (302, 404), name
        api = client_for(user)
        file_response = api.get(f"/api/v1/documents/{document.pk}/file/")
        if name in allowed:
            assert file_response.status_code == 200, name
        else:
            assert file_response.status_code in (401, 403, 404), name


def test_upload_over_the_api_and_the_web_form(world: World) -> None:
    declaration = declare(world)
    api = client_for(world.owner)
    created = api.post(
        f"/api/v1/clearances/{declaration.reference}/documents/",
        {"document_type": "commercial_invoice", "file": SimpleUploadedFile("inv.pdf", PDF)},
        format="multipart",
    )
    assert created.status_code == 201, created.content
    assert created.json()["document_type"] == "commercial_invoice"
    refused = api.post(
        f"/api/v1/clearances/{declaration.reference}/documents/",
        {"document_type": "commercial_invoice", "file": SimpleUploadedFile("inv.pdf", b"hello")},
        format="multipart",
        HTTP_ACCEPT_LANGUAGE="vi",
    )
    assert refused.status_code == 400
    assert "file" in refused.json()["error"]["fields"]
    assert "PDF" in refused.json()["error"]["fields"]["file"][0]
    other = client_for(world.outsider).post(
        f"/api/v1/clearances/{declaration.reference}/documents/",
        {"document_type": "commercial_invoice", "file": SimpleUploadedFile("inv.pdf", PDF)},
        format="multipart",
    )
    assert other.status_code == 404
    listed = api.get(f"/api/v1/clearances/{declaration.reference}/documents/").json()
    assert [row["original_name"] for row in listed] == ["inv.pdf"]

    web = Client()
    web.force_login(world.owner)
    response = web.post(
        f"/clearance/declarations/{declaration.reference}/documents/",
        {"document_type": "packing_list", "file": SimpleUploadedFile("list.png", PNG)},
    )
    assert response.status_code == 302
    bad = web.post(
        f"/clearance/declarations/{declaration.reference}/documents/",
        {"document_type": "packing_list", "file": SimpleUploadedFile("list.png", b"nope")},
    )
    assert bad.status_code == 400
    assert "PDF, JPEG" in bad.content.decode()
    assert Document.objects.filter(declaration=declaration).count() == 2
