"""Record keys in URLs: a key out of range or in other digits matches nothing (404)."""

from __future__ import annotations

import pytest
from django.urls import get_resolver

from fangkong.core.keys import MAX_KEY, KeyConverter, parse_key


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("1", 1),
        ("0042", 42),
        (str(MAX_KEY), MAX_KEY),
        ("0", None),
        (str(MAX_KEY + 1), None),
        ("", None),
        ("-1", None),
        ("+1", None),
        ("²", None),
        ("٣", None),
        ("1 ", None),
    ],
)
def test_a_key_is_a_positive_64_bit_number_in_ascii_digits(text, key):
    assert parse_key(text) == key


def test_every_route_takes_its_keys_through_the_key_converter():
    def walk(patterns, prefix=""):
        for p in patterns:
            if hasattr(p, "url_patterns"):
                yield from walk(p.url_patterns, prefix + str(p.pattern))
            else:
                yield prefix + str(p.pattern), getattr(p.pattern, "converters", {})

    routes = list(walk(get_resolver().url_patterns))
    plain_ints = [
        r for r, conv in routes if any(type(c).__name__ == "IntConverter" for c in conv.values())
    ]
    assert plain_ints == []
    assert any(isinstance(c, KeyConverter) for _r, conv in routes for c in conv.values())


@pytest.mark.django_db
def test_a_key_too_big_for_the_database_is_a_404(client, commander):
    client.force_login(commander)
    for url in (
        f"/governance/{MAX_KEY + 1}/petition/register/",
        f"/open311/v2/requests/{MAX_KEY + 1}.json",
        f"/testing/rounds/{MAX_KEY + 1}/",
        f"/governance/{MAX_KEY}/",
    ):
        assert client.get(url).status_code == 404, url
