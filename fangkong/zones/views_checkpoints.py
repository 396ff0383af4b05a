"""Checkpoint pages: set up a zone's checkpoints, the guard's phone page (scan → allow or
deny, duty log), passes (issue, print, revoke)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _g
from django.views.decorators.http import require_POST

from fangkong.accounts.permissions import can
from fangkong.accounts.services import require_permission
from fangkong.core.errors import PermissionDeniedError, RuleViolation
from fangkong.core.http import client_ip, page_of
from fangkong.people.services import find_resident_by_document

from . import selectors
from .forms import CheckpointForm, DutyForm, PassForm, ScanForm
from .models import Checkpoint, Pass, ZoneStatus
from .page_access import zone_for_request
from .services.checkpoints import authorise_guard, log_duty, set_up_checkpoint
from .services.gate import decide_passage
from .services.passes import issue_pass, pass_code, pass_qr_svg, revoke_pass


@login_required
@require_POST
def checkpoint_new(request: HttpRequest, pk: int) -> HttpResponse:
    zone = zone_for_request(request, pk, action="manage_zones")
    form = CheckpointForm(request.POST, zone=zone)
    if form.is_valid():
        d = form.cleaned_data
        try:
            checkpoint = set_up_checkpoint(
                zone=zone, user=request.user, place=d["place"], name=d["name"], guards=d["guards"]
            )
        except PermissionDeniedError:
            raise
        except RuleViolation as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _g("Checkpoint %(name)s set up.") % {"name": checkpoint})
    else:
        messages.error(request, " ".join(e for errs in form.errors.values() for e in errs))
    return redirect("zones:zone", zone.pk)


@login_required
@require_POST
def pass_new(request: HttpRequest, pk: int) -> HttpResponse:
    zone = zone_for_request(request, pk, action="issue_passes")
    form = PassForm(request.POST)
    if form.is_valid():
        d = form.cleaned_data
        resident = None
        if d["document_number"]:
            resident = find_resident_by_document("resident_id", d["document_number"].upper())
            if resident is None:
                messages.error(request, _g("No resident has this ID number."))
                return redirect("zones:zone", zone.pk)
        try:
            issued = issue_pass(
                zone=zone,
                user=request.user,
                subject=d["subject"],
                purpose=d["purpose"],
                valid_from=d["valid_from"],
                valid_until=d["valid_until"],
                resident=resident,
                holder_name=d["holder_name"],
                plate=d["plate"],
                note=d["note"],
            )
        except PermissionDeniedError:
            raise
        except RuleViolation as exc:
            messages.error(request, exc.message)
        else:
            return redirect("zones:pass", issued.pk)
    else:
        messages.error(request, " ".join(e for errs in form.errors.values() for e in errs))
    return redirect("zones:zone", zone.pk)


def _pass_for(request: HttpRequest, pk: int, action: str = "view_zones") -> Pass:
    p = Pass.objects.select_related("zone", "resident").filter(pk=pk).first()
    if p is None:
        raise Http404
    zone_for_request(request, p.zone_id, action=action)
    return p


@login_required
def pass_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The printable pass: the QR code (signed number only), purpose, validity, issuer."""
    p = _pass_for(request, pk)
    return render(
        request,
        "zones/pass.html",
        {
            "p": p,
            "qr": pass_qr_svg(p),
            "code": pass_code(p),
            "can_revoke": can(request.user, "issue_passes") and not p.revoked_at,
            "now": timezone.now(),
        },
    )


@login_required
@require_POST
def pass_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    p = _pass_for(request, pk, action="issue_passes")
    try:
        revoke_pass(pass_=p, user=request.user, reason=request.POST.get("reason", ""))
    except PermissionDeniedError:
        raise
    except RuleViolation as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _g("Pass %(number)s revoked.") % {"number": p.number})
    return redirect("zones:pass", p.pk)


@login_required
def my_checkpoints(request: HttpRequest) -> HttpResponse:
    """A guard's checkpoints (or, for the command, every checkpoint of its active zones)."""
    if can(request.user, "guard_checkpoint"):
        checkpoints = request.user.checkpoints.select_related("zone").order_by("name", "id")
    else:
        require_permission(
            actor=request.user,
            action="view_zones",
            object_type="checkpoints",
            ip=client_ip(request),
        )
        zones = selectors.zones_for_user(request.user, status=ZoneStatus.ACTIVE)
        checkpoints = Checkpoint.objects.filter(zone__in=zones).select_related("zone")
    return render(request, "zones/checkpoints.html", {"checkpoints": page_of(request, checkpoints)})


def _checkpoint_for_guard(request: HttpRequest, pk: int) -> Checkpoint:
    checkpoint = Checkpoint.objects.select_related("zone", "place").filter(pk=pk).first()
    if checkpoint is None:
        raise Http404
    authorise_guard(checkpoint=checkpoint, actor=request.user)
    return checkpoint


def _guard_context(checkpoint: Checkpoint, **extra) -> dict:
    return {
        "checkpoint": checkpoint,
        "zone": checkpoint.zone,
        "passages": checkpoint.passages.all()[:15],
        "duty_log": checkpoint.duty_log.all()[:10],
        "scan_form": ScanForm(initial={"direction": extra.pop("direction", "out")}),
        "duty_form": DutyForm(),
        **extra,
    }


@login_required
def guard_page(request: HttpRequest, pk: int) -> HttpResponse:
    checkpoint = _checkpoint_for_guard(request, pk)
    return render(request, "zones/guard.html", _guard_context(checkpoint))


@login_required
@require_POST
def guard_scan(request: HttpRequest, pk: int) -> HttpResponse:
    """One scan: allow or deny with the rule. htmx swaps the verdict; a plain post re-renders."""
    checkpoint = _checkpoint_for_guard(request, pk)
    form = ScanForm(request.POST)
    verdict = None
    direction = request.POST.get("direction", "out")
    if form.is_valid():
        verdict = decide_passage(
            checkpoint=checkpoint,
            code=form.cleaned_data["code"],
            direction=form.cleaned_data["direction"],
            actor=request.user,
        )
    context = _guard_context(checkpoint, verdict=verdict, direction=direction)
    if request.headers.get("HX-Request"):
        return render(request, "zones/partials/guard_result.html", context)
    return render(request, "zones/guard.html", context)


@login_required
@require_POST
def guard_duty(request: HttpRequest, pk: int) -> HttpResponse:
    checkpoint = _checkpoint_for_guard(request, pk)
    form = DutyForm(request.POST)
    if form.is_valid():
        d = form.cleaned_data
        try:
            log_duty(
                checkpoint=checkpoint,
                actor=request.user,
                kind=d["kind"],
                note=d["note"],
                quantity=d["quantity"],
                counterpart=d["counterpart"],
            )
        except PermissionDeniedError:
            raise
        except RuleViolation as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _g("Logged."))
    return redirect("zones:guard", checkpoint.pk)
