"""A new round registers its tubes from its page and prints their labels (issue 14, part 1)."""

from django.contrib.messages import get_messages
from django.urls import reverse

from devtools.fixtures import G111
from fangkong.accounts.models import Role
from fangkong.testing.models import TestingRound as Round  # a "Test…" name would be collected
from fangkong.testing.models import Tube, TubeState


def test_a_new_round_registers_and_prints_its_tubes_from_its_page(client, mass_round, commander):
    client.force_login(commander)
    page = client.get(
        reverse("testing:round", args=[mass_round.pk]), HTTP_ACCEPT_LANGUAGE="zh-hans"
    )
    assert 'data-testid="tubes-form"' in page.content.decode()
    url = reverse("testing:round_tubes", args=[mass_round.pk])
    answer = client.post(url, {"count": 30, "capacity": mass_round.pool_size})
    assert answer.status_code == 302
    tubes = Tube.objects.filter(round=mass_round)
    assert tubes.count() == 30
    assert set(tubes.values_list("state", "capacity")) == {(TubeState.OPEN, mass_round.pool_size)}
    sheet = client.get(reverse("testing:labels", args=[mass_round.pk, "pdf"]) + "?unused=1")
    assert sheet.status_code == 200 and sheet["Content-Type"] == "application/pdf"


def test_the_round_page_keeps_the_pool_rule_and_who_may_register(
    client, mass_round, commander, make_user
):
    Round.objects.filter(pk=mass_round.pk).update(pool_size=10)
    url = reverse("testing:round_tubes", args=[mass_round.pk])
    client.force_login(commander)
    client.post(url, {"count": 5, "capacity": 12})
    shown = [str(m) for m in get_messages(client.get("/").wsgi_request)]
    assert not Tube.objects.filter(round=mass_round).exists()
    # The service's refusal, naming both the round's rule and the tube asked for.
    assert any("10" in m and "12" in m for m in shown), shown
    client.post(url, {"count": 0, "capacity": 10})
    shown = [str(m) for m in get_messages(client.get("/").wsgi_request)]
    assert any(m.startswith("采样管数量") for m in shown), shown
    client.force_login(make_user(Role.GRID_WORKER, G111))
    assert client.post(url, {"count": 5, "capacity": 1}).status_code == 403
    assert not Tube.objects.filter(round=mass_round).exists()
