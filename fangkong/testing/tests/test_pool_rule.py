"""A round's pool rule holds for every tube: a single-tube round refuses a tube of 20, by the
service, the tube API, the sample API and the sampler page, each naming the rule."""

import pytest
from django.urls import reverse

from devtools.fixtures import C11, D
from fangkong.accounts.models import Role
from fangkong.core.errors import RuleViolation
from fangkong.geo.models import Place
from fangkong.testing.models import Sample, Tube
from fangkong.testing.services.registration import register_samples
from fangkong.testing.services.rounds import add_station, create_round, create_tubes


@pytest.fixture
def single_round(district, commander):
    return create_round(
        name="单采单检", scope_codes=[D], user=commander, pool_group="key_group", pool_size=1
    )


@pytest.fixture
def single_station(single_round, tablet):
    place = Place.objects.get(code=f"{C11}-P01")
    return add_station(round=single_round, place=place, name="1号台", devices=[tablet])


def test_a_single_tube_round_refuses_a_tube_of_twenty(single_round):
    with pytest.raises(RuleViolation) as refused:
        create_tubes(round=single_round, count=1, capacity=20)
    assert refused.value.code == "pool_rule" and refused.value.status_code == 409
    assert "单采单检" in str(refused.value)
    assert not Tube.objects.filter(round=single_round).exists()
    (single,) = create_tubes(round=single_round, count=1)
    assert single.capacity == 1


def test_a_pooled_round_takes_smaller_tubes_but_not_larger_ones(district, commander):
    ten = create_round(name="10:1", scope_codes=[D], user=commander, pool_size=10)
    assert [t.capacity for t in create_tubes(round=ten, count=2, capacity=5)] == [5, 5]
    with pytest.raises(RuleViolation, match="10:1"):
        create_tubes(round=ten, count=1, capacity=20)


def test_the_tube_api_refuses_a_tube_of_twenty_in_a_single_tube_round(
    client, single_round, single_station, tablet
):
    headers = {"Authorization": f"Bearer {tablet.clear}"}
    url = f"/api/v1/testing/rounds/{single_round.pk}/tubes"
    answer = client.post(
        url, {"count": 3, "capacity": 20}, content_type="application/json", headers=headers
    )
    assert answer.status_code == 409, answer.content
    assert answer.json()["errors"][0]["code"] == "pool_rule"
    assert "混采规则" in answer.json()["errors"][0]["message"]
    made = client.post(url, {"count": 2}, content_type="application/json", headers=headers)
    assert made.status_code == 201, made.content
    assert made.json()["capacity"] == 1 and len(made.json()["barcodes"]) == 2


def test_a_tube_of_twenty_made_before_the_rule_takes_no_samples(
    client,
    make_user,
    single_round,
    single_station,
    tablet,
    residents,
    resident_documents,
    sample_item,
):
    (big,) = create_tubes(round=single_round, count=1)
    Tube.objects.filter(pk=big.pk).update(capacity=20)  # as a round of 2022 left it

    result = register_samples(
        station=single_station, items=[sample_item(big, resident_documents["张伟"])], actor=tablet
    )
    (item,) = result.items
    assert (item.status, item.code) == ("rejected", "pool_rule")
    assert not Sample.objects.filter(tube=big).exists()

    sampler = make_user(Role.SAMPLER, C11)
    single_station.samplers.add(sampler)
    client.force_login(sampler)
    page = client.get(reverse("testing:sampler_tube", args=[single_station.pk, big.barcode]))
    assert page.status_code == 409
    assert page.json()["errors"][0]["code"] == "pool_rule"
