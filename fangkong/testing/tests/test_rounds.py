"""Cancelling a round: only one nobody was sampled in; afterwards it takes no tubes or samples."""

import contextlib

import pytest
from django.utils import translation

from devtools.fixtures import G111
from fangkong.accounts.models import Role
from fangkong.core.errors import PermissionDeniedError, RuleViolation
from fangkong.people.sampling_codes import sampling_code_for
from fangkong.testing import models
from fangkong.testing.services.registration import register_samples
from fangkong.testing.services.rounds import cancel_round, create_tubes


def test_a_round_without_samples_is_cancelled_and_takes_nothing_more(
    mass_round, station, tubes, tablet, residents, sample_item, commander, now
):
    cancel_round(round=mass_round, user=commander, now=now)
    stored = models.TestingRound.objects.get(pk=mass_round.pk)
    assert (stored.status, stored.closed_at) == (models.RoundStatus.CANCELLED, now)
    with pytest.raises(RuleViolation) as caught:
        create_tubes(round=stored, count=1)
    assert caught.value.code == "cancelled"
    station.round.refresh_from_db()
    item = sample_item(tubes[0], sampling_code=sampling_code_for(residents[0].pk))
    with contextlib.suppress(RuleViolation):  # refused as a batch or item by item
        register_samples(station=station, items=[item], actor=tablet)
    assert not models.Sample.objects.exists()
    with pytest.raises(RuleViolation) as caught:
        cancel_round(round=stored, user=commander)
    assert caught.value.code == "cancelled"


def test_a_round_with_samples_is_not_cancelled(
    mass_round, station, tubes, tablet, residents, sample_item, commander
):
    item = sample_item(tubes[0], sampling_code=sampling_code_for(residents[0].pk))
    assert register_samples(station=station, items=[item], actor=tablet).accepted == 1
    with pytest.raises(RuleViolation) as caught:
        cancel_round(round=mass_round, user=commander)
    assert (caught.value.field, caught.value.code) == ("round", "sampled")
    with translation.override("en"):
        assert "close it instead" in str(caught.value.message)
    assert models.TestingRound.objects.get(pk=mass_round.pk).status == models.RoundStatus.ACTIVE


def test_a_closed_round_stays_closed(mass_round, commander):
    models.TestingRound.objects.filter(pk=mass_round.pk).update(status=models.RoundStatus.CLOSED)
    with pytest.raises(RuleViolation) as caught:
        cancel_round(round=mass_round, user=commander)
    assert caught.value.code == "closed"


def test_only_who_plans_rounds_cancels_them(mass_round, make_user):
    with pytest.raises(PermissionDeniedError):
        cancel_round(round=mass_round, user=make_user(Role.GRID_WORKER, G111))
    assert models.TestingRound.objects.get(pk=mass_round.pk).status == models.RoundStatus.ACTIVE


def test_ending_a_rounds_sampling_from_its_page(
    client, mass_round, station, tubes, tablet, residents, sample_item, commander, make_user
):
    from django.urls import reverse

    item = sample_item(tubes[0], sampling_code=sampling_code_for(residents[0].pk))
    assert register_samples(station=station, items=[item], actor=tablet).accepted == 1
    url = reverse("testing:round_close", args=[mass_round.pk])
    client.force_login(make_user(Role.GRID_WORKER, G111))
    assert client.post(url).status_code == 403
    client.force_login(commander)
    page = client.get(reverse("testing:round", args=[mass_round.pk])).content.decode()
    assert 'data-testid="round-close-form"' in page
    assert client.post(url).status_code == 302
    stored = models.TestingRound.objects.get(pk=mass_round.pk)
    assert stored.status == models.RoundStatus.CLOSED and stored.closed_at is not None
    # A tablet's retry is still answered; a new sample is refused; the button is gone.
    station.round.refresh_from_db()
    again = register_samples(station=station, items=[item], actor=tablet)
    assert again.items[0].replayed
    fresh = sample_item(tubes[0], sampling_code=sampling_code_for(residents[1].pk))
    refused = register_samples(station=station, items=[fresh], actor=tablet).items[0]
    assert (refused.status, refused.code) == ("rejected", "round_closed")
    page = client.get(reverse("testing:round", args=[mass_round.pk])).content.decode()
    assert 'data-testid="round-close-form"' not in page
    assert client.post(url).status_code == 422  # already closed: said, not repeated
    assert models.Sample.objects.count() == 1
