"""Zones API: the checkpoint's decision (the guard's scanner posts here).

POST /api/v1/zones/checkpoints/{id}/decide {"code": "...", "direction": "out"|"in"} answers
{"decision": "allow"|"deny", "rule", "zone_kind", ...} and logs the passage. Device tokens of
role checkpoint_guard (whose area holds the checkpoint) and the checkpoint's guards may call it.
"""

from __future__ import annotations

from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from ninja import Field, Router, Schema

from fangkong.core.errors import RuleViolation

from .models import Checkpoint
from .services.checkpoints import authorise_guard
from .services.gate import decide_passage

router = Router(tags=["zones"])


class DecideIn(Schema):
    code: str = Field(..., min_length=1, max_length=512, description="what the scanner read")
    direction: str = Field("out", pattern="^(out|in)$")


class DecideOut(Schema):
    decision: str
    rule: str
    zone_kind: str
    regime: str
    message: str
    direction: str
    subject: str
    pass_number: str
    passage_id: int | None


@router.post("/checkpoints/{checkpoint_id}/decide", response=DecideOut)
def decide(request: HttpRequest, checkpoint_id: int, body: DecideIn):
    """Allow or deny one passage, with the rule that decided; the passage is logged."""
    checkpoint = (
        Checkpoint.objects.select_related("zone")
        .only("area_code", "zone__status", "zone__regime", "zone__kind")
        .filter(pk=checkpoint_id)
        .first()
    )
    if checkpoint is None:
        raise RuleViolation(
            field="checkpoint",
            code="unknown",
            message=_("No checkpoint has this number."),
            status_code=404,
        )
    authorise_guard(checkpoint=checkpoint, actor=request.actor)
    return decide_passage(
        checkpoint=checkpoint, code=body.code, direction=body.direction, actor=request.actor
    ).__dict__
