"""Documents."""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import policy
from accounts.choices import OFFICER_ROLES, Role
from accounts.models import User
from accounts.scoping import gate_ids
from audit import services as audit
from clearance import policy as rules
from clearance.choices import (
    DocumentType,
)
from clearance.models import (
    Document,
    DocumentRequirement,
)
from cuakhau.errors import Conflict, InvalidInput, NotFound
from shipments.choices import TERMINAL_STATES, TruckState
from shipments.models import Declaration

if TYPE_CHECKING:
    pass
from clearance.services.rules import required_documents

#: Accepted files, recognised by their first bytes rather than by the name the uploader gave.
FILE_SIGNATURES: tuple[tuple[bytes, str, str], ...] = (
    (b"%PDF-", "application/pdf", ".pdf"),
    (b"\xff\xd8\xff", "image/jpeg", ".jpg"),
    (b"\x89PNG\r\n\x1a\n", "image/png", ".png"),
)


def max_document_bytes() -> int:
    return int(settings.CUAKHAU_MAX_DOCUMENT_MB) * 1024 * 1024


def documents_visible(user: User) -> QuerySet[Document]:
    """The declarant's own documents and those at the gates where an officer works; no one else."""
    documents = Document.objects.select_related("declaration", "declaration__gate")
    if not user.is_authenticated or not user.is_active:
        return documents.none()
    if user.has_full_access:
        return documents
    if user.role == Role.DECLARANT and user.enterprise_id is not None:
        return documents.filter(declaration__enterprise_id=user.enterprise_id)
    if user.role in OFFICER_ROLES:
        return documents.filter(declaration__gate_id__in=gate_ids(user))
    return documents.none()


def may_attach(user: User, declaration: Declaration) -> bool:
    return policy.allows(user, rules.ATTACH_DOCUMENT, declaration)


def do_upload_document(
    *, reference: str, actor: User, document_type: str, upload: UploadedFile | None
) -> Document:
    declaration = Declaration.objects.filter(reference=reference).first()
    if declaration is None or not may_attach(actor, declaration):
        # Another enterprise's declaration is reported as missing, not as forbidden: its
        # existence is not the asker's business.
        raise NotFound(_("No such declaration."))
    if declaration.state in TERMINAL_STATES:
        raise Conflict(
            _("The declaration is %s; no more documents are accepted.")
            % TruckState(declaration.state).label,
            code="declaration_closed",
        )
    errors: dict[str, list[str]] = {}
    if document_type not in DocumentType.values:
        errors["document_type"] = [_("Choose a document type from the list.")]
    content_type = suffix = ""
    if upload is None:
        errors["file"] = [_("Choose a file to upload.")]
    elif not upload.size:
        errors["file"] = [_("The file is empty.")]
    elif upload.size > max_document_bytes():
        errors["file"] = [
            _("The file is %(size).1f MB; at most %(limit)d MB is accepted.")
            % {"size": upload.size / 1024 / 1024, "limit": settings.CUAKHAU_MAX_DOCUMENT_MB}
        ]
    else:
        head = upload.read(16)
        upload.seek(0)
        for signature, kind, extension in FILE_SIGNATURES:
            if head.startswith(signature):
                content_type, suffix = kind, extension
                break
        else:
            errors["file"] = [_("Only PDF, JPEG and PNG files are accepted.")]
    if errors or upload is None:
        raise InvalidInput(_("The document was not accepted; see each field."), fields=errors)
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    original = (upload.name or "document").rsplit("/", 1)[-1][:200]
    now = timezone.now()
    with transaction.atomic():
        document = Document(
            declaration=declaration,
            document_type=document_type,
            original_name=original,
            content_type=content_type,
            size=upload.size or 0,
            sha256=digest.hexdigest(),
            uploaded_at=now,
            uploaded_by=actor,
        )
        # The generated name takes its suffix from the content, never from the uploader.
        document.file.save(f"upload{suffix}", upload, save=False)
        document.save()
        audit.record(
            action="document.uploaded",
            obj=document,
            actor=actor,
            after={
                "declaration": declaration.reference,
                "document_type": document_type,
                "file_name": original,
                "size": document.size,
                "sha256": document.sha256,
            },
            at=now,
        )
    return document


@dataclass(frozen=True)
class ChecklistItem:
    requirement: DocumentRequirement
    documents: list[Document]


def checklist(declaration: Declaration, documents: Iterable[Document]) -> list[ChecklistItem]:
    by_type: dict[str, list[Document]] = defaultdict(list)
    for document in documents:
        by_type[document.document_type].append(document)
    return [
        ChecklistItem(requirement, by_type.get(requirement.document_type, []))
        for requirement in required_documents(declaration)
    ]
