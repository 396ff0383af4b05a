"""The lab rules of a protocol preset: Ct thresholds per target gene.

A Ct below `positive_below` reads as positive; from `negative_from` on (or no signal) as
negative; in between is the grey zone, where a result is flagged for review: a negative with
a late signal is "slightly high" (指标稍高), a positive whose signals all lie in the grey zone
is a "weak positive" (弱阳性). The thresholds changed between protocol editions, so they are
data of the preset, beside its zone rules.
"""

from __future__ import annotations

from typing import Annotated, Literal

from django.utils.translation import gettext_lazy as _
from pydantic import BaseModel, ConfigDict, Field

Gene = Literal["ORF1ab", "N"]
Ct = Annotated[float, Field(gt=0, le=50)]


class CtThreshold(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    gene: Gene
    positive_below: Ct
    negative_from: Ct


class LabRules(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    ct_thresholds: Annotated[list[CtThreshold], Field(min_length=1)]


def check_lab_rules(lab: LabRules, fail) -> None:
    """Rules a type schema cannot say: each gene once, the grey zone not upside down."""
    genes = [t.gene for t in lab.ct_thresholds]
    for i, t in enumerate(lab.ct_thresholds):
        at = f"lab.ct_thresholds[{i}]"
        if genes.index(t.gene) != i:
            raise fail(f"{at}.gene", _("This gene appears twice."))
        if t.positive_below > t.negative_from:
            raise fail(
                f"{at}.positive_below",
                _("The positive threshold cannot lie above the negative one."),
            )


def ct_thresholds(data: dict) -> dict[str, tuple[float, float]]:
    """Gene → (positive below, negative from), from a stored (normalised) preset; empty when
    the preset has no lab rules (then no result is flagged)."""
    lab = data.get("lab") or {}
    return {
        t["gene"]: (float(t["positive_below"]), float(t["negative_from"]))
        for t in lab.get("ct_thresholds") or []
    }
