"""A NUL character in a query string, a form field or a JSON string is refused at the edge
with a 4xx naming the field, in the caller's error shape — never a database error (500)."""

from __future__ import annotations

import json

import pytest

from fangkong.core.models import AuditEntry
from fangkong.core.text_input import check_json_text

pytestmark = pytest.mark.django_db


def test_a_page_filter_with_a_nul_is_a_400_naming_the_field(client, commander):
    client.force_login(commander)
    answer = client.get("/residents/", {"q": "王\x00芳"}, headers={"Accept": "application/json"})
    assert answer.status_code == 422
    (error,) = answer.json()["errors"]
    assert (error["field"], error["code"]) == ("q", "nul_character")
    page = client.get("/residents/", {"q": "王\x00芳"})
    assert page.status_code == 422 and "空字符" in page.content.decode()


def test_an_api_query_or_json_string_with_a_nul_is_a_400_in_the_apis_shape(client, commander):
    client.force_login(commander)
    answer = client.get("/api/v1/people/residents", {"q": "\x00"})
    assert answer.status_code == 422
    assert answer.json()["errors"][0]["code"] == "nul_character"
    body = json.dumps({"reason": "核查\x00"})
    assert "\\u0000" in body
    answer = client.post("/api/v1/people/residents/1/unmask", body, content_type="application/json")
    assert answer.status_code == 422
    (error,) = answer.json()["errors"]
    assert (error["field"], error["code"]) == ("reason", "nul_character")
    assert not AuditEntry.objects.filter(action="unmask").exists()


def test_open311_answers_a_nul_in_its_own_error_shape(client, district):
    answer = client.get("/open311/v2/requests.json", {"status": "open\x00"})
    assert answer.status_code == 400
    (error,) = answer.json()
    assert error["code"] == 400 and error["description"].startswith("status:")


def test_an_escaped_backslash_is_not_a_nul():
    check_json_text(b'{"a": "\\\\u0000"}', {"a": "\\u0000"})  # the text backslash-u-0000
    with pytest.raises(Exception) as refused:
        check_json_text(b'{"a": ["x", "\\u0000"]}', {"a": ["x", "\x00"]})
    assert refused.value.field == "a.1"


def test_an_answer_quoting_a_nul_is_stored_and_replayed_the_same():
    from fangkong.core.services import run_idempotent

    def write():
        return 200, {"rows": [{"message": "无法识别的结果 a\x00b"}]}

    first = run_idempotent(key="k", scope="s", payload={"a": 1}, write=write)
    again = run_idempotent(key="k", scope="s", payload={"a": 1}, write=write)
    assert first[1] == again[1] == {"rows": [{"message": "无法识别的结果 a\ufffdb"}]}
    assert (first[2], again[2]) == (False, True)
