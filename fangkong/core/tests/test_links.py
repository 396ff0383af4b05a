"""Signed links read the same on every render and open only their own kind of page."""

from __future__ import annotations

from unittest import mock

from django.core import signing

from fangkong.core.links import link_key, link_token


def test_a_link_is_the_same_a_day_later():
    # The clock Django's signer reads: a timestamped value would differ between these two.
    with mock.patch("django.core.signing.time.time", return_value=1655060640.0):
        first = link_token(4002, salt="a")
        stamped = signing.dumps(4002, salt="a")
    with mock.patch("django.core.signing.time.time", return_value=1655147041.0):
        assert link_token(4002, salt="a") == first
        assert signing.dumps(4002, salt="a") != stamped
    assert link_key(first, salt="a") == 4002


def test_a_link_of_another_kind_or_tampered_does_not_open():
    token = link_token(4002, salt="a")
    assert link_key(token, salt="b") is None
    assert link_key(token[:-3] + "xyz", salt="a") is None
    assert link_key("", salt="a") is None
    assert (
        link_key(link_token(4003, salt="a").split(":")[0] + ":" + token.split(":")[1], salt="a")
        is None
    )


def test_a_timestamped_link_printed_earlier_still_opens():
    assert link_key(signing.dumps(4002, salt="a"), salt="a") == 4002
    assert link_key(signing.dumps("4002", salt="a"), salt="a") is None
