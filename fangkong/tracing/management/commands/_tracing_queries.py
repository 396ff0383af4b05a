"""The read-only subcommands of `fangkong tracing` (exposures, order plans)."""

from __future__ import annotations


def add_query_parsers(sub) -> None:
    return None


def handle_query(options: dict) -> dict:
    raise NotImplementedError(options["action"])
