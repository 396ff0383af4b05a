"""`fangkong protocol list | show NAME [--version N] [--json] | load [FILE ...]`.

Presets are data: `load` validates the shipped YAML files (or the files given) and stores each
(name, version); a broken file is refused with its file, key and reason, and nothing is stored.
"""

from __future__ import annotations

import json

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import translation
from django.utils.translation import gettext as _

from fangkong.zones.models import ProtocolPreset
from fangkong.zones.protocol_schema import PresetError
from fangkong.zones.protocols import (
    default_preset_name,
    ensure_presets_loaded,
    get_preset,
    load_presets,
)


class Command(BaseCommand):
    help = "List, show and load protocol presets."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("list", help="the presets in the database")
        show = sub.add_parser("show", help="one preset as loaded")
        show.add_argument("name")
        show.add_argument("--version", dest="preset_version", type=int, default=None)
        show.add_argument("--json", action="store_true", help="print JSON")
        load = sub.add_parser("load", help="validate and load preset files")
        load.add_argument("files", nargs="*", help="YAML files (default: the shipped presets)")

    def handle(self, *args, **options):
        translation.activate(settings.LANGUAGE_CODE)
        action = options["action"]
        if action == "load":
            try:
                results = load_presets(options["files"] or None)
            except PresetError as exc:
                raise CommandError(str(exc)) from None
            for r in results:
                self.stdout.write(f"{r.name} v{r.version}: {r.status}")
            return
        ensure_presets_loaded()
        if action == "list":
            default = default_preset_name()
            for p in ProtocolPreset.objects.order_by("name", "version"):
                mark = " *" if p.name == default else ""
                kinds = ", ".join(z["kind"] for z in p.data["zones"])
                self.stdout.write(f"{p.name} v{p.version}{mark}  [{kinds}]  {p.title}")
            return
        preset = get_preset(options["name"], options["preset_version"])
        if preset is None:
            raise CommandError(_("No preset named %(name)s.") % {"name": options["name"]})
        if options["json"]:
            self.stdout.write(json.dumps(preset.data, ensure_ascii=False, indent=2))
            return
        self._show(preset)

    def _show(self, preset: ProtocolPreset) -> None:
        d = preset.data
        self.stdout.write(f"{d['name']} v{d['version']}: {d['title']['zh']} / {d['title']['en']}")
        for z in d["zones"]:
            lift = z["lift"]
            self.stdout.write(
                f"  {z['kind']:<10} {z['name']['zh']} ({z['regime']}) "
                f"test days {z['test_days']} first round ≤{z['first_round_within_hours']} h "
                f"pool {z['default_pool_size']} "
                f"lift: {lift['days_without_infection']} days clean, final round "
                f"{lift['final_round_days_before_lift']} days before; "
                f"downgrade to {z['downgrade_to']}"
            )
        for c in d["contacts"]:
            orders = " + ".join(f"{o['kind']} {o['days']} d" for o in c["orders"])
            self.stdout.write(f"  contact {c['tier']:<9} {orders}; test days {c['test_days']}")
