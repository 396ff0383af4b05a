"""Open311 under generated input, as a fuzzer would send it: any text in any parameter of
`POST requests.json` and the `GET` filters is answered by a 2xx or by the specification's
error list with a 4xx — never a server error, never a case half-written."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from devtools.fixtures import G111, D
from fangkong.accounts.models import Role
from fangkong.accounts.services import create_device_token
from fangkong.governance.locate import forget_shapes
from fangkong.governance.models import GovCase

BASE = "/open311/v2"
# Text a fuzzer favours: empty, huge, control and surrogate-free unicode, numbers as text,
# numbers out of range, SQL and markup fragments, and the valid values themselves.
ANY_TEXT = st.one_of(
    st.text(max_size=40),
    st.sampled_from(
        [
            "",
            " ",
            "0",
            "-1",
            "1e309",
            "nan",
            "inf",
            "99999999999999999999",
            "' OR 1=1 --",
            "<script>",
            "\x00",
            "４１０１７２",
            G111,
            D,
            "rubbish",
            "manhole-cover",
            "open",
            "closed",
            "2022-06-13T03:04:00+08:00",
            "2022-13-45T99:99:99Z",
            "x" * 5000,
        ]
    ),
)
POST_FIELDS = [
    "service_code",
    "lat",
    "long",
    "address_string",
    "address_id",
    "description",
    "email",
    "first_name",
    "last_name",
    "phone",
    "device_id",
    "account_id",
    "media_url",
    "attribute[depth]",
    "jurisdiction_id",
]
GET_FIELDS = [
    "service_request_id",
    "service_code",
    "start_date",
    "end_date",
    "status",
    "jurisdiction_id",
    "page",
    "page_size",
]
FUZZ = settings(
    max_examples=60,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.fixture
def api_key(units):
    forget_shapes()
    _token, clear = create_device_token(
        name="市民App", role=Role.REPORTER, scope_code=D, created_by=None
    )
    yield clear
    forget_shapes()


def _answered_in_shape(response) -> None:
    assert response.status_code < 500, response.content[:300]
    body = response.json()
    if response.status_code >= 400:
        assert isinstance(body, list) and body, body
        assert all(set(e) == {"code", "description"} for e in body)
        assert body[0]["code"] == response.status_code


@FUZZ
@given(data=st.dictionaries(st.sampled_from(POST_FIELDS), ANY_TEXT, max_size=8))
def test_any_post_is_answered_in_the_specifications_shape(client, api_key, data):
    before = GovCase.objects.count()
    response = client.post(f"{BASE}/requests.json", {**data, "api_key": api_key})
    _answered_in_shape(response)
    made = GovCase.objects.count() - before
    assert made == (1 if response.status_code in (200, 201) else 0)


@FUZZ
@given(params=st.dictionaries(st.sampled_from(GET_FIELDS), ANY_TEXT, max_size=5))
def test_any_query_is_answered_in_the_specifications_shape(client, api_key, params):
    _answered_in_shape(client.get(f"{BASE}/requests.json", params))


@FUZZ
@given(code=ANY_TEXT)
def test_any_path_value_is_answered_in_the_specifications_shape(client, units, code):
    from urllib.parse import quote

    safe = quote(code.replace("/", ""), safe="") or "x"
    for path in (f"{BASE}/services/{safe}.json", f"{BASE}/requests/{safe}.json"):
        response = client.get(path)
        assert response.status_code < 500, (path, response.content[:300])
