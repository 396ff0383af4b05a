"""Borderline results: a Ct in the protocol's grey zone flags the result for review.

A negative with a signal below the negative threshold of its gene is "slightly high"
(指标稍高); a positive (or presumptive positive) whose every reported signal lies at or above
the positive threshold is a "weak positive" (弱阳性). Results without Ct values, invalid
results and protocols without lab rules flag nothing. The thresholds are the protocol
preset's (`lab.ct_thresholds`), read once per batch.
"""

from __future__ import annotations

from decimal import Decimal

from fangkong.testing.models import Result
from fangkong.zones.protocol_lab import ct_thresholds
from fangkong.zones.protocols import get_preset

from ..models import ResultFlag

Thresholds = dict[str, tuple[float, float]]  # gene → (positive below, negative from)


def current_thresholds() -> Thresholds:
    """The Ct thresholds of the protocol in force (the district's default preset)."""
    preset = get_preset()
    return ct_thresholds(preset.data) if preset is not None else {}


def borderline_flag(
    *, result: str, ct_orf1ab: Decimal | None, ct_n: Decimal | None, thresholds: Thresholds
) -> str:
    """The flag a result earns under `thresholds`: "", slightly high or weak positive."""
    signals = [
        (float(ct), thresholds[gene])
        for gene, ct in (("ORF1ab", ct_orf1ab), ("N", ct_n))
        if ct is not None and gene in thresholds
    ]
    if not signals:
        return ResultFlag.NONE
    if result == Result.NEGATIVE:
        late = any(ct < negative_from for ct, (_pos, negative_from) in signals)
        return ResultFlag.SLIGHTLY_HIGH if late else ResultFlag.NONE
    if result in (Result.POSITIVE, Result.PRESUMPTIVE_POSITIVE):
        weak = all(ct >= positive_below for ct, (positive_below, _neg) in signals)
        return ResultFlag.WEAK_POSITIVE if weak else ResultFlag.NONE
    return ResultFlag.NONE
