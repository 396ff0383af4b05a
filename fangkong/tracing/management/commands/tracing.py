"""`fangkong tracing import-scans FILE.csv [--json]`, `purge-scans`, `escalate-clocks`,
`escalate-follow-up [--day DATE]`, `exposures --document-number N [--document-type T] --from ISO --to ISO [--window-minutes W]
[--protocol NAME] --json` and `order-plan --protocol NAME --tier TIER --last-exposure DATE --json`.

Run on the server by its operator: the whole district is in scope, and nothing printed holds a
document number (source ids and venue codes only).
"""

from __future__ import annotations

import datetime as dt
import json

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from fangkong.core.errors import RuleViolation
from fangkong.tracing.services.cases import escalate_overdue_clocks
from fangkong.tracing.services.followup import escalate_missed_reports
from fangkong.tracing.services.scan_sources import purge_scan_sources
from fangkong.tracing.services.scans import DEFAULT_CHUNK, import_scans, purge_scans

from ._tracing_queries import add_query_parsers, handle_query, write_exposures


class Command(BaseCommand):
    help = "Import and purge venue-code scans; find exposures; plan control orders."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        imp = sub.add_parser("import-scans", help="import a venue-code platform's CSV export")
        imp.add_argument("file")
        imp.add_argument("--chunk-size", type=int, default=DEFAULT_CHUNK)
        imp.add_argument("--json", action="store_true", help="print JSON")
        purge = sub.add_parser("purge-scans", help="remove scans past the retention period")
        purge.add_argument("--json", action="store_true", help="print JSON")
        clocks = sub.add_parser("escalate-clocks", help="overdue case clocks become tasks")
        clocks.add_argument("--json", action="store_true", help="print JSON")
        missed = sub.add_parser("escalate-follow-up", help="missed daily reports become tasks")
        missed.add_argument("--day", default=None, help="ISO date (default: yesterday)")
        missed.add_argument("--json", action="store_true", help="print JSON")
        add_query_parsers(sub)

    def handle(self, *args, **options):
        translation.activate(settings.LANGUAGE_CODE)
        try:
            if options["action"] == "import-scans":
                return self._import(options)
            if options["action"] == "purge-scans":
                result = purge_scans()
                ids = purge_scan_sources()
                out = {
                    "days_dropped": result.days_dropped,
                    "rows_deleted": result.rows_deleted,
                    "source_ids_forgotten": ids,
                }
                self._print(
                    out,
                    options["json"],
                    _(
                        "Purged: %(days)s days dropped, %(rows)s rows deleted, "
                        "%(ids)s source ids forgotten."
                    )
                    % {"days": result.days_dropped, "rows": result.rows_deleted, "ids": ids},
                )
                return None
            if options["action"] == "escalate-follow-up":
                return self._missed(options)
            if options["action"] == "escalate-clocks":
                n = escalate_overdue_clocks()
                text = _("%(n)s overdue clocks escalated.") % {"n": n}
                self._print({"escalated": n}, options["json"], text)
                return None
            if options["action"] == "exposures":
                write_exposures(options, lambda text: self.stdout.write(text, ending=""))
                self.stdout.write("")
                return None
            self.stdout.write(json.dumps(handle_query(options), ensure_ascii=False))
        except RuleViolation as exc:
            raise CommandError(f"{exc.field}: {exc.message}") from None
        return None

    def _import(self, options) -> None:
        report = import_scans(path=options["file"], chunk_size=max(1, options["chunk_size"]))
        text = _(
            "%(file)s: %(rows)s rows, %(imported)s imported, %(dup)s duplicates, "
            "%(bad)s rejected, %(venues)s new venues."
        ) % {
            "file": report.file,
            "rows": report.rows,
            "imported": report.imported,
            "dup": report.duplicates,
            "bad": len(report.errors),
            "venues": report.venues_created,
        }
        if not options["json"]:
            for e in report.errors:
                self.stdout.write(f"  {e['line']}: {e['field']}: {e['message']}")
        self._print(report.as_dict(), options["json"], text)

    def _missed(self, options) -> None:
        try:
            day = (
                dt.date.fromisoformat(options["day"])
                if options["day"]
                else timezone.localdate() - dt.timedelta(days=1)
            )
        except ValueError:
            raise CommandError(_("Not an ISO 8601 date.")) from None
        n = escalate_missed_reports(day=day)
        text = _("%(n)s missed reports became tasks.") % {"n": n}
        self._print({"day": day.isoformat(), "tasks": n}, options["json"], text)

    def _print(self, data: dict, as_json: bool, text: str) -> None:
        self.stdout.write(json.dumps(data, ensure_ascii=False) if as_json else text)
