"""What FANGKONG_ENV=production refuses in its keys, tested on the settings' own function."""

import base64

import pytest

from fangkong.settings import DEMO_FIELD_KEY, production_key_problems

FIELD = base64.b64encode(b"f" * 32).decode()
INDEX = base64.b64encode(b"i" * 32).decode()
SECRET = "s" * 50


def problems(**keys) -> list[str]:
    chosen = {"secret_key": SECRET, "field_key": FIELD, "blind_index_key": INDEX}
    chosen.update(keys)
    chosen.setdefault("signing_key", chosen["secret_key"])
    return production_key_problems(**chosen)


def test_real_distinct_long_keys_pass():
    assert problems() == []


@pytest.mark.parametrize(
    ("keys", "named"),
    [
        ({"secret_key": "short-secret"}, "FANGKONG_SECRET_KEY"),
        ({"signing_key": "x" * 31}, "FANGKONG_SIGNING_KEY"),
        ({"field_key": base64.b64encode(b"f" * 16).decode()}, "FANGKONG_FIELD_KEY"),
        ({"blind_index_key": base64.b64encode(b"i" * 31).decode()}, "FANGKONG_BLIND_INDEX_KEY"),
        ({"blind_index_key": "not base64!"}, "FANGKONG_BLIND_INDEX_KEY"),
    ],
)
def test_keys_shorter_than_32_bytes_are_refused(keys, named):
    (problem,) = problems(**keys)
    assert "shorter than 32 bytes" in problem and named in problem


def test_one_key_for_encryption_and_the_blind_index_is_refused():
    (problem,) = problems(blind_index_key=FIELD)
    assert "FANGKONG_FIELD_KEY equal to FANGKONG_BLIND_INDEX_KEY" in problem


def test_demo_keys_are_refused_by_name():
    (problem,) = problems(field_key=DEMO_FIELD_KEY)
    assert "demo" in problem and "FANGKONG_FIELD_KEY" in problem
