"""`fangkong tubes create --round ID --count N [--capacity K] [--environment --swab-points P]
[--labels out.pdf|out.png]`: register new tubes for a round and print their label sheets."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import translation
from django.utils.translation import gettext as _

from fangkong.core.errors import RuleViolation
from fangkong.testing.labels import labels_for, write_sheets
from fangkong.testing.models import TestingRound, TubeKind
from fangkong.testing.services.rounds import create_tubes


class Command(BaseCommand):
    help = "Create tubes for a testing round and write their label sheets."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="register new tubes (barcodes with a check digit)")
        create.add_argument("--round", type=int, required=True, help="the round's number")
        create.add_argument("--count", type=int, required=True, help="how many tubes (1–10,000)")
        create.add_argument(
            "--capacity", type=int, default=None, help="people per tube (default: round's pool)"
        )
        create.add_argument(
            "--environment", action="store_true", help="environmental tubes (swab points)"
        )
        create.add_argument("--swab-points", type=int, default=0, help="swab points per tube")
        create.add_argument(
            "--labels", type=Path, default=None, help="write label sheets: a .pdf or .png path"
        )

    def handle(self, *args, **options):
        translation.activate(settings.LANGUAGE_CODE)
        round_ = TestingRound.objects.filter(pk=options["round"]).first()
        if round_ is None:
            raise CommandError(_("No round has this number."))
        labels_path = options["labels"]
        if labels_path is not None and labels_path.suffix.lower() not in (".pdf", ".png"):
            raise CommandError(_("Label sheets are written as .pdf or .png."))
        try:
            tubes = create_tubes(
                round=round_,
                count=options["count"],
                capacity=options["capacity"],
                kind=TubeKind.ENVIRONMENT if options["environment"] else TubeKind.PEOPLE,
                swab_points=options["swab_points"],
            )
        except RuleViolation as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            _("Created %(n)s tubes for %(round)s: %(first)s … %(last)s")
            % {
                "n": len(tubes),
                "round": round_.name,
                "first": tubes[0].barcode,
                "last": tubes[-1].barcode,
            }
        )
        if labels_path is not None:
            written = write_sheets(labels_for(tubes, round_.name), labels_path)
            for path in written:
                self.stdout.write(_("Labels: %(path)s") % {"path": path})
