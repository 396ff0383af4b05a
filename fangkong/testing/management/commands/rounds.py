"""`fangkong rounds close-due`: store the closure of rounds whose sampling window has ended
(a job; safe to re-run). `fangkong rounds roster FILE --place CODE --user NAME [--round ID]`:
import an institution's roster (.xlsx or .csv) and, with --round, add it to that round."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils import translation
from django.utils.translation import gettext as _

from fangkong.core.errors import RuleViolation
from fangkong.geo.models import Place
from fangkong.testing.models import TestingRound
from fangkong.testing.services.rosters import attach_roster, import_roster
from fangkong.testing.services.rounds import close_due_rounds


class Command(BaseCommand):
    help = "Close rounds whose sampling window has ended; import institution rosters."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("close-due", help="close the rounds whose window has ended")
        roster = sub.add_parser("roster", help="import an institution's roster (.xlsx, .csv)")
        roster.add_argument("file", type=Path)
        roster.add_argument("--place", required=True, help="the institution's place code")
        roster.add_argument("--user", required=True, help="import as this user")
        roster.add_argument("--round", type=int, help="add the roster to this round")

    def handle(self, *args, **options):
        with translation.override(settings.LANGUAGE_CODE):
            try:
                if options["action"] == "close-due":
                    n = close_due_rounds()
                    self.stdout.write(_("Rounds closed: %(n)s") % {"n": n})
                else:
                    self._roster(options)
            except RuleViolation as exc:
                raise CommandError(str(exc)) from exc

    def _roster(self, options) -> None:
        user = get_user_model().objects.filter(username=options["user"]).first()
        place = Place.objects.filter(code=options["place"]).first()
        path: Path = options["file"]
        if user is None or place is None or not path.is_file():
            raise CommandError(_("Unknown user, place or file."))
        round_ = None
        if options["round"] is not None:
            round_ = TestingRound.objects.filter(pk=options["round"]).first()
            if round_ is None:
                raise CommandError(_("No round has this number."))
        with path.open("rb") as source:
            result = import_roster(place=place, source=source, filename=path.name, user=user)
        for p in result.problems:
            self.stderr.write(_("Row %(row)s: %(message)s") % {"row": p.row, "message": p.message})
        if result.roster is None:
            raise CommandError(_("Nothing imported: correct the rows above."))
        if round_ is not None:
            attach_roster(round=round_, roster=result.roster, user=user)
        self.stdout.write(
            _("Roster of %(place)s imported: %(n)s people (%(new)s not in the registry before).")
            % {"place": place, "n": result.members, "new": result.registered}
        )
