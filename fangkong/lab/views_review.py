"""The review page of a borderline result: the result against the protocol's thresholds, the
pool's people masked, and the district CDC's decision with its reason."""

from __future__ import annotations

import uuid

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _g
from django.utils.translation import gettext_lazy as _

from fangkong.accounts.permissions import can
from fangkong.core.errors import RuleViolation
from fangkong.core.http import add_rule_error, client_ip
from fangkong.testing.selectors import pool_members

from .models import LabResult, ResultFlag, ReviewDecision
from .selectors import authorise_read, find_tube, flagged_result, review_targets
from .services.reviews import REASON_MAX, record_review, review_area


class ReviewForm(forms.Form):
    decision = forms.ChoiceField(label=_("Decision"), widget=forms.RadioSelect)
    reason = forms.CharField(
        label=_("Reason"), max_length=REASON_MAX, widget=forms.Textarea(attrs={"rows": 3})
    )
    idempotency_key = forms.CharField(widget=forms.HiddenInput, max_length=64)

    def __init__(self, *args, result: LabResult, **kwargs):
        super().__init__(*args, **kwargs)
        choices = ReviewDecision.choices
        if result.flag == ResultFlag.WEAK_POSITIVE:
            # Already handled as positive when recorded: it cannot be kept negative here.
            choices = [c for c in choices if c[0] != ReviewDecision.CONFIRM_NEGATIVE]
        self.fields["decision"].choices = choices


@login_required
def review(request: HttpRequest, barcode: str) -> HttpResponse:
    tube = find_tube(barcode=barcode)
    if tube is None:
        raise Http404
    if request.method != "POST":
        # A post is authorised by the review itself, which names its rule when it refuses.
        authorise_read(actor=request.user, round=tube.round, object_type="tube", object_id=barcode)
    result = flagged_result(tube=tube)
    if result is None:
        raise Http404
    form = ReviewForm(
        request.POST or None, result=result, initial={"idempotency_key": uuid.uuid4().hex}
    )
    status, error = 200, ""
    if request.method == "POST" and form.is_valid():
        try:
            outcome = record_review(
                result=result, user=request.user, ip=client_ip(request), **form.cleaned_data
            )
        except RuleViolation as exc:
            add_rule_error(form, exc)  # a refusal is raised again: 403, audited
            status, error = exc.status_code, str(exc.message)
        else:
            if not outcome.replayed:
                messages.success(request, _g("Review recorded."))
            return redirect("lab:review", barcode)
    protocol, targets = review_targets(result=result)
    existing = getattr(result, "review", None)
    context = {
        "tube": tube,
        "result": result,
        "protocol": protocol,
        "targets": targets,
        "members": pool_members(tube_id=tube.pk),
        "review": existing,
        "error": error,
        "form": form if existing is None else None,
        "may_review": can(request.user, "review_results", review_area(result)),
    }
    return render(request, "lab/review.html", context, status=status)
