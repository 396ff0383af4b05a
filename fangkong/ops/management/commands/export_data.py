"""`fangkong export residents OUT.xlsx --user NAME` and `fangkong export geojson --level grid`."""

from __future__ import annotations

import json
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import translation
from django.utils.translation import gettext as _

from fangkong.core.errors import RuleViolation
from fangkong.geo.models import District
from fangkong.geo.services import export_geojson
from fangkong.people.area_counts import resident_counts
from fangkong.people.exporting import export_residents
from fangkong.people.models import Residency, ResidentStatus, Tag
from fangkong.people.selectors import ResidentFilter

from .import_data import find_user


class Command(BaseCommand):
    help = "Export residents to Excel (masked, scoped, audited) or the area shapes as GeoJSON."

    def add_arguments(self, parser):

        sub = parser.add_subparsers(dest="what", required=True)
        residents = sub.add_parser("residents", help="residents to an Excel workbook")
        residents.add_argument("output", help="the workbook to write (.xlsx)")
        residents.add_argument(
            "--user", required=True, help="export as this user (their permission and scope)"
        )
        residents.add_argument("--area", help="only residents under this area code")
        residents.add_argument("--tag", choices=Tag.values)
        residents.add_argument("--status", choices=ResidentStatus.values)
        residents.add_argument("--residency", choices=Residency.values)
        geojson = sub.add_parser("geojson", help="area shapes as a GeoJSON FeatureCollection")
        geojson.add_argument(
            "--level",
            default="grid",
            help="district, subdistrict, community, grid, building, compound or place",
        )
        geojson.add_argument("--scope", help="area code (default: the district)")
        geojson.add_argument("-o", "--output", help="file to write (default: standard output)")

    def handle(self, *args, **options):
        with translation.override(settings.LANGUAGE_CODE):
            try:
                if options["what"] == "geojson":
                    self._geojson(options)
                else:
                    self._residents(options)
            except RuleViolation as exc:
                raise CommandError(str(exc)) from exc

    def _residents(self, options) -> None:

        user = find_user(options["user"])
        filters = ResidentFilter(
            area_code=options["area"],
            tag=options["tag"],
            status=options["status"],
            residency=options["residency"],
        )
        output = Path(options["output"])
        result = export_residents(user=user, filters=filters, output=output)
        self.stdout.write(
            _("Exported %(rows)d residents to %(path)s.") % {"rows": result.rows, "path": output}
        )

    def _geojson(self, options) -> None:

        scope = options["scope"]
        if not scope:
            district = District.objects.order_by("code").first()
            if district is None:
                raise CommandError(_("There is no district yet; import one first."))
            scope = district.code
        collection = export_geojson(scope_code=scope, level=options["level"], count=resident_counts)
        text = json.dumps(collection, ensure_ascii=False)
        if options["output"]:
            Path(options["output"]).write_text(text, encoding="utf-8")
            self.stderr.write(
                _("Wrote %(n)d features to %(path)s.")
                % {"n": len(collection["features"]), "path": options["output"]}
            )
        else:
            self.stdout.write(text)
