"""`fangkong seed`: generate the demo district, deterministically."""

from __future__ import annotations

import datetime as dt
import shutil

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from fangkong.core.errors import RuleViolation
from fangkong.demo.accounts import ensure_demo_accounts, format_accounts
from fangkong.demo.population import AS_OF
from fangkong.demo.seed import SeedResult, seed_demo

DEFAULT_RESIDENTS = 50_000
DEFAULT_SEED = 613  # 13 June: the night the 瓦屋李 sampling booth's tube came back positive


def add_seed_arguments(parser) -> None:
    parser.add_argument(
        "--residents",
        type=int,
        default=DEFAULT_RESIDENTS,
        help=f"number of residents to generate (default {DEFAULT_RESIDENTS:,})",
    )
    parser.add_argument(
        "--seed",
        type=int,
        default=DEFAULT_SEED,
        help=f"random seed; the same N and seed give the same district (default {DEFAULT_SEED})",
    )
    parser.add_argument(
        "--as-of",
        type=dt.date.fromisoformat,
        default=AS_OF,
        metavar="YYYY-MM-DD",
        help=f"date that ages and age-based tags refer to (default {AS_OF:%Y-%m-%d})",
    )
    parser.add_argument("--quiet", action="store_true", help="no progress bar")


def run_seed(command: BaseCommand, options: dict, *, replace: bool) -> SeedResult:
    """Seed with a progress bar on a terminal; print what was made."""
    progress = not options["quiet"] and command.stderr.isatty()
    try:
        result = seed_demo(
            residents=options["residents"],
            seed=options["seed"],
            progress=progress,
            replace=replace,
            as_of=options["as_of"],
        )
    except RuleViolation as exc:
        raise CommandError(str(exc.message)) from exc
    command.stdout.write(
        _(
            "Demo district 410172 高新区: %(residents)s residents in %(households)s households "
            "(%(flats)s flats), %(buildings)s buildings, %(grids)s grids, %(communities)s "
            "communities, %(places)s places; %(seconds).1f s (%(rate)s residents/s)."
        )
        % {
            "residents": f"{result.residents:,}",
            "households": f"{result.households:,}",
            "flats": f"{result.flats:,}",
            "buildings": f"{result.buildings:,}",
            "grids": result.grids,
            "communities": result.communities,
            "places": result.places,
            "seconds": result.seconds,
            "rate": f"{result.residents_per_s:,.0f}",
        }
    )
    return result


def print_accounts(command: BaseCommand) -> None:
    try:
        rows = ensure_demo_accounts()
    except RuleViolation as exc:
        raise CommandError(str(exc.message)) from exc
    if not rows:
        command.stdout.write(_("No demo accounts: the demo district is not in this database."))
        return
    tty = command.stdout.isatty()
    width = max(80, shutil.get_terminal_size().columns) if tty else 120
    command.stdout.write(format_accounts(rows, color=tty, width=width))


class Command(BaseCommand):
    help = (
        "Generate the demo district (410172 高新区) with its sub-districts, communities, grids, "
        "buildings, households, residents and one account per role. The same --residents and "
        "--seed (and --as-of) always give the same names, ID numbers and tree, on any day. "
        "A database that already holds "
        "the demo district is refused; --replace deletes the demo district (residents, "
        "households, buildings, places, the tree; accounts are kept) and generates it again."
    )

    def add_arguments(self, parser):
        add_seed_arguments(parser)
        parser.add_argument(
            "--replace",
            action="store_true",
            help="delete the demo district first and generate it again",
        )

    def handle(self, *args, **options):
        run_seed(self, options, replace=options["replace"])
        print_accounts(self)
