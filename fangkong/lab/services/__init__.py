"""Writes and rules of the lab, split by sub-domain: boxes (packing, hand-over, receipt and
their chain of custody) and results (lab results and what they set off, through testing's
public services)."""
