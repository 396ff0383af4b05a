"""Form widgets for the browser's own date pickers.

A date or datetime-local input accepts only ISO values (2026-12-06, 2026-12-06T08:30). Django
formats a widget's value with the language's first input format, which in zh-Hans is
2026/12/06: the picker showed it as empty, and a form that started with today's date was sent
without one.
"""

from __future__ import annotations

from django import forms

ISO_DATE = "%Y-%m-%d"
ISO_DATETIME_LOCAL = "%Y-%m-%dT%H:%M"


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs: dict | None = None) -> None:
        super().__init__(attrs, format=ISO_DATE)


class DateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, attrs: dict | None = None) -> None:
        super().__init__(attrs, format=ISO_DATETIME_LOCAL)
