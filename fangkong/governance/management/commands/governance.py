"""`fangkong governance clocks|sweep`: statutory deadlines and the overdue sweep."""

from __future__ import annotations

import datetime as dt
import json

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import translation

from fangkong.core.errors import RuleViolation
from fangkong.governance.clocks import kind_clocks
from fangkong.governance.kinds import case_catalogue
from fangkong.governance.services.sweep import sweep_overdue_cases


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError as exc:
        raise CommandError(f"not a date (YYYY-MM-DD): {text!r}") from exc


class Command(BaseCommand):
    help = "Statutory clocks of a case kind; the sweep that turns overdue cases into tasks."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        clocks = sub.add_parser("clocks", help="deadlines of every stage of a case kind")
        clocks.add_argument("--kind", required=True)
        clocks.add_argument("--received", required=True, type=_date)
        clocks.add_argument("--accepted", type=_date)
        clocks.add_argument("--json", action="store_true")
        sub.add_parser("sweep", help="turn overdue cases into tasks and escalate them")

    def handle(self, *args, **options):
        translation.activate(settings.LANGUAGE_CODE)
        try:
            if options["action"] == "clocks":
                self._clocks(options)
            elif options["action"] == "sweep":
                result = sweep_overdue_cases()
                self.stdout.write(
                    f"overdue {result.overdue}\tescalated {result.escalated}"
                    f"\ttasks created {result.tasks_created}"
                )
        except RuleViolation as exc:
            raise CommandError(str(exc)) from exc

    def _clocks(self, options) -> None:
        kind = case_catalogue().kind(options["kind"])
        if kind is None:
            known = ", ".join(case_catalogue().kinds)
            raise CommandError(f"unknown kind {options['kind']!r}; known: {known}")
        stages = kind_clocks(kind=kind, received=options["received"], accepted=options["accepted"])
        if options["json"]:
            payload = {"kind": kind.code, "stages": [s.as_dict() for s in stages]}
            self.stdout.write(json.dumps(payload, ensure_ascii=False, indent=2))
            return
        for s in stages:
            self.stdout.write(f"{s.stage:<24}{s.due.isoformat():<28}{s.basis}")
