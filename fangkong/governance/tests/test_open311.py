"""Open311 GeoReport v2 at /open311/v2/, as the specification defines it."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from devtools.fixtures import G111, G211, S1, D
from fangkong.accounts.models import Role
from fangkong.accounts.services import create_device_token
from fangkong.governance.locate import forget_shapes
from fangkong.governance.models import GovCase, Stage
from fangkong.governance.selectors import OPEN311_PAGE_SIZE
from fangkong.governance.services.workflow import accept_case, close_case

BASE = "/open311/v2"


@pytest.fixture(autouse=True)
def _fresh_shapes():
    forget_shapes()
    yield
    forget_shapes()


@pytest.fixture
def api_key(units):
    _token, clear = create_device_token(
        name="市民App", role=Role.REPORTER, scope_code=D, created_by=None
    )
    return clear


def _post(client, **data):
    return client.post(f"{BASE}/requests.json", data)


def test_services_list_the_public_kinds(client, district):
    answer = client.get(f"{BASE}/services.json").json()
    by_code = {s["service_code"]: s for s in answer}
    assert set(by_code) == {"grid-matter", "manhole-cover", "rubbish"}
    assert set(by_code["manhole-cover"]) == {
        "service_code",
        "service_name",
        "description",
        "metadata",
        "type",
        "keywords",
        "group",
    }
    assert by_code["manhole-cover"]["metadata"] is True
    assert by_code["rubbish"]["metadata"] is False
    assert by_code["rubbish"]["type"] == "realtime"


def test_a_service_definition_lists_its_attributes(client, district):
    answer = client.get(f"{BASE}/services/manhole-cover.json").json()
    (attribute,) = answer["attributes"]
    assert answer["service_code"] == "manhole-cover"
    assert attribute["code"] == "cover_state" and attribute["required"] is True
    assert attribute["datatype"] == "singlevaluelist" and attribute["order"] == 1
    assert [v["key"] for v in attribute["values"]] == ["missing", "broken", "displaced"]


def test_an_unknown_service_is_a_404_in_the_error_shape(client, district):
    response = client.get(f"{BASE}/services/potholes.json")
    assert response.status_code == 404
    assert response.json() == [{"code": 404, "description": "未找到该 service_code。"}]


def test_a_wrong_jurisdiction_is_a_404(client, district):
    response = client.get(f"{BASE}/services.json", {"jurisdiction_id": "110105"})
    assert response.status_code == 404 and response.json()[0]["code"] == 404


def test_post_by_coordinates_lands_in_the_grid_that_holds_them(client, api_key, units):
    response = _post(
        client,
        api_key=api_key,
        service_code="manhole-cover",
        lat="34.805",
        long="113.555",  # inside 第一网格's square
        description="井盖缺失\n在路口东侧",
        phone="13800000000",
        email="someone@example.org",
        **{"attribute[cover_state]": "missing"},
    )
    assert response.status_code == 200, response.content
    (created,) = response.json()
    assert set(created) == {"service_request_id", "service_notice", "account_id"}
    case = GovCase.objects.get(pk=int(created["service_request_id"]))
    assert (case.area_code, case.source, case.title) == (G111, "open311", "井盖缺失")
    assert case.attributes == {"cover_state": "missing"}
    assert "13800000000" not in case.reporter_phone  # stored encrypted
    assert "someone@example.org" not in str(case.__dict__)  # not kept at all


def test_post_by_address_id_and_by_address_string(client, api_key, units):
    by_id = _post(client, api_key=api_key, service_code="rubbish", address_id=G211)
    by_text = _post(client, api_key=api_key, service_code="rubbish", address_string="科学大道")
    assert by_id.status_code == by_text.status_code == 200
    assert GovCase.objects.get(pk=by_id.json()[0]["service_request_id"]).area_code == G211
    assert GovCase.objects.get(pk=by_text.json()[0]["service_request_id"]).area_code == D


@pytest.mark.parametrize(
    ("data", "status"),
    [
        ({"service_code": "rubbish", "address_id": G111}, 403),  # no api_key
        ({"api_key": "fk_wrong", "service_code": "rubbish", "address_id": G111}, 403),
        ({"service_code": "", "address_id": G111}, 400),
        ({"service_code": "potholes", "address_id": G111}, 404),
        ({"service_code": "rubbish"}, 400),  # no location
        ({"service_code": "rubbish", "lat": "1", "long": "1"}, 400),  # outside every grid
        ({"service_code": "manhole-cover", "address_id": G111}, 400),  # attribute required
        ({"service_code": "rubbish", "address_id": G111, "description": "x" * 4001}, 400),
    ],
)
def test_a_bad_post_is_refused_with_the_specifications_status(client, api_key, units, data, status):
    if "api_key" not in data and status != 403:
        data["api_key"] = api_key
    response = _post(client, **data)
    assert response.status_code == status
    (error,) = response.json()
    assert set(error) == {"code", "description"} and error["code"] == status
    assert not GovCase.objects.exists()


def test_a_key_bound_to_a_sub_district_may_not_report_outside_it(client, units):
    _token, clear = create_device_token(
        name="梧桐街", role=Role.REPORTER, scope_code=S1, created_by=None
    )
    response = _post(client, api_key=clear, service_code="rubbish", address_id=G211)
    assert response.status_code == 403


def test_a_token_of_another_role_may_not_report(client, units):
    _token, clear = create_device_token(
        name="采样平板", role=Role.SAMPLER, scope_code=D, created_by=None
    )
    assert _post(client, api_key=clear, service_code="rubbish", address_id=G111).status_code == 403


def test_requests_map_stages_to_open_and_closed_with_notes(client, api_key, units, commander):
    first = _post(client, api_key=api_key, service_code="rubbish", address_id=G111).json()[0]
    second = _post(client, api_key=api_key, service_code="rubbish", address_id=G211).json()[0]
    case = accept_case(case=GovCase.objects.get(pk=second["service_request_id"]), user=commander)
    close_case(case=case, user=commander, closure_type="wrong", reason="重复上报")
    listed = client.get(f"{BASE}/requests.json").json()
    status = {r["service_request_id"]: (r["status"], r["status_notes"]) for r in listed}
    assert status[first["service_request_id"]][0] == "open"
    assert status[second["service_request_id"]][0] == "closed"
    assert "差错" in status[second["service_request_id"]][1]  # closed in error, not "fixed"
    only_open = client.get(f"{BASE}/requests.json", {"status": "open"}).json()
    assert [r["service_request_id"] for r in only_open] == [first["service_request_id"]]
    one = client.get(f"{BASE}/requests/{first['service_request_id']}.json").json()
    assert len(one) == 1 and one[0]["address_id"] == G111 and one[0]["agency_responsible"]
    assert one[0]["expected_datetime"] is not None


def test_requests_filters_and_their_errors(client, api_key, units):
    created = _post(client, api_key=api_key, service_code="rubbish", address_id=G111).json()[0]
    by_code = client.get(f"{BASE}/requests.json", {"service_code": "manhole-cover"}).json()
    assert by_code == []
    past = client.get(
        f"{BASE}/requests.json",
        {"start_date": "2020-01-01T00:00:00Z", "end_date": "2020-02-01T00:00:00Z"},
    ).json()
    assert past == []
    by_id = client.get(
        f"{BASE}/requests.json", {"service_request_id": created["service_request_id"]}
    ).json()
    assert len(by_id) == 1
    too_long = client.get(
        f"{BASE}/requests.json",
        {"start_date": "2020-01-01T00:00:00Z", "end_date": "2020-06-01T00:00:00Z"},
    )
    assert too_long.status_code == 400
    assert client.get(f"{BASE}/requests.json", {"status": "fixed"}).status_code == 400
    assert client.get(f"{BASE}/requests/999999.json").status_code == 404


def test_non_public_kinds_are_not_listed(client, report, units):
    report()  # a wage-arrears case: not an Open311 service
    assert client.get(f"{BASE}/requests.json").json() == []


def test_token_create_makes_a_reporter_key(units):
    out = StringIO()
    call_command("token", "create", "--name", "App", "--role", "reporter", "--scope", D, stdout=out)
    token_id, clear = out.getvalue().split()
    assert clear.startswith("fk_") and token_id.isdigit()
    assert Stage.REPORTED  # the reporter's cases start reported


def test_a_malformed_address_id_is_a_400_not_a_refusal(client, api_key, units):
    response = _post(client, api_key=api_key, service_code="rubbish", address_id="nonsense")
    assert response.status_code == 400


def test_listing_requests_takes_fixed_queries(
    client, api_key, units, django_assert_max_num_queries
):
    for grid in (G111, G211, G111, G211, G111):
        _post(client, api_key=api_key, service_code="rubbish", address_id=grid)
    with django_assert_max_num_queries(3):
        listed = client.get(f"{BASE}/requests.json").json()
    assert len(listed) == 5


def test_requests_come_in_pages_newest_first(client, api_key, units):
    ids = [
        _post(client, api_key=api_key, service_code="rubbish", address_id=G111).json()[0][
            "service_request_id"
        ]
        for _ in range(5)
    ]
    newest = ids[::-1]

    def page(**params):
        answer = client.get(f"{BASE}/requests.json", params)
        assert answer.status_code == 200
        return [r["service_request_id"] for r in answer.json()]

    assert page() == newest
    assert page(page_size=2) == newest[:2]
    assert page(page_size=2, page=2) == newest[2:4]
    assert page(page_size=2, page=3) == newest[4:]
    assert page(page_size=2, page=4) == []


@pytest.mark.parametrize(
    "params", [{"page_size": "0"}, {"page_size": "1001"}, {"page_size": "x"}, {"page": "0"}]
)
def test_a_page_out_of_range_is_a_400(client, district, params):
    answer = client.get(f"{BASE}/requests.json", params)
    assert answer.status_code == 400
    assert answer.json()[0]["code"] == 400


def test_an_answer_holds_fifty_requests_unless_asked_for_more(client, report, units):
    for n in range(OPEN311_PAGE_SIZE + 1):
        report(kind="rubbish", title=f"垃圾{n}", now=timezone.now() - dt.timedelta(minutes=n))
    assert len(client.get(f"{BASE}/requests.json").json()) == OPEN311_PAGE_SIZE
    more = client.get(f"{BASE}/requests.json", {"page_size": OPEN311_PAGE_SIZE + 1}).json()
    assert len(more) == OPEN311_PAGE_SIZE + 1
