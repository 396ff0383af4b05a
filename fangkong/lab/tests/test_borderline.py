"""Borderline results: Ct thresholds per target gene come from the protocol preset; a result
in the grey zone is flagged 指标稍高 / 弱阳性 on the lab's lists and the tube's page, goes on the
incident's timeline and opens a review task for the district CDC."""

from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from devtools.fixtures import C11, C21, D
from fangkong.accounts.models import Role
from fangkong.command.models import Incident
from fangkong.command.services.tasks import set_task_state
from fangkong.lab.models import LabResult, ResultFlag
from fangkong.lab.services.borderline import borderline_flag, current_thresholds
from fangkong.lab.services.results import ResultIn, record_results
from fangkong.protocols import preset_files
from fangkong.work.models import Task, TaskState
from fangkong.zones.protocol_lab import ct_thresholds
from fangkong.zones.protocols import read_preset_file

from . import test_results
from .test_api import call

pooled = test_results.pooled  # the received three-person tube

PRESETS = {p.stem: ct_thresholds(read_preset_file(p)) for p in preset_files()}


def cases(thresholds):
    """(result, ORF1ab, N, flag) around each preset's own thresholds."""
    pos, neg = thresholds["ORF1ab"]
    grey = (pos + neg) / 2
    return [
        ("negative", None, None, ""),
        ("negative", neg, neg + 1, ""),  # at the negative threshold: plain negative
        ("negative", None, neg - 0.1, "slightly_high"),  # one late signal is enough
        ("negative", grey, grey, "slightly_high"),
        ("positive", grey, grey, "weak_positive"),
        ("presumptive_positive", pos, None, "weak_positive"),
        ("positive", pos - 0.1, grey, ""),  # one gene clearly positive
        ("positive", None, None, ""),
        ("invalid", grey, grey, ""),
    ]


@pytest.mark.parametrize(
    ("preset", "result", "orf1ab", "n", "flag"),
    [(name, *case) for name, t in PRESETS.items() for case in cases(t)],
)
def test_the_grey_zone_of_each_preset_flags_results(preset, result, orf1ab, n, flag):
    thresholds = PRESETS[preset]
    as_decimal = [None if v is None else Decimal(str(v)) for v in (orf1ab, n)]
    got = borderline_flag(
        result=result, ct_orf1ab=as_decimal[0], ct_n=as_decimal[1], thresholds=thresholds
    )
    assert got == flag


def test_a_protocol_without_lab_rules_flags_nothing():
    late = borderline_flag(result="negative", ct_orf1ab=Decimal("38"), ct_n=None, thresholds={})
    assert late == ""
    assert borderline_flag(result="negative", ct_orf1ab=None, ct_n=None, thresholds={}) == ""


def test_the_thresholds_in_force_are_the_default_presets(db, settings):
    assert current_thresholds() == PRESETS["cn-three-zones-2022"]
    settings.FANGKONG_DEFAULT_PROTOCOL = "cn-9th-edition-2022"
    assert current_thresholds() == {"ORF1ab": (35.0, 40.0), "N": (35.0, 40.0)}


def test_a_slightly_high_negative_is_flagged_timelined_and_sent_to_the_cdc(
    pooled, lab, make_user, django_capture_on_commit_callbacks
):
    cdc = make_user(Role.CDC, D)
    incident = Incident.objects.create(
        title="瓦屋李", kind="pool_positive", area_code=C11, opened_at=timezone.now()
    )
    with django_capture_on_commit_callbacks(execute=True):
        batch = record_results(
            lab=lab, items=[ResultIn(pooled.barcode, "negative", "37.6", "38.1")], actor=lab.token
        )
    assert batch.items[0].flag == "slightly_high"
    assert LabResult.objects.get(tube=pooled).flag == ResultFlag.SLIGHTLY_HIGH
    entry = incident.timeline.get(kind="result_flagged")
    assert pooled.barcode in entry.text and "37.6" in entry.text
    task = Task.objects.get(kind="result_review")
    assert (task.assignee, task.state, task.area_code) == (cdc, TaskState.OPEN, pooled.area_code)
    assert task.due_at > entry.at
    assert task.incident_link.incident == incident  # on the incident's task board
    # The CDC closes the review as the task's assignee.
    set_task_state(task=task, user=cdc, state=TaskState.DONE)
    assert Task.objects.get(pk=task.pk).state == TaskState.DONE


def test_a_plain_result_flags_nothing(pooled, lab, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        record_results(
            lab=lab, items=[ResultIn(pooled.barcode, "negative", None, None)], actor=lab.token
        )
    assert LabResult.objects.get(tube=pooled).flag == ""
    assert not Task.objects.filter(kind="result_review").exists()


def test_the_flag_shows_on_the_box_and_the_tube_pages_and_in_the_api_answer(
    pooled, lab, client, commander
):
    answer = call(
        client,
        "post",
        "/results",
        lab.token,
        [
            {
                "tube_barcode": pooled.barcode,
                "result": "presumptive_positive",
                "ct_orf1ab": 38.2,
                "ct_n": 37.9,
            }
        ],
    )
    assert answer.status_code == 200 and answer.json()["rows"][0]["flag"] == "weak_positive"
    client.force_login(commander)
    box = client.get(reverse("lab:box", args=[pooled.box.code])).content.decode()
    assert 'data-testid="flag-weak-positive"' in box and "弱阳性" in box
    tube = client.get(reverse("lab:tube", args=[pooled.barcode]))
    html = tube.content.decode()
    assert tube.status_code == 200
    assert 'data-testid="flag-weak-positive"' in html and "38.2" in html and "37.9" in html


def test_the_tube_page_is_refused_outside_the_round(pooled, client, make_user):
    stranger = make_user(Role.COMMUNITY_STAFF, C21)
    client.force_login(stranger)
    assert client.get(reverse("lab:tube", args=[pooled.barcode])).status_code == 403
