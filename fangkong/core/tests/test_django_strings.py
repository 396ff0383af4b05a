"""Django's own strings that its zh-Hans catalogue lacks read in Chinese all the same."""

import pytest
from django.db.models.fields import BLANK_CHOICE_LABEL
from django.utils import translation
from django.utils.translation import gettext

from fangkong.accounts.models import User
from fangkong.core.django_strings import MISSING_IN_DJANGO_ZH_HANS


@pytest.mark.parametrize("msgid", MISSING_IN_DJANGO_ZH_HANS)
def test_each_string_django_leaves_untranslated_is_translated_by_us(msgid):
    with translation.override("zh-hans"):
        assert gettext(msgid) != msgid


def test_the_empty_choice_of_a_model_select_is_chinese():
    with translation.override("zh-hans"):
        assert str(BLANK_CHOICE_LABEL) == "- 请选择 -"
        choices = list(User._meta.get_field("role").get_choices(include_blank=True))
        assert str(choices[0][1]) == "- 请选择 -"
