"""Tracing's answers to testing's events: a confirmed positive opens the person's case.

Testing publishes what a result means for a person; tracing reads the person through
testing's selectors and opens the case through its own service (the layers of
ARCHITECTURE.md: siblings meet through events, services and selectors, never tables).
"""

from __future__ import annotations

from fangkong.core.events import subscribe
from fangkong.core.models import OutboxEvent
from fangkong.people.models import Resident
from fangkong.testing.selectors import last_positive_samples, single_tube_person

from .models_cases import CaseSource
from .services.case_sources import open_case_from_result


@subscribe("testing.person_positive")
def open_case_after_positive_retest(event: OutboxEvent) -> None:
    resident = Resident.objects.filter(pk=event.payload["resident_id"]).first()
    if resident is None:
        return
    sampled = last_positive_samples(resident_ids=[resident.pk]).get(resident.pk)
    open_case_from_result(resident=resident, source=CaseSource.RETEST, sampled_at=sampled)


@subscribe("testing.pool_positive")
def open_case_after_positive_single_tube(event: OutboxEvent) -> None:
    """A tube that held one person came back positive from the lab: that person is the case.
    A pool of several, or a presumptive positive, waits for the single-tube retest."""
    if event.payload.get("result") != "positive":
        return
    person = single_tube_person(tube_id=event.payload["tube_id"])
    if person is None:
        return
    resident = Resident.objects.filter(pk=person[0]).first()
    if resident is not None:
        open_case_from_result(resident=resident, source=CaseSource.LAB, sampled_at=person[1])
