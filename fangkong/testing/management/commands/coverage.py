"""`fangkong coverage recount --round ID [--json]`: recount who was tested in a round from its
samples (the per-grid tallies that live coverage and the dashboard read) and say whether the
kept counts were right."""

from __future__ import annotations

import json

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db.models import Sum
from django.utils import translation
from django.utils.translation import gettext as _

from fangkong.testing.models import RoundTally, TestingRound
from fangkong.testing.services.tallies import rebuild_round_tallies


def _totals(round_: TestingRound) -> tuple[int, int]:
    sums = RoundTally.objects.filter(round=round_).aggregate(t=Sum("tested"), v=Sum("visitors"))
    return sums["t"] or 0, sums["v"] or 0


class Command(BaseCommand):
    help = "Recount the people tested in a round from its samples."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        recount = sub.add_parser("recount", help="recount a round's tested people by grid")
        recount.add_argument("--round", type=int, required=True, help="the round's number")
        recount.add_argument("--json", action="store_true", help="print the figures as JSON")

    def handle(self, *args, **options):
        translation.activate(settings.LANGUAGE_CODE)
        round_ = TestingRound.objects.filter(pk=options["round"]).first()
        if round_ is None:
            raise CommandError(_("No round has this number."))
        before = _totals(round_)
        rebuild_round_tallies([round_.pk])
        after = _totals(round_)
        if options["json"]:
            self.stdout.write(
                json.dumps(
                    {
                        "round": round_.pk,
                        "tested": after[0],
                        "visitors": after[1],
                        "tested_before": before[0],
                        "visitors_before": before[1],
                        "corrected": before != after,
                    }
                )
            )
            return
        self.stdout.write(
            _("%(round)s: %(tested)s residents and %(visitors)s visitors tested.")
            % {"round": round_.name, "tested": after[0], "visitors": after[1]}
        )
        if before != after:
            self.stdout.write(
                _("The kept counts were %(tested)s and %(visitors)s: corrected.")
                % {"tested": before[0], "visitors": before[1]}
            )
