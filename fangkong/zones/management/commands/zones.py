"""`fangkong zones evaluate [--json]` (the daily pass) and `fangkong zones list`.

`evaluate` checks every active zone against its protocol, stores the day's checklist, adds
the day's grid-worker tasks, and prints what each zone proposes; it can run again the same
day (it replaces that day's evaluation and creates no task twice).
"""

from __future__ import annotations

import json

from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils import translation
from django.utils.translation import gettext as _

from fangkong.zones.models import RiskZone, ZoneStatus
from fangkong.zones.rules import kind_label
from fangkong.zones.services.lifting import evaluate_all


class Command(BaseCommand):
    help = "Evaluate and list risk zones."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        evaluate = sub.add_parser("evaluate", help="the daily lifting evaluation")
        evaluate.add_argument("--json", action="store_true", help="print JSON")
        sub.add_parser("list", help="active zones")

    def handle(self, *args, **options):
        translation.activate(settings.LANGUAGE_CODE)
        if options["action"] == "list":
            for z in RiskZone.objects.filter(status=ZoneStatus.ACTIVE).order_by("designated_at"):
                self.stdout.write(
                    f"#{z.pk} {z.name} [{z.kind}] {z.designated_at:%Y-%m-%d %H:%M} "
                    f"{z.residents} {z.protocol}"
                )
            return
        evaluations = evaluate_all()
        if options["json"]:
            rows = [
                {
                    "zone_id": e.zone.pk,
                    "name": e.zone.name,
                    "kind": e.zone.kind,
                    "clean_day": e.clean_day,
                    "proposal": e.proposal,
                    "downgrade_to": e.downgrade_to,
                    "checklist": e.checklist(),
                }
                for e in evaluations
            ]
            self.stdout.write(json.dumps(rows, ensure_ascii=False, indent=2))
            return
        for e in evaluations:
            verdict = {
                "lift": _("propose lifting"),
                "downgrade": _("propose downgrading to %(kind)s")
                % {"kind": kind_label(e.downgrade_to or "")},
                None: _("keep"),
            }[e.proposal]
            self.stdout.write(
                f"#{e.zone.pk} {e.zone.name} [{e.zone.kind}] "
                + _("day %(day)d without infection") % {"day": e.clean_day}
                + f": {verdict}"
            )
            for c in e.checks:
                mark = {True: "✓", False: "✗", None: "?"}[c.ok]
                self.stdout.write(f"    {mark} {c.label}")
        if not evaluations:
            self.stdout.write(_("No active zone."))
