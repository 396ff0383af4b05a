"""How tracing's rows (cases, contacts, control orders) keep a person's identity.

A registered resident's number stays in the registry alone (the row links to the resident);
the row keeps the blind index to find the person and the mask to show them. A number typed by
an investigator for someone not registered is kept encrypted, under a context of its own kind.
"""

from __future__ import annotations

from fangkong.core import crypto
from fangkong.core.documents import Document
from fangkong.core.masking import mask_document
from fangkong.people.models import Resident
from fangkong.people.services import document_index


def registered_identity(resident: Resident) -> dict[str, str]:
    return {
        "person_name": resident.name,
        "document_type": resident.document_type,
        "document_cipher": "",
        "document_index": resident.document_index,
        "document_masked": resident.document_masked,
    }


def typed_identity(doc: Document, *, name: str, context: str) -> dict[str, str]:
    return {
        "person_name": name.strip()[:64],
        "document_type": doc.type,
        "document_cipher": crypto.encrypt(doc.number, context=context),
        "document_index": document_index(doc.type, doc.number),
        "document_masked": mask_document(doc.number),
    }
