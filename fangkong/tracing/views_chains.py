"""Chains page: clusters of linked cases, one row each; a cluster's graph on demand (JSON)."""

from __future__ import annotations

import json

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _g
from django.utils.translation import pgettext

from fangkong.core.http import page_of

from . import selectors
from .chains import cluster_graph, cluster_overview


@login_required
def chains(request: HttpRequest) -> HttpResponse:
    cases = selectors.cases_for(request.user)
    categories = [pgettext("epidemic", "Case"), _g("Close contact"), _g("Other contact")]
    return render(
        request,
        "tracing/chains.html",
        {
            "clusters": page_of(request, cluster_overview(cases)),
            "categories": json.dumps(categories, ensure_ascii=False),
        },
    )


@login_required
def chain_data(request: HttpRequest, cluster: int) -> JsonResponse:
    return JsonResponse(cluster_graph(selectors.cases_for(request.user), cluster))
