"""Daily follow-up pages: the day's line lists per grid, the grid worker's entry, and the
self-report page opened from the code on the person's notice (no login)."""

from __future__ import annotations

import datetime as dt
from itertools import groupby
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _g
from django.views.decorators.http import require_POST

from fangkong.core.areas import AreaCode
from fangkong.core.errors import RuleViolation
from fangkong.geo.selectors import area_labels

from . import selectors
from .services.followup import order_for_token, record_report

LISTS = ("not_reported", "symptomatic", "due_test", "due_release")


def _grid(order) -> str:
    code = AreaCode(order.area_code)
    return code.grid if code.depth >= 4 else code


@login_required
def follow_up(request: HttpRequest) -> HttpResponse:
    """The day's four line lists, each one's people counted per grid; a list's people are
    listed when they are few or a grid is chosen (`?area=`), the first of them then: 100,000
    people under orders never reach the page at once."""
    try:
        day = dt.date.fromisoformat(request.GET.get("day", ""))
    except ValueError:
        day = timezone.localdate()
    area = request.GET.get("area", "").strip()
    fever = settings.FANGKONG_FEVER_CELSIUS
    counts = selectors.follow_up_counts(request.user, day=day, fever=fever, area=area)
    totals = {name: sum(counts[name].values()) for name in LISTS}
    listed = tuple(
        n for n in LISTS if totals[n] and (area or totals[n] <= selectors.FOLLOW_UP_ROWS)
    )
    lists = selectors.follow_up_lists(request.user, day=day, fever=fever, area=area, only=listed)
    sections = [
        {
            "name": name,
            "total": totals[name],
            "grids": sorted(counts[name].items()),
            "groups": [(grid, list(rows)) for grid, rows in groupby(lists[name], key=_grid)],
            "shown": len(lists[name]),
            "more": len(lists[name]) < totals[name],
        }
        for name in LISTS
    ]
    names = area_labels([area, *(grid for name in LISTS for grid in counts[name])])
    return render(
        request,
        "tracing/follow_up.html",
        {"day": day, "area": area, "sections": sections, "names": names},
    )


@login_required
@require_POST
def follow_up_record(request: HttpRequest, pk: int) -> HttpResponse:
    order = selectors.order_for(request.user, pk)
    day = request.POST.get("day", "")
    try:
        record_report(
            order=order,
            day=dt.date.fromisoformat(day),
            temperature=request.POST.get("temperature", ""),
            symptoms=request.POST.get("symptoms", ""),
            user=request.user,
        )
    except ValueError:
        messages.error(request, _g("Check the day."))
    except RuleViolation as exc:
        messages.error(request, str(exc.message))
    else:
        messages.info(request, _g("Report recorded."))
    query = {"day": day, "area": request.POST.get("area", "")}
    return redirect(
        reverse("tracing:follow_up") + "?" + urlencode({k: v for k, v in query.items() if v})
    )


def self_report(request: HttpRequest, token: str) -> HttpResponse:
    """The person's own page: today's temperature and symptoms, once a day."""
    order = order_for_token(token)
    done, error = False, ""
    if request.method == "POST":
        try:
            record_report(
                order=order,
                day=timezone.localdate(),
                temperature=request.POST.get("temperature", ""),
                symptoms=request.POST.get("symptoms", ""),
            )
            done = True
        except RuleViolation as exc:
            error = str(exc.message)
    return render(
        request,
        "tracing/self_report.html",
        {"order": order, "done": done, "error": error, "today": timezone.localdate()},
    )
