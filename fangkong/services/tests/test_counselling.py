"""Psychological support: notes only the counsellor and the commander read, each reading audited."""

from __future__ import annotations

import pytest
from django.urls import reverse

from devtools.fixtures import C11, G211, PASSWORD
from fangkong.accounts.models import Role
from fangkong.core.errors import PermissionDeniedError, RuleViolation
from fangkong.core.models import AuditAction, AuditEntry
from fangkong.services.models import CounsellingNote, RequestEvent
from fangkong.services.services.counselling import (
    add_counselling_note,
    assign_counsellor,
    read_counselling_notes,
)

pytestmark = pytest.mark.django_db
SECRET = "独居三周，夜间失眠，情绪低落"


@pytest.fixture
def counsellor(make_user):
    return make_user(Role.COMMUNITY_STAFF, C11)


@pytest.fixture
def session(raise_for, grid_worker, counsellor):
    request = raise_for(kind="counselling")
    assign_counsellor(user=grid_worker, request=request, counsellor=counsellor)
    add_counselling_note(user=counsellor, request=request, text=SECRET)
    return request


def test_a_note_is_stored_encrypted_and_never_in_the_history(session):
    note = CounsellingNote.objects.get()
    assert SECRET not in note.text_cipher
    assert not any(SECRET in (e.note + str(e.detail)) for e in RequestEvent.objects.all())


def test_the_counsellor_and_the_commander_read_and_each_reading_is_audited(
    session, counsellor, commander
):
    assert [n.text for n in read_counselling_notes(user=counsellor, request=session)] == [SECRET]
    read_counselling_notes(user=commander, request=session, reason="复核")
    audits = AuditEntry.objects.filter(action=AuditAction.UNMASK, object_type="counselling_notes")
    assert audits.count() == 2
    assert set(audits.values_list("username", flat=True)) == {
        counsellor.username,
        commander.username,
    }


def test_anyone_else_is_refused_and_the_refusal_audited(session, grid_worker, make_user):
    for other in (grid_worker, make_user(Role.SUBDISTRICT_STAFF, C11[:10])):
        with pytest.raises(PermissionDeniedError):
            read_counselling_notes(user=other, request=session)
    assert AuditEntry.objects.filter(action=AuditAction.PERMISSION_DENIED).count() == 2
    with pytest.raises(PermissionDeniedError):
        add_counselling_note(user=grid_worker, request=session, text="x")


def test_a_counsellor_from_another_area_is_refused(raise_for, grid_worker, make_user):
    request = raise_for(kind="counselling")
    with pytest.raises(RuleViolation) as err:
        assign_counsellor(
            user=grid_worker, request=request, counsellor=make_user(Role.COMMUNITY_STAFF, G211)
        )
    assert (err.value.field, err.value.code) == ("counsellor", "out_of_area")


def test_supplies_get_no_counsellor(raise_for, grid_worker, counsellor):
    with pytest.raises(RuleViolation) as err:
        assign_counsellor(user=grid_worker, request=raise_for(), counsellor=counsellor)
    assert err.value.code == "not_counselling"


def test_the_request_page_shows_notes_only_after_an_audited_reading(
    client, session, counsellor, grid_worker
):
    client.login(username=grid_worker.username, password=PASSWORD)
    page = client.get(reverse("services:request", args=[session.pk])).content.decode()
    assert SECRET not in page
    assert client.post(reverse("services:counselling_notes", args=[session.pk])).status_code == 403
    client.logout()
    client.login(username=counsellor.username, password=PASSWORD)
    assert SECRET not in client.get(reverse("services:request", args=[session.pk])).content.decode()
    shown = client.post(
        reverse("services:counselling_notes", args=[session.pk]), {"reason": "随访"}
    )
    assert SECRET in shown.content.decode()
