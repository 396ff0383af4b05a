"""Writes and rules of mass testing, split by sub-domain:

rounds (rounds, sites, stations, tubes), registration (the sample hot path), transport
(sealing, boxes, chain of custody), results (lab results and the positive-pool response).
"""
