"""Writes and rules of mass testing, split by sub-domain:

rounds (rounds, sites, stations, tubes), registration (the sample hot path), transport (the
tube's states after sampling: sealed, boxed, received), pools (what a result means for the
people behind a tube: retests and the positive-pool response). Boxes, custody and results are
recorded by the `lab` app, which calls transport and pools.
"""
