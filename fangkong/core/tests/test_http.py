"""The HTTP edge: the client's address behind proxies, refusals, rule errors on forms."""

import pytest
from django import forms
from django.test import RequestFactory

from fangkong.core.errors import PermissionDeniedError, RuleViolation
from fangkong.core.http import add_rule_error, client_ip, require_json, rule_message


def request(remote: str, forwarded: str | None = None):
    extra = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().get("/", **extra)


def test_without_trusted_proxies_the_forwarded_header_is_ignored(settings):
    settings.TRUSTED_PROXIES = ""
    assert client_ip(request("203.0.113.9", "198.51.100.1")) == "203.0.113.9"


@pytest.mark.parametrize(
    ("remote", "forwarded", "client"),
    [
        # nginx on the same host appends the address it saw
        ("127.0.0.1", "198.51.100.7", "198.51.100.7"),
        # two proxies of ours: the first address no proxy of ours holds is the client
        ("10.0.0.2", "198.51.100.7, 10.0.3.4", "198.51.100.7"),
        # a client forging the header cannot pick its address: we read right to left
        ("127.0.0.1", "1.2.3.4, 198.51.100.7", "198.51.100.7"),
        # a request that did not come through a proxy of ours: its header is anyone's
        ("203.0.113.9", "198.51.100.7", "203.0.113.9"),
        # a malformed hop: the last address a trusted proxy vouched for
        ("127.0.0.1", "198.51.100.7, not-an-ip", "127.0.0.1"),
        # nothing forwarded at all
        ("127.0.0.1", None, "127.0.0.1"),
        ("::1", "2001:db8::5", "2001:db8::5"),
    ],
)
def test_behind_trusted_proxies_the_client_is_read_right_to_left(
    settings, remote, forwarded, client
):
    settings.TRUSTED_PROXIES = "127.0.0.1, ::1, 10.0.0.0/16"
    assert client_ip(request(remote, forwarded)) == client


def test_a_rule_error_lands_under_its_field_or_above_the_form():
    class Form(forms.Form):
        areas = forms.CharField(required=False)

    form = Form({})
    form.is_valid()
    add_rule_error(
        form,
        RuleViolation(field="scope_codes", code="x", message="bad area"),
        fields={"scope_codes": "areas"},
    )
    add_rule_error(form, RuleViolation(field="elsewhere", code="x", message="bad request"))
    assert form.errors == {"areas": ["bad area"], "__all__": ["bad request"]}
    with pytest.raises(PermissionDeniedError):
        add_rule_error(form, PermissionDeniedError(field="areas", code="forbidden", message="no"))


@pytest.mark.parametrize(
    ("content_type", "accepted"),
    [
        ("application/json", True),
        ("application/json; charset=utf-8", True),
        ("application/fhir+json", True),
        ("text/plain", False),
        ("application/x-www-form-urlencoded", False),
    ],
)
def test_only_bodies_that_say_they_are_json_are_parsed(content_type, accepted):
    req = RequestFactory().post("/", data="{}", content_type=content_type)
    if accepted:
        require_json(req)
    else:
        with pytest.raises(RuleViolation) as refused:
            require_json(req)
        assert refused.value.status_code == 415


def test_a_rule_message_names_the_line_not_the_field():
    from django.utils import translation

    over = RuleViolation(field="progress[1].committed", code="over", message="超过需求。")
    labels = {"progress[0]": "大米", "progress[1]": "食用油"}
    with translation.override("zh-hans"):
        assert rule_message(over, labels=labels) == "食用油：超过需求。"
    with translation.override("en"):
        assert rule_message(over, labels=labels) == "食用油: 超过需求。"
    # A field that points at no line is a code to the user: the rule's sentence alone.
    full = RuleViolation(field="shift", code="full", message="班次已满。")
    assert rule_message(full, labels=labels) == rule_message(full) == "班次已满。"
