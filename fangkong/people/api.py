import datetime as dt

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext_lazy as _
from ninja import Field, Query, Router, Schema
from ninja.pagination import paginate

from fangkong.accounts.services import require_permission
from fangkong.core.errors import RuleViolation
from fangkong.core.http import BoundedPages, RecordId, client_ip

from .selectors import ResidentFilter, get_resident, list_residents
from .services import unmask_resident

router = Router(tags=["residents"])


class ResidentOut(Schema):
    id: int
    name: str
    sex: str
    birth_date: dt.date | None
    document_type: str
    document_masked: str
    phone_masked: str
    area_code: str
    household_code: str | None
    residency: str
    status: str
    needs_follow_up: bool

    @staticmethod
    def resolve_household_code(obj) -> str | None:
        return obj.household.code if obj.household_id else None


class ResidentDetailOut(ResidentOut):
    tags: list[str]

    @staticmethod
    def resolve_tags(obj) -> list[str]:
        return [t.tag for t in obj.tags.all()]


class FilterIn(Schema):
    area: str | None = None
    tag: str | None = None
    status: str | None = None
    residency: str | None = None
    # The page's filter form allows the same range; an age outside it cannot be a person's.
    min_age: int | None = Field(None, ge=0, le=130)
    max_age: int | None = Field(None, ge=0, le=130)
    q: str | None = None


class UnmaskIn(Schema):
    reason: str


class UnmaskOut(Schema):
    document_number: str
    phone: str


@router.get("/residents", response=list[ResidentOut])
@paginate(BoundedPages, page_size=50)
def residents(request: HttpRequest, filters: Query[FilterIn]):
    """Residents in the caller's scope, numbers masked."""
    require_permission(actor=request.actor, action="view_residents", object_type="residents")
    f = ResidentFilter(
        area_code=filters.area,
        tag=filters.tag,
        status=filters.status,
        residency=filters.residency,
        min_age=filters.min_age,
        max_age=filters.max_age,
        q=filters.q,
    )
    return list_residents(user=request.actor, filters=f)


def _resident(request, pk: int):
    require_permission(
        actor=request.actor, action="view_residents", object_type="resident", object_id=pk
    )
    resident = get_resident(user=request.actor, pk=pk)
    if resident is None:
        raise RuleViolation(
            field="id",
            code="not_found",
            message=_("No such resident in your area."),
            status_code=404,
        )
    return resident


@router.get("/residents/{pk}", response=ResidentDetailOut)
def resident(request: HttpRequest, pk: RecordId):
    return _resident(request, pk)


@router.post("/residents/{pk}/unmask", response=UnmaskOut)
def unmask(request: HttpRequest, pk: RecordId, body: UnmaskIn, response: HttpResponse):
    """The clear document and phone numbers; allowed roles only, and always audited."""
    clear = unmask_resident(
        resident=_resident(request, pk),
        user=request.actor,
        reason=body.reason,
        ip=client_ip(request),
    )
    # Clear numbers must not stay in a browser's or a proxy's cache.
    response["Cache-Control"] = "no-store"
    return clear
