"""`fangkong scenario run june13 [--scale F|seed] [--stack] [--json]`: replay a night against
the demo district.

The default is the small replay (--scale 0.05: 340 people, seconds, in one transaction), the
one the demo and the commander's button run. `--scale seed` is the seed's own day — 6,799
people in 360 tubes, on a district of 50,000 — through the real stack: a server on loopback
that station clients post samples to and the lab's system posts results to, and the JSON
gives the system's share of the alarm (`--stack` does the same at any scale).

On a database without the demo district, the district is seeded first at the scenario's
scale (the 13 June story happened among ~50,000 people around 瓦屋李; at --scale 0.05 the
district has 2,500), seed 613, and the demo accounts are made; the replay runs as the demo
commander unless --user names another account.
"""

from __future__ import annotations

import datetime as dt
import json

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.translation import gettext as _

from fangkong.accounts.models import User
from fangkong.core.errors import RuleViolation
from fangkong.demo.accounts import ensure_demo_accounts
from fangkong.demo.seed import is_seeded, seed_demo
from fangkong.ops.local_server import LocalServer
from fangkong.scenarios import default_scale, get_runner, get_stack_runner, scenario_names

from .seed import DEFAULT_SEED

SEED_SCALE = 1.0  # `--scale seed`: the newspaper's own figures
STORY_RESIDENTS = 50_000  # the demo district's size at which --scale 1 is the newspaper's night
MIN_RESIDENTS = 2_000


def residents_for(scale: float) -> int:
    return max(MIN_RESIDENTS, round(STORY_RESIDENTS * scale))


def ensure_district(*, scale: float, residents: int | None, username: str, err) -> None:
    """Seed the demo district when the database has none, and the demo accounts when the
    commander's is missing (checking them all is slow: one password hash each)."""
    if not is_seeded():
        n = residents or residents_for(scale)
        err.write(
            _("No demo district yet: generating one with %(n)s residents …") % {"n": f"{n:,}"}
        )
        try:
            seed_demo(residents=n, seed=DEFAULT_SEED, progress=False)
        except RuleViolation as exc:
            raise CommandError(str(exc.message)) from exc
    if not User.objects.filter(username=username).exists():
        ensure_demo_accounts()


def run_scenario(name: str, *, scale: float | None, username: str, day: dt.date | None):
    runner = get_runner(name)
    if runner is None:
        raise CommandError(
            _("No scenario is called %(name)s; there are: %(names)s")
            % {"name": name, "names": ", ".join(scenario_names())}
        )
    user = User.objects.filter(username=username, is_active=True).first()
    if user is None:
        raise CommandError(_("No active account is called %(name)s.") % {"name": username})
    kwargs = {"user": user}
    if scale is not None:
        kwargs["scale"] = scale
    if day is not None:
        kwargs["day"] = day
    try:
        return runner(**kwargs)
    except RuleViolation as exc:
        raise CommandError(str(exc.message)) from exc


def scale_arg(value: str) -> float | str:
    return "seed" if value == "seed" else float(value)


def run_on_stack(name: str, *, scale: float, username: str, day: dt.date | None):
    """The scenario through a server of its own on loopback, in the production mode when
    this process runs in it (Django's threaded server otherwise)."""
    runner = get_stack_runner(name)
    if runner is None:
        raise CommandError(_("The scenario %(name)s has no real-stack replay.") % {"name": name})
    user = User.objects.filter(username=username, is_active=True).first()
    if user is None:
        raise CommandError(_("No active account is called %(name)s.") % {"name": username})
    kwargs = {"user": user, "scale": scale}
    if day is not None:
        kwargs["day"] = day
    try:
        with LocalServer(production=not settings.DEBUG) as url:
            return runner(base_url=url, **kwargs)
    except RuleViolation as exc:
        raise CommandError(str(exc.message)) from exc


def format_replay(replay) -> str:
    """The timeline, the rounds and the bulletin, for the terminal."""
    lines = [f"{replay.incident.title}"]
    for entry in replay.timeline():
        at = dt.datetime.fromisoformat(entry["at"])
        lines.append(f"  {timezone.localtime(at):%m-%d %H:%M}  [{entry['kind']}] {entry['text']}")
    lines.append("")
    for r in replay.rounds:
        env = f", {r.environment_tubes}/{r.environment_points}" if r.environment_tubes else ""
        lines.append(f"  {r.name}: {r.pool_size}:1 {r.tubes} / {r.people}{env}")
    share = getattr(replay, "system_share", None)
    if share:
        lines += ["", f"system share: {share['total_s']:.2f} s"]
    lines += ["", replay.bulletin.text_zh, "", f"({replay.seconds:.1f} s)"]
    return "\n".join(lines)


class Command(BaseCommand):
    help = (
        "Replay a documented night against the demo district through the real services, on "
        "the scenario's own clock: `scenario run june13` opens the incident of the 13 June "
        "2022 presumptive-positive tube at the 瓦屋李 booth, tests the five units, stands "
        "瓦屋李新居 still and lifts it at 16:54, closes the incident and writes the bulletin. "
        "`scenario list` names the scenarios."
    )

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["run", "list"])
        parser.add_argument("name", nargs="?", help="scenario to run, e.g. june13")
        parser.add_argument(
            "--scale",
            type=scale_arg,
            default=None,
            help="multiply the story's figures (0 < F ≤ 1; default 0.05: 340 people in 18 tubes); "
            "`seed`: the seed's own figures (6,799 people), through the real stack",
        )
        parser.add_argument(
            "--stack",
            action="store_true",
            help="post samples and results over HTTP to a server on loopback, as tablets and "
            "the lab's system do, and report the system's share of the alarm",
        )
        parser.add_argument(
            "--json", action="store_true", help="print the incident, bulletin and rounds as JSON"
        )
        parser.add_argument(
            "--residents",
            type=int,
            default=None,
            help="size of the demo district to generate when there is none "
            f"(default {STORY_RESIDENTS:,} × scale, at least {MIN_RESIDENTS:,})",
        )
        parser.add_argument(
            "--date",
            type=dt.date.fromisoformat,
            default=None,
            metavar="YYYY-MM-DD",
            help="replay on this date, same times (default: the story's own, 2022-06-13)",
        )
        parser.add_argument(
            "--user", default="commander", help="account that leads the response (commander)"
        )

    def handle(self, *args, **options):
        if options["action"] == "list":
            self.stdout.write("\n".join(scenario_names()))
            return
        if not options["name"]:
            raise CommandError(_("Name the scenario to run, e.g. june13."))
        scale, stack = options["scale"], options["stack"]
        if scale == "seed":
            scale, stack = SEED_SCALE, True
        if scale is not None and not 0 < scale <= 1:
            raise CommandError(_("The scale lies above 0 and at most 1."))
        if get_runner(options["name"]) is None:
            raise CommandError(
                _("No scenario is called %(name)s; there are: %(names)s")
                % {"name": options["name"], "names": ", ".join(scenario_names())}
            )
        ensure_district(
            scale=scale if scale is not None else default_scale(options["name"]),
            residents=options["residents"],
            username=options["user"],
            err=self.stderr,
        )
        if stack:
            replay = run_on_stack(
                options["name"],
                scale=scale if scale is not None else default_scale(options["name"]),
                username=options["user"],
                day=options["date"],
            )
        else:
            replay = run_scenario(
                options["name"], scale=scale, username=options["user"], day=options["date"]
            )
        if options["json"]:
            self.stdout.write(json.dumps(replay.as_json(), ensure_ascii=False, indent=2))
        else:
            self.stdout.write(format_replay(replay))
