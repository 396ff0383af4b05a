"""Who each sample is: registered people found by blind index or sampling code, and the
people a sample brings in (a visitor not in the registry, a person without a document),
registered rather than refused."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.encoding import force_str
from django.utils.translation import gettext_lazy as _

from fangkong.core.db import bulk
from fangkong.people.models import Residency, Resident
from fangkong.people.services import phone_index, prepare_resident

from ..models import SampleFlag, Station
from .sample_items import PreparedItem, rule

PERSON = "id, document_index, name, area_code, residency"


@dataclass
class Person:
    id: int | None
    name: str
    area_code: str
    visitor: bool
    model: Resident | None = None  # set for people created by this batch


def people_lookup(prepared: list[PreparedItem]) -> tuple[str, list] | None:
    """The select of the registered people the batch names, by blind index or sampling code
    (None if it names nobody). One select per kind of lookup: SQLite answers an OR of the
    two by scanning the whole table."""
    live = [p for p in prepared if p.outcome.status == "accepted"]
    selects, params = [], []
    for column, values, kind in (
        ("document_index", sorted({p.index for p in live if p.index}), "varchar"),
        ("id", sorted({p.code_resident for p in live if p.code_resident}), "bigint"),
    ):
        if values:
            where, where_params = bulk.member_of(column, values, kind)
            selects.append(f"SELECT {PERSON} FROM people_resident WHERE {where}")  # noqa: S608 - placeholders only
            params += where_params
    if not selects:
        return None
    return " UNION ".join(selects), params


def people_of(fresh: list[PreparedItem], known: list[tuple], station: Station) -> dict[int, Person]:
    """Each item's person: found by blind index or sampling code; someone unknown becomes a
    visitor (created here, in the batch's transaction), never a refusal."""
    by_index: dict[str, Person] = {}
    by_id: dict[int, Person] = {}
    for pk, index, name, area_code, residency in known:
        person = Person(pk, name, area_code, residency == Residency.VISITOR)
        by_id[pk] = person
        if index:
            by_index[index] = person
    new_people: dict[str, Person] = {}
    person_of: dict[int, Person] = {}
    for p in fresh:
        if p.code_resident:
            person = by_id.get(p.code_resident)
            if person is None:
                p.outcome.reject(
                    rule(
                        "sampling_code",
                        "unknown",
                        _("The sampling code's person is no longer registered."),
                    )
                )
                continue
        elif p.index:
            person = by_index.get(p.index) or new_people.get(p.index)
            if person is None:
                model = _visitor(p, station)
                person = Person(None, model.name, model.area_code, True, model)
                new_people[p.index] = person
                p.flags |= SampleFlag.VISITOR
        else:
            model = _no_document_person(p, station)
            person = Person(
                model.pk, model.name, model.area_code, model.residency == Residency.VISITOR
            )
        if p.item.name and person.name and p.item.name.strip() != person.name:
            p.flags |= SampleFlag.NAME_MISMATCH
        person_of[id(p)] = person
    if new_people:
        created = Resident.objects.bulk_create([person.model for person in new_people.values()])
        for person, model in zip(new_people.values(), created, strict=True):
            person.id = model.pk
    return person_of


def _visitor(p: PreparedItem, station: Station) -> Resident:
    """Someone not in the registry: registered as a visitor at the station's area, not refused."""
    data = prepare_resident(
        name=(p.item.name or "").strip() or force_str(_("Unregistered visitor")),
        document_type=p.document.type,
        document_number=p.document.number,
        phone=p.phone,
        residency=Residency.VISITOR,
    )
    resident = data.to_model()
    # Validated again from the upgraded number, which no longer says it was 15 digits.
    resident.document_converted = p.document.converted_from_15
    resident.area_code = station.area_code
    resident.needs_follow_up = True
    resident.note = force_str(_("Registered at sampling"))[:200]
    return resident


def _no_document_person(p: PreparedItem, station: Station) -> Resident:
    """A person without a document: matched by name and phone if seen before, else created."""
    name = p.item.name.strip()
    if p.phone:
        known = Resident.objects.filter(
            name=name, phone_index=phone_index(p.phone), document_index__isnull=True
        ).first()
        if known is not None:
            return known
    data = prepare_resident(
        name=name,
        document_type=None,
        document_number="",
        phone=p.phone,
        residency=Residency.VISITOR,
        guardian=p.item.guardian or "",  # encrypted, never in the free-text note
    )
    resident = data.to_model()
    resident.area_code = station.area_code
    resident.needs_follow_up = True
    resident.save()
    return resident
