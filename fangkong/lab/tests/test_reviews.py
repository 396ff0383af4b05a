"""The district CDC records the review of a borderline result: from the task and the tube's
page, a decision with its reason (keep negative, single-tube retest, treat as positive) that
closes the task, is audited, goes on the timeline and shows on the tube's page; only the CDC
and the district commander record it, and only once."""

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from devtools.fixtures import C11, G111, D
from fangkong.accounts.models import Role
from fangkong.command.models import Incident
from fangkong.core.errors import RuleViolation
from fangkong.core.models import AuditAction, AuditEntry
from fangkong.lab.models import LabResult, ResultReview
from fangkong.lab.services.results import ResultIn, record_results
from fangkong.lab.services.reviews import record_review
from fangkong.people.models import HealthStatus, Resident
from fangkong.testing.models import RetestOrder, RetestState, Tube
from fangkong.work.models import Task, TaskState

from . import test_results

pooled = test_results.pooled  # the received three-person tube


@pytest.fixture
def cdc(make_user):
    return make_user(Role.CDC, D)


@pytest.fixture
def incident(db):
    return Incident.objects.create(
        title="瓦屋李", kind="pool_positive", area_code=C11, opened_at=timezone.now()
    )


@pytest.fixture
def flagged(pooled, lab, cdc, django_capture_on_commit_callbacks):
    """Tube 0's negative with Ct 37.6/38.1: slightly high, a review task for the CDC."""

    # The tube was filled at the community's booth: its task is on the community's board.
    Tube.objects.filter(pk=pooled.pk).update(area_code=G111)

    def make(result="negative", orf1ab="37.6", n="38.1"):
        with django_capture_on_commit_callbacks(execute=True):
            record_results(
                lab=lab, items=[ResultIn(pooled.barcode, result, orf1ab, n)], actor=lab.token
            )
        return LabResult.objects.select_related("tube__round").get(tube=pooled)

    return make


def _post(client, barcode, decision, reason="Ct 接近阈值，按方案处理", key="k1"):
    return client.post(
        reverse("lab:review", args=[barcode]),
        {"decision": decision, "reason": reason, "idempotency_key": key},
    )


def test_the_cdc_keeps_a_slightly_high_result_negative_from_the_task(
    client, cdc, incident, flagged, pooled, django_capture_on_commit_callbacks
):
    result = flagged()
    client.force_login(cdc)
    board = client.get(reverse("command:incident", args=[incident.pk])).content.decode()
    review_url = reverse("lab:review", args=[pooled.barcode])
    assert f'href="{review_url}" data-testid="task-review-link"' in board
    page = client.get(review_url)
    html = page.content.decode()
    assert page.status_code == 200 and "37.6" in html and "38.1" in html
    assert html.count('data-testid="review-member"') == 3
    assert "维持阴性" in html and "复采复检" in html and "按阳性处置" in html
    with django_capture_on_commit_callbacks(execute=True):
        answer = _post(client, pooled.barcode, "confirm_negative")
    assert answer.status_code == 302 and answer.url == review_url
    review = ResultReview.objects.get(result=result)
    assert (review.decision, review.decided_by, review.retest_orders) == (
        "confirm_negative",
        cdc,
        0,
    )
    assert Task.objects.get(kind="result_review").state == TaskState.DONE
    audit = AuditEntry.objects.get(action=AuditAction.RESULT_REVIEWED)
    assert audit.object_id == str(result.pk) and audit.reason == "Ct 接近阈值，按方案处理"
    entry = incident.timeline.get(kind="result_reviewed")
    assert pooled.barcode in entry.text and "维持阴性" in entry.text
    assert not RetestOrder.objects.exists()
    tube_page = client.get(reverse("lab:tube", args=[pooled.barcode])).content.decode()
    assert 'data-testid="tube-review-decision"' in tube_page and "维持阴性" in tube_page


def test_a_retest_orders_single_tube_retests_without_an_alarm(
    client, cdc, incident, flagged, pooled, django_capture_on_commit_callbacks
):
    flagged()
    client.force_login(cdc)
    with django_capture_on_commit_callbacks(execute=True):
        _post(client, pooled.barcode, "retest")
    orders = RetestOrder.objects.filter(source_tube=pooled)
    assert orders.count() == 3 and ResultReview.objects.get().retest_orders == 3
    # The same path as a retest: orders in the retest round, nobody told to stay home.
    assert not Resident.objects.filter(health_status=HealthStatus.AWAITING_RETEST).exists()
    assert "单管复采复检" in incident.timeline.get(kind="result_reviewed").text
    html = client.get(reverse("lab:review", args=[pooled.barcode])).content.decode()
    with translation.override("zh-hans"):
        pending = str(RetestState.PENDING.label)
    assert html.count(f"<td>{pending}</td>") == 3  # each person's retest, on the review
    assert 'data-testid="review-recorded"' in html and 'data-testid="review-form"' not in html


