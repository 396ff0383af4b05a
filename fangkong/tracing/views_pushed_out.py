"""The pushed-out list: contacts who live in other districts, by district, to send them on."""

from __future__ import annotations

import csv
from itertools import groupby

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _g
from django.utils.translation import pgettext

from fangkong.core.http import page_of

from . import selectors


@login_required
def pushed_out(request: HttpRequest) -> HttpResponse:
    contacts = selectors.pushed_out_contacts(request.user)
    if request.GET.get("format") == "csv":
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="pushed-out.csv"'
        out = csv.writer(response)
        out.writerow(
            [
                _g("Destination"),
                pgettext("person", "Name"),
                _g("Document"),
                _g("Tier"),
                _g("Last exposure"),
                pgettext("epidemic", "Case"),
            ]
        )
        for c in contacts.iterator(chunk_size=2000):
            out.writerow(
                [
                    c.destination,
                    c.person_name,
                    c.document_masked,
                    c.get_tier_display(),
                    c.last_exposure.isoformat(),
                    c.case.document_masked,
                ]
            )
        return response
    page = page_of(request, contacts)
    groups = [(d, list(rows)) for d, rows in groupby(page, key=lambda c: c.destination)]
    return render(
        request,
        "tracing/pushed_out.html",
        {"groups": groups, "page": page, "title": _g("Pushed out")},
    )
