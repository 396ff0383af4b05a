"""Cases that open from elsewhere than the case form: a result testing has confirmed (a
positive single-tube retest, a positive single tube from the lab; see `handlers`) and a row of
a pushed list that names a positive person."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from fangkong.accounts.services import require_permission
from fangkong.core.errors import RuleViolation
from fangkong.people.models import Resident

from ..models_cases import Case, CaseKind, CaseSource, CaseState
from ..models_pushed import PushedRow
from .cases import check_kind, open_case_for_resident, open_prepared
from .release import convert_orders


def open_case_from_result(
    *, resident: Resident, source: str, sampled_at: dt.datetime | None
) -> Case | None:
    """Open the case of a resident whose result testing has confirmed (a positive single-tube
    retest, a positive single tube from the lab), with nobody at the keyboard: the result is
    the decision, so no one's permission is asked. A person who already has a case under
    investigation keeps it (returns None); their orders in force are converted either way."""
    if not resident.document_index:
        return None
    if Case.objects.filter(document_index=resident.document_index, state=CaseState.OPEN).exists():
        convert_orders(document_index=resident.document_index)
        return None
    sampling = timezone.localdate(sampled_at) if sampled_at else timezone.localdate()
    try:
        return open_case_for_resident(
            user=None,
            resident=resident,
            kind=CaseKind.ASYMPTOMATIC,  # until the clinicians' diagnosis says confirmed
            source=source,
            sampling_date=sampling,
        )
    except RuleViolation:
        return None  # opened meanwhile by an investigator


def open_case_from_row(
    *,
    user,
    row: PushedRow,
    kind: str,
    onset_date: dt.date | None = None,
    sampling_date: dt.date | None = None,
) -> Case:
    """A pushed list of positives (another city's, the police's) names this person: open their
    case here, from the registry's record when the row was matched to one."""
    require_permission(
        actor=user,
        action="manage_tracing",
        area_code=row.area_code,
        object_type="pushed_row",
        object_id=row.pk,
    )
    dates = {"onset_date": onset_date, "sampling_date": sampling_date}
    if row.resident_id:
        return open_case_for_resident(
            user=user, resident=row.resident, kind=kind, source=CaseSource.PUSHED, **dates
        )
    if not row.document_index:
        raise RuleViolation(
            field="row",
            code="unidentified",
            message=_("This row has no valid document: find the person before opening a case."),
        )
    check_kind(kind, CaseSource.PUSHED, onset_date, sampling_date)
    # The list keeps no clear number: the case carries the row's blind index and mask.
    case = Case(
        kind=kind,
        source=CaseSource.PUSHED,
        person_name=row.person_name,
        document_type=row.document_type,
        document_cipher="",
        document_index=row.document_index,
        document_masked=row.document_masked,
        **dates,
    )
    return open_prepared(
        user=user, case=case, area_code=row.area_code, team="", opened_at=None, protocol=None
    )
