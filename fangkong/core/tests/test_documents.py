import datetime as dt

import pytest
from stdnum.cn import ric

from fangkong.core.documents import (
    DocumentType,
    check_character,
    normalise,
    validate_document,
    validate_resident_id,
)
from fangkong.core.errors import RuleViolation


def make_id(region="410172", birth="19900101", seq="123"):
    body = f"{region}{birth}{seq}"
    return body + check_character(body)


def test_the_standard_example_number_is_valid():
    # The worked example of GB 11643-1999 and a check digit computed by hand.
    assert validate_resident_id("11010519491231002X").birth_date == dt.date(1949, 12, 31)
    assert check_character("11010519491231002") == "X"
    with pytest.raises(RuleViolation):
        validate_resident_id("110105194912310021")


def test_valid_resident_id_gives_birth_date_and_sex():
    doc = validate_resident_id(make_id(seq="123"))
    assert doc.birth_date == dt.date(1990, 1, 1)
    assert doc.sex == "M"  # 17th digit odd
    assert validate_resident_id(make_id(seq="124")).sex == "F"


def test_lowercase_x_spaces_and_full_width_digits_are_normalised():
    number = next(
        make_id(seq=f"{s:03d}") for s in range(1000) if make_id(seq=f"{s:03d}").endswith("X")
    )
    messy = " ".join(number[:6]) + number[6:-1] + "x"
    full_width = "".join(chr(ord(c) + 0xFEE0) if c.isdigit() else c for c in messy)
    assert validate_resident_id(full_width).number == number
    assert normalise("４１０ １７２") == "410172"


@pytest.mark.parametrize("region", ["410102", "410172", "410199", "650000", "810000"])
def test_county_part_is_not_looked_up(region):
    # 410102 (Zhongyuan) for older High-tech Zone residents and 410172 itself are real.
    assert validate_resident_id(make_id(region=region, birth="19750505")).number.startswith(region)


@pytest.mark.parametrize(("region", "birth"), [("410172", "19900101"), ("410102", "19700101")])
def test_real_numbers_that_python_stdnum_rejects_are_accepted(region, birth):
    number = make_id(region=region, birth=birth)
    # stdnum fails on the zone's own code (a KeyError from its table) and on Zhongyuan
    # numbers issued before 1983; both are numbers real residents carry.
    with pytest.raises((ric.ValidationError, KeyError)):
        ric.validate(number)
    assert validate_resident_id(number).number == number


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("41017219900101123", "length"),
        ("4101721990010112A4", "format"),
        (make_id(region="990172"), "province"),
        (make_id(birth="19900230"), "birth_date"),
        (make_id(birth="20990101"), "birth_date"),
        (make_id(birth="18800101"), "birth_date"),
        (make_id()[:-1] + ("0" if make_id()[-1] != "0" else "1"), "check_digit"),
    ],
)
def test_bad_resident_ids_name_the_rule(raw, code):
    with pytest.raises(RuleViolation) as exc:
        validate_resident_id(raw, field="身份证号码")
    assert exc.value.code == code
    assert exc.value.field == "身份证号码"
    assert exc.value.as_dict()["message"]


def test_first_generation_number_is_converted_and_flagged():
    doc = validate_resident_id("410102750505123")
    assert doc.converted_from_15
    assert doc.number == make_id(region="410102", birth="19750505", seq="123")


@pytest.mark.parametrize("raw", [4.10172199001011e17, 410172199001011000, "4.10172199001011E+17"])
def test_excel_number_is_refused_with_explanation(raw):
    with pytest.raises(RuleViolation) as exc:
        validate_resident_id(raw)
    assert exc.value.code == "excel_number"
    assert "Excel" in exc.value.as_dict()["message"]


def test_messages_are_translated_to_chinese():
    from django.utils import translation

    with translation.override("zh-hans"), pytest.raises(RuleViolation) as exc:
        validate_resident_id("123")
    assert "18" in exc.value.as_dict()["message"]
    assert any("\u4e00" <= ch <= "\u9fff" for ch in exc.value.as_dict()["message"])


@pytest.mark.parametrize(
    ("kind", "good", "bad"),
    [
        (DocumentType.PASSPORT, "E12345678", "E1"),
        (DocumentType.HK_MACAO_PERMIT, "H12345678", "X12345678"),
        (DocumentType.TAIWAN_PERMIT, "12345678", "1234567"),
        (DocumentType.FOREIGN_PR_ID, "USA123456789012", "US1234567890"),
    ],
)
def test_other_documents(kind, good, bad):
    assert validate_document(kind, good.lower()).number == good
    with pytest.raises(RuleViolation) as exc:
        validate_document(kind, bad)
    assert exc.value.code == "format"


def test_new_foreign_permanent_residence_id_uses_the_check_digit():
    body = "93315619900101123"
    good = body + check_character(body)
    assert validate_document(DocumentType.FOREIGN_PR_ID, good).number == good
    bad = good[:-1] + ("1" if good[-1] != "1" else "2")
    with pytest.raises(RuleViolation) as exc:
        validate_document(DocumentType.FOREIGN_PR_ID, bad)
    assert exc.value.code == "check_digit"


def test_unknown_document_type():
    with pytest.raises(RuleViolation) as exc:
        validate_document("library_card", "123")
    assert exc.value.field == "document_type"
