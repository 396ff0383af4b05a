"""Contacts in tiers: co-residents proposed from the household (and, where the protocol says
so, the same and adjacent floors), contacts found by hand, and re-classification: a secondary
contact whose close contact turns positive becomes a close contact."""

from __future__ import annotations

import datetime as dt

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from fangkong.accounts.services import require_permission
from fangkong.core.documents import DocumentType, validate_document
from fangkong.core.errors import RuleViolation
from fangkong.people.models import ResidentStatus
from fangkong.people.selectors import scoped_residents
from fangkong.people.services import document_index, find_resident_by_document

from ..models import ContactTier
from ..models_cases import Case, Contact, ContactSource, ContactState
from ..protocol import tracing_protocol
from .identity import registered_identity, typed_identity

CONTACT_CONTEXT = "tracing.contact.document"


def _floor(room: str) -> int | None:
    """The floor of a room numbered the usual way (`302` → 3); None if it is not."""
    digits = "".join(ch for ch in room if ch.isdigit())
    return int(digits[:-2]) if len(digits) >= 3 else None


def propose_household_contacts(*, user, case: Case) -> list[Contact]:
    """The people living with the case as contacts (close in the shipped presets); with the
    protocol's floor option, the same and adjacent floors of the entrance too. Run again, it
    adds only who is new."""
    require_permission(
        actor=user,
        action="manage_tracing",
        area_code=case.area_code,
        object_type="case",
        object_id=case.pk,
    )
    household = case.resident.household if case.resident_id else None
    if household is None:
        raise RuleViolation(
            field="case", code="no_household", message=_("The case lives in no known household.")
        )
    rules = tracing_protocol(case.protocol).rules["household"]
    people = (
        scoped_residents(user)
        .filter(status=ResidentStatus.ACTIVE)
        .exclude(document_index=case.document_index)
    )
    wanted = [
        (r, rules["co_residents"], ContactSource.HOUSEHOLD)
        for r in people.filter(household=household)
    ]
    floor_tier, floor = rules["same_and_adjacent_floors"], _floor(household.room)
    if floor_tier and floor is not None:
        neighbours = (
            people.filter(
                household__building=household.building, household__entrance=household.entrance
            )
            .exclude(household=household)
            .select_related("household")
        )
        wanted += [
            (r, floor_tier, ContactSource.FLOOR)
            for r in neighbours
            if (f := _floor(r.household.room)) is not None and abs(f - floor) <= 1
        ]
    last = timezone.localdate(case.opened_at)
    known = set(case.contacts.values_list("document_index", flat=True))
    new = [
        Contact(
            case=case,
            tier=tier,
            source=source,
            resident=r,
            **registered_identity(r),
            area_code=r.area_code,
            last_exposure=last,
        )
        for r, tier, source in wanted
        if r.document_index and r.document_index not in known
    ]
    Contact.objects.bulk_create(new, ignore_conflicts=True)
    return list(case.contacts.filter(document_index__in=[c.document_index for c in new]))


def add_contact(
    *,
    user,
    case: Case,
    tier: str,
    document_number: str,
    last_exposure: dt.date,
    document_type: str = DocumentType.RESIDENT_ID,
    person_name: str = "",
    via: Contact | None = None,
    destination: str = "",
) -> Contact:
    """A contact the investigator found; a secondary contact names its close contact. One who
    lives in another district names it (`destination`) and goes to that district's pushed-out
    list."""
    require_permission(
        actor=user,
        action="manage_tracing",
        area_code=case.area_code,
        object_type="case",
        object_id=case.pk,
    )
    if tier not in ContactTier.values:
        raise RuleViolation(field="tier", code="unknown", message=_("Choose a tier."))
    if tier == ContactTier.SECONDARY and (via is None or via.tier != ContactTier.CLOSE):
        raise RuleViolation(
            field="via", code="required", message=_("A secondary contact names its close contact.")
        )
    doc = validate_document(document_type, document_number)
    index = document_index(doc.type, doc.number)
    if index == case.document_index:
        raise RuleViolation(
            field="document_number", code="self", message=_("This is the case itself.")
        )
    resident = find_resident_by_document(doc.type, doc.number)
    try:
        with transaction.atomic():
            return Contact.objects.create(
                case=case,
                via=via,
                tier=tier,
                source=ContactSource.MANUAL,
                resident=resident,
                **typed_identity(
                    doc, name=resident.name if resident else person_name, context=CONTACT_CONTEXT
                ),
                area_code=resident.area_code if resident else case.area_code,
                last_exposure=last_exposure,
                # A registered resident lives here, whatever was typed.
                destination="" if resident else destination.strip()[:100],
            )
    except IntegrityError:  # contact_once_per_case: the same person twice
        raise RuleViolation(
            field="document_number",
            code="duplicate",
            message=_("Already a contact of this case."),
        ) from None


def reclassify_after_positive(*, case: Case) -> int:
    """The person of `case` was a close contact: their secondary contacts become close
    contacts, and their own contact records convert. The number re-classified."""
    now = timezone.now()
    mine = Contact.objects.filter(document_index=case.document_index, state=ContactState.ACTIVE)
    promoted = Contact.objects.filter(
        Q(via__in=mine.filter(tier=ContactTier.CLOSE)),
        tier=ContactTier.SECONDARY,
        state=ContactState.ACTIVE,
    ).update(tier=ContactTier.CLOSE, reclassified_at=now, updated_at=now)
    mine.update(state=ContactState.CONVERTED, updated_at=now)
    return promoted
