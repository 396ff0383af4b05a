"""Petitions: registration, the class, group representatives, objection and review windows,
and termination after re-review (信访工作条例 2022)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from devtools.fixtures import G111
from fangkong.core.errors import RuleViolation
from fangkong.governance.models import Petition, ReviewLevel
from fangkong.governance.services.petitions import (
    acknowledge_petition,
    answer_review,
    apply_for_review,
    object_to_petition,
    register_petition,
    reply_petition,
)
from fangkong.governance.services.workflow import accept_case

from .conftest import at

D = dt.date


@pytest.fixture
def petition(units, commander, id_number):
    def make(**extra):
        extra.setdefault("user", commander)
        extra.setdefault("petitioner_id", id_number("410172", "19700101", 11))
        extra.setdefault("subject", "安置房回迁延误")
        extra.setdefault("petition_class", "claim")
        extra.setdefault("title", "反映安置房回迁延误")
        extra.setdefault("area_code", G111)
        extra.setdefault("now", at("2026-09-16 09:00"))
        return register_petition(**extra)

    return make


def test_the_petitioner_is_kept_only_as_a_blind_index_and_a_mask(petition, id_number):
    case = petition()
    row = Petition.objects.get(case=case)
    number = id_number("410172", "19700101", 11)
    assert number not in (row.petitioner_index, row.petitioner_masked)
    assert row.petitioner_masked.startswith("410") and "*" in row.petitioner_masked
    assert case.source == "petition_office" and case.clock == "register"


def test_a_group_names_at_most_five_representatives(petition):
    with pytest.raises(RuleViolation) as exc:
        petition(representatives=6)
    assert exc.value.code == "too_many"
    assert petition(representatives=5).petition.representatives == 5


@pytest.mark.parametrize(("on", "allowed"), [(D(2026, 9, 22), True), (D(2026, 9, 23), False)])
def test_an_objection_comes_within_five_working_days(petition, commander, on, allowed):
    # Received Wednesday 16 September 2026; Sunday the 20th is a make-up working day.
    case = petition()
    if allowed:
        assert object_to_petition(case=case, user=commander, reason="不属本单位职责", on=on)
    else:
        with pytest.raises(RuleViolation) as exc:
            object_to_petition(case=case, user=commander, reason="不属本单位职责", on=on)
        assert exc.value.code == "late"


def test_a_late_acknowledgement_is_recorded_as_late(petition, commander):
    case = petition()
    acknowledge_petition(case=case, user=commander, on=D(2026, 10, 9))  # due 8 October
    assert case.events.get(action="acknowledge").detail["late"] is True


def _replied(petition, commander):
    case = accept_case(case=petition(), user=commander, now=at("2026-09-18 09:00"))
    reply_petition(
        case=case, user=commander, outcome="not_supported", text="不予支持", on=D(2026, 10, 9)
    )
    return case


def test_review_and_re_review_keep_their_30_day_windows(petition, commander):
    case = _replied(petition, commander)
    with pytest.raises(RuleViolation) as exc:
        apply_for_review(case=case, user=commander, level="re_review", applied_on=D(2026, 10, 20))
    assert exc.value.code == "too_early"
    with pytest.raises(RuleViolation) as exc:
        apply_for_review(case=case, user=commander, level="review", applied_on=D(2026, 11, 10))
    assert exc.value.code == "late"  # 30 days after 9 October: 8 November, a Sunday → 9th
    review = apply_for_review(case=case, user=commander, level="review", applied_on=D(2026, 11, 9))
    assert review.due_on == D(2026, 12, 9)
    answer_review(review=review, user=commander, outcome="not_supported", on=D(2026, 12, 1))
    re_review = apply_for_review(
        case=case, user=commander, level=ReviewLevel.RE_REVIEW, applied_on=D(2026, 12, 20)
    )
    answer_review(review=re_review, user=commander, outcome="not_supported", on=D(2026, 12, 30))
    assert Petition.objects.get(case=case).terminated


def test_after_re_review_the_same_claim_is_not_accepted_again(petition, commander, id_number):
    case = _replied(petition, commander)
    review = apply_for_review(case=case, user=commander, level="review", applied_on=D(2026, 10, 20))
    answer_review(review=review, user=commander, outcome="explained", on=D(2026, 11, 1))
    re_review = apply_for_review(
        case=case, user=commander, level="re_review", applied_on=D(2026, 11, 2)
    )
    answer_review(review=re_review, user=commander, outcome="explained", on=D(2026, 11, 20))
    with pytest.raises(RuleViolation) as exc:
        petition(subject="安置房 回迁延误！")  # the same subject, written differently
    assert exc.value.code == "terminated"
    assert petition(subject="物业收费")  # another subject is a new petition
    other = id_number("410172", "19800101", 12)
    assert petition(petitioner_id=other)  # another person's same subject too


def test_a_reply_waits_for_acceptance(petition, commander):
    with pytest.raises(RuleViolation) as exc:
        reply_petition(case=petition(), user=commander, outcome="supported", text="支持")
    assert exc.value.code == "stage"


def test_a_petition_is_registered_and_replied_to_from_the_pages(
    client, units, commander, id_number
):
    client.force_login(commander)
    response = client.post(
        reverse("governance:petition_new"),
        {
            "petitioner_id": id_number("410172", "19700101", 11),
            "subject": "安置房回迁延误",
            "petition_class": "claim",
            "title": "反映安置房回迁延误",
            "area_code": G111,
            "representatives": "3",
        },
    )
    case = Petition.objects.get().case
    assert response.url == reverse("governance:case", args=[case.pk])
    client.post(reverse("governance:step", args=[case.pk, "accept"]))
    client.post(
        reverse("governance:petition_step", args=[case.pk, "reply"]),
        {"reply-on": "2026-12-01", "reply-outcome": "supported", "reply-text": "予以支持"},
    )
    page = client.get(reverse("governance:case", args=[case.pk])).content.decode()
    assert 'data-testid="petition-panel"' in page and "2026-12-01" in page
    assert "<dd>瓦屋李社区第一网格 " in page and f"<code>{G111}</code>" not in page
    assert id_number("410172", "19700101", 11) not in page


def test_six_representatives_are_refused_on_the_form(client, units, commander, id_number):
    client.force_login(commander)
    response = client.post(
        reverse("governance:petition_new"),
        {
            "petitioner_id": id_number("410172", "19700101", 11),
            "subject": "s",
            "petition_class": "claim",
            "title": "t",
            "area_code": G111,
            "representatives": "6",
        },
    )
    assert response.status_code == 200 and not Petition.objects.exists()
