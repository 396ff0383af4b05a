"""`fangkong import residents FILE.xlsx --user NAME` and `fangkong import district FILE.yaml`."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import translation
from django.utils.translation import gettext as _

from fangkong.accounts.models import User
from fangkong.core.errors import RuleViolation
from fangkong.geo.services import import_district_file
from fangkong.people.import_rows import column_note
from fangkong.people.importing import import_residents


def find_user(username: str):

    user = User.objects.filter(username=username, is_active=True).first()
    if user is None:
        raise CommandError(_("No active user named %(name)s.") % {"name": username})
    return user


class Command(BaseCommand):
    help = "Import residents from an Excel roster, or a district's area tree from YAML."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="what", required=True)
        residents = sub.add_parser(
            "residents", help="a resident roster (.xlsx, or .csv in UTF-8 or GBK)"
        )
        residents.add_argument("file", help="the workbook to import")
        residents.add_argument(
            "--user", required=True, help="import as this user (their permission and scope)"
        )
        residents.add_argument("--errors", help="write the rejected rows to this workbook")
        residents.add_argument("--batch-size", type=int, default=1000)
        district = sub.add_parser("district", help="an area tree definition (.yaml)")
        district.add_argument("file")

    def handle(self, *args, **options):
        # Staff read these messages: Chinese unless the settings say otherwise.
        with translation.override(settings.LANGUAGE_CODE):
            try:
                if options["what"] == "district":
                    self._district(options)
                else:
                    self._residents(options)
            except RuleViolation as exc:
                raise CommandError(str(exc)) from exc

    def _district(self, options) -> None:

        created = import_district_file(options["file"])
        summary = ", ".join(f"{name} {n}" for name, n in created.items())
        self.stdout.write(_("District imported; created: %(summary)s") % {"summary": summary})

    def _residents(self, options) -> None:

        user = find_user(options["user"])
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(_("File not found: %(path)s") % {"path": path})
        result = import_residents(workbook_file=path, user=user, batch_size=options["batch_size"])
        self.stdout.write(
            _(
                "Read %(read)d, created %(created)d, updated %(updated)d, "
                "unchanged %(unchanged)d, rejected %(rejected)d; skipped %(skipped)d (totals, notes, "
                "example row); new households %(households_created)d."
            )
            % result.counts()
        )
        self.stdout.write(
            _(
                "Held for review %(conflicts)d (ID stored under another name); 15-digit numbers "
                "upgraded %(converted)d; sex differs from the ID %(sex_mismatch)d; birth dates "
                "without a day not stored %(partial_birth_date)d."
            )
            % result.counts()
        )
        for column in result.columns_not_read:
            self.stdout.write(
                _("Column not imported: %(column)s — %(why)s")
                % {"column": column.label, "why": column_note(column)}
            )
        for note in result.notes:
            self.stdout.write(
                _("Row %(row)d, to check — %(reason)s") % {"row": note.row, "reason": note.reason}
            )
        for error in result.errors:
            self.stderr.write(
                _("Row %(row)d — %(reason)s") % {"row": error.row, "reason": error.reason}
            )
        if result.error_workbook:
            if options["errors"]:
                Path(options["errors"]).write_bytes(result.error_workbook)
                self.stderr.write(
                    _("The rejected rows are in %(path)s.") % {"path": options["errors"]}
                )
            else:
                self.stderr.write(
                    _("Add --errors FILE.xlsx to get the rejected rows as a workbook.")
                )
