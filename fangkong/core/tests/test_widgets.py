"""Date pickers get ISO values in every language: zh-Hans formats dates as 2026/12/06, which a
browser's date input treats as empty (the daily bulletin could not be generated)."""

import datetime as dt
import importlib
import inspect
import pkgutil

import pytest
from django import forms
from django.utils import translation

import fangkong


def _form_classes():
    for module in pkgutil.walk_packages(fangkong.__path__, "fangkong."):
        leaf = module.name.rsplit(".", 1)[-1]
        if ".tests" in module.name or not leaf.startswith("forms"):
            continue
        for _, cls in inspect.getmembers(importlib.import_module(module.name), inspect.isclass):
            if issubclass(cls, forms.BaseForm) and cls.__module__ == module.name:
                yield cls


PICKERS = sorted(
    {
        (cls.__module__, cls.__name__, name)
        for cls in _form_classes()
        for name, field in cls.base_fields.items()
        if getattr(field.widget, "input_type", "") in ("date", "datetime-local")
    }
)


def test_the_forms_have_date_pickers_to_check():
    assert len(PICKERS) >= 10


@pytest.mark.parametrize(("module", "form", "field"), PICKERS)
def test_every_date_picker_renders_an_iso_value_in_chinese(module, form, field):
    cls = getattr(importlib.import_module(module), form)
    widget = cls.base_fields[field].widget
    moment = dt.datetime(2026, 12, 6, 8, 30)
    value = moment.date() if widget.input_type == "date" else moment
    with translation.override("zh-hans"):
        html = widget.render(field, value)
    expected = "2026-12-06" if widget.input_type == "date" else "2026-12-06T08:30"
    assert f'value="{expected}"' in html
