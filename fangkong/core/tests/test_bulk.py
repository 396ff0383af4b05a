"""The plain-SQL helpers of the hot paths, on the database under test."""

import pytest
from django.db import connection

from fangkong.core.db import bulk

AWKWARD = [
    "plain",
    "with,comma",
    'with "quotes"',
    "back\\slash",
    "\\",
    '"',
    "{brace}",
    "NULL",
    " spaced ",
    "中文",
    "'single'",
    "",
]


def _members(rows: list, values: list, kind: str) -> list:
    where, params = bulk.member_of("column1", values, kind)
    table = ", ".join(["(%s)"] * len(rows))
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT column1 FROM (VALUES {table}) AS t WHERE {where}", [*rows, *params])  # noqa: S608
        return sorted(row[0] for row in cursor.fetchall())


@pytest.mark.django_db
def test_member_of_keeps_every_character_of_text():
    rows = [*AWKWARD, "other", "with", "comma"]
    assert _members(rows, AWKWARD, "varchar") == sorted(AWKWARD)
    assert _members(rows, ["with,comma"], "varchar") == ["with,comma"]


@pytest.mark.django_db
def test_member_of_integers_and_the_empty_list():
    assert _members([1, 2, 3, 10], [3, 1, 10], "bigint") == [1, 3, 10]
    assert _members([1, 2], [], "bigint") == []
    assert _members(["a"], [], "varchar") == []


def test_array_literal_refuses_what_is_not_an_integer():
    assert bulk.array_literal([1, 22], "bigint") == "{1,22}"
    assert bulk.array_literal(['a"b', "c\\d"], "varchar") == '{"a\\"b","c\\\\d"}'
    with pytest.raises(ValueError):
        bulk.array_literal(["1); DROP TABLE x"], "bigint")
