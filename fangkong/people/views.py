from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_POST

from fangkong.accounts.permissions import can
from fangkong.accounts.services import require_permission
from fangkong.core.http import client_ip
from fangkong.geo.selectors import ancestors, get_node

from .forms import ResidentFilterForm, UnmaskForm
from .selectors import ResidentFilter, get_resident, list_residents
from .services import unmask_resident


@login_required
def resident_list(request: HttpRequest) -> HttpResponse:
    require_permission(
        actor=request.user, action="view_residents", object_type="residents", ip=client_ip(request)
    )
    form = ResidentFilterForm(request.GET or None)
    filters = ResidentFilter()
    if form.is_valid():
        d = form.cleaned_data
        filters = ResidentFilter(
            area_code=d["area"] or None,
            q=d["q"] or None,
            tag=d["tag"] or None,
            status=d["status"] or None,
            residency=d["residency"] or None,
            min_age=d["min_age"],
            max_age=d["max_age"],
        )
    qs = (
        list_residents(user=request.user, filters=filters)
        if form.is_valid() or not request.GET
        else None
    )
    page = (
        Paginator(qs.prefetch_related("tags"), 50).get_page(request.GET.get("page"))
        if qs is not None
        else None
    )
    area = get_node(filters.area_code) if filters.area_code else None
    params = request.GET.copy()
    params.pop("page", None)
    context = {
        "form": form,
        "page": page,
        "area": area,
        "query": params.urlencode(),
        "breadcrumbs": ancestors(filters.area_code) if filters.area_code else [],
        "can_export": can(request.user, "export_residents"),
        "can_import": can(request.user, "import_residents"),
    }
    template = (
        "people/partials/resident_table.html"
        if request.headers.get("HX-Request")
        else "people/resident_list.html"
    )
    return render(request, template, context)


@login_required
def resident_detail(request: HttpRequest, pk: int) -> HttpResponse:
    require_permission(
        actor=request.user,
        action="view_residents",
        object_type="resident",
        object_id=pk,
        ip=client_ip(request),
    )
    resident = get_resident(user=request.user, pk=pk)
    if resident is None:
        raise Http404
    context = {
        "resident": resident,
        "breadcrumbs": ancestors(resident.household.code) if resident.household else [],
        "can_unmask": can(request.user, "unmask_personal_data", resident.area_code),
        "form": UnmaskForm(),
    }
    return render(request, "people/resident_detail.html", context)


@login_required
@require_POST
def resident_unmask(request: HttpRequest, pk: int) -> HttpResponse:
    """Show the clear numbers once, in a fragment that is not cached; audited."""
    resident = get_resident(user=request.user, pk=pk)
    if resident is None:
        raise Http404
    form = UnmaskForm(request.POST)
    if not form.is_valid():
        return render(
            request,
            "people/partials/unmask_form.html",
            {"resident": resident, "form": form},
            status=422,
        )
    clear = unmask_resident(
        resident=resident,
        user=request.user,
        reason=form.cleaned_data["reason"],
        ip=client_ip(request),
    )
    response = render(
        request, "people/partials/unmasked.html", {"resident": resident, "clear": clear}
    )
    response["Cache-Control"] = "no-store"
    return response
