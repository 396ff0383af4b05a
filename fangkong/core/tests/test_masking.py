"""Masked forms: numbers inside free text, guardians as typed."""

import pytest

from fangkong.core.masking import mask_guardian, mask_numbers_in_text


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("母亲 13812345678", "母亲 138****5678"),
        ("身份证410172199001011234号", "身份证410***********1234号"),
        ("旧证 41017290010112X", "旧证 41017290010112X"),  # not a valid shape: 14 digits + X
        ("15位 410172900101123", "15位 410********1123"),
        ("电话 0371-12345678", "电话 037*****5678"),
        ("call +86 138 1234 5678 now", "call 138****5678 now"),
        ("订单 12345678901234567890", "订单 12345678901234567890"),  # too long to be either
        ("楼栋 3 单元 2", "楼栋 3 单元 2"),
        ("", ""),
    ],
)
def test_numbers_in_free_text_are_masked(text, masked):
    assert mask_numbers_in_text(text) == masked


def test_a_guardian_is_masked_as_names_and_numbers():
    assert mask_guardian("李四 13812345678") == "李* 138****5678"
    assert mask_guardian("王小明（父）/13912345678") == "王*明（父）/139****5678"
    masked = mask_guardian("孙女 张三丰，电话 139 1234 5678")
    assert "张三丰" not in masked and "1234" not in masked.replace("5678", "")