def test_treat_as_positive_takes_the_positive_pools_path(
    cdc, flagged, pooled, django_capture_on_commit_callbacks
):
    result = flagged()
    with django_capture_on_commit_callbacks(execute=True):
        record_review(
            result=result,
            decision="treat_positive",
            reason="结合流调，按阳性处置",
            user=cdc,
            idempotency_key="k",
        )
    assert RetestOrder.objects.filter(source_tube=pooled).count() == 3
    assert Resident.objects.filter(health_status=HealthStatus.AWAITING_RETEST).count() == 3
    # The presumptive positive's own response: an incident opened for the pool.
    incident = Incident.objects.get(source_event__kind="testing.pool_positive")
    assert incident.timeline.filter(kind="result_reviewed").exists()


@pytest.mark.parametrize("role", [Role.COMMUNITY_STAFF, Role.GRID_WORKER, Role.AUDITOR])
def test_only_the_cdc_and_the_district_commander_record_a_review(
    client, make_user, commander, flagged, pooled, role
):
    flagged()
    other = make_user(
        role, G111 if role == Role.GRID_WORKER else C11 if role != Role.AUDITOR else D
    )
    client.force_login(other)
    answer = _post(client, pooled.barcode, "confirm_negative")
    assert answer.status_code == 403
    assert "疾控中心" in answer.content.decode()  # the rule, in Chinese
    assert AuditEntry.objects.filter(
        action=AuditAction.PERMISSION_DENIED, object_type="lab_result", username=other.username
    ).exists()
    assert not ResultReview.objects.exists()
    client.force_login(commander)
    assert _post(client, pooled.barcode, "confirm_negative").status_code == 302
    assert ResultReview.objects.get().decided_by == commander


def test_a_review_is_recorded_once_and_a_resent_form_is_answered_with_it(
    client, cdc, commander, flagged, pooled
):
    result = flagged()
    client.force_login(cdc)
    assert _post(client, pooled.barcode, "retest", key="same").status_code == 302
    assert _post(client, pooled.barcode, "retest", key="same").status_code == 302  # replay
    assert ResultReview.objects.count() == 1 and RetestOrder.objects.count() == 3
    assert AuditEntry.objects.filter(action=AuditAction.RESULT_REVIEWED).count() == 1
    client.force_login(commander)
    answer = _post(client, pooled.barcode, "treat_positive", key="other")
    assert answer.status_code == 409 and "已复核" in answer.content.decode()
    with pytest.raises(RuleViolation) as exc:
        record_review(
            result=result, decision="confirm_negative", reason="再议", user=cdc, idempotency_key="x"
        )
    assert exc.value.status_code == 409 and exc.value.code == "already_reviewed"
    assert ResultReview.objects.get().decision == "retest"


def test_a_weak_positive_is_not_kept_negative_and_its_retests_are_not_ordered_twice(
    client, cdc, flagged, pooled, django_capture_on_commit_callbacks
):
    result = flagged("presumptive_positive", "38.2", "37.9")
    assert RetestOrder.objects.count() == 3  # the positive path ran when it was recorded
    client.force_login(cdc)
    html = client.get(reverse("lab:review", args=[pooled.barcode])).content.decode()
    assert 'value="confirm_negative"' not in html and 'value="treat_positive"' in html
    with pytest.raises(RuleViolation) as exc:
        record_review(
            result=result, decision="confirm_negative", reason="x", user=cdc, idempotency_key="k"
        )
    assert exc.value.code == "weak_positive"
    with django_capture_on_commit_callbacks(execute=True):
        record_review(
            result=result, decision="retest", reason="等待单管结果", user=cdc, idempotency_key="k"
        )
    assert RetestOrder.objects.count() == 3 and ResultReview.objects.get().retest_orders == 0


def test_a_review_needs_a_reason_and_a_flagged_result(cdc, flagged, pooled):
    result = flagged()
    with pytest.raises(RuleViolation) as exc:
        record_review(result=result, decision="retest", reason="  ", user=cdc, idempotency_key="k")
    assert exc.value.field == "reason"
    LabResult.objects.filter(pk=result.pk).update(flag="")
    result.refresh_from_db()
    with pytest.raises(RuleViolation) as exc:
        record_review(result=result, decision="retest", reason="r", user=cdc, idempotency_key="k")
    assert exc.value.code == "not_flagged"


def test_a_key_used_for_another_results_review_is_refused(cdc, flagged, pooled):
    result = flagged()
    ResultReview.objects.create(
        result=LabResult.objects.create(
            tube=pooled,
            lab=result.lab,
            result="negative",
            reported_at=timezone.now(),
            status="superseded",
            flag="slightly_high",
        ),
        decision="confirm_negative",
        reason="r",
        decided_at=timezone.now(),
        idempotency_key="taken",
    )
    with pytest.raises(RuleViolation) as exc:
        record_review(
            result=result, decision="retest", reason="r", user=cdc, idempotency_key="taken"
        )
    assert (exc.value.code, exc.value.status_code) == ("reused", 409)
