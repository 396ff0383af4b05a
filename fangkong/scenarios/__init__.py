"""Scenarios: replays of real nights against the demo district, through the real services.

A scenario is a script that writes only through the domain services (rounds, samples, tubes,
boxes, results, zones) with its own clock, so the command centre's timeline, the zone's
history and the bulletin come out as the newspaper told them, and every figure shown is
counted from what was written.

This is a plain package, not a Django app: it owns no tables.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable

from django.utils.module_loading import import_string

SCENARIOS: dict[str, str] = {
    "june13": "fangkong.scenarios.june13.run_june13",
}


# Scenarios that can also run through the real stack (a server on loopback, over HTTP).
STACK_SCENARIOS: dict[str, str] = {
    "june13": "fangkong.scenarios.june13_stack.run_june13_stack",
}


def scenario_names() -> list[str]:
    return sorted(SCENARIOS)


def get_runner(name: str) -> Callable | None:
    """The scenario's run function (keyword arguments `user`, `scale`), or None."""

    path = SCENARIOS.get(name)
    return import_string(path) if path else None


def get_stack_runner(name: str) -> Callable | None:
    """The scenario's real-stack run function (keyword arguments `user`, `base_url`, `scale`)."""

    path = STACK_SCENARIOS.get(name)
    return import_string(path) if path else None


def default_scale(name: str) -> float:
    """The scale a scenario runs at when none is given."""

    runner = get_runner(name)
    return inspect.signature(runner).parameters["scale"].default if runner else 1.0
