"""`fangkong demo`: a ready-to-try system — demo district, demo accounts, then the server."""

from __future__ import annotations

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from fangkong.geo.models import District
from fangkong.scenarios import scenario_names

from .scenario import format_replay, run_scenario
from .seed import add_seed_arguments, print_accounts, run_seed
from .serve import run_development_server


class Command(BaseCommand):
    help = (
        "Generate the demo district when the database has no district yet, make sure the "
        "demo accounts exist, print them, and serve on http://127.0.0.1:PORT/."
    )

    def add_arguments(self, parser):
        add_seed_arguments(parser)
        parser.add_argument("--port", type=int, default=8000, help="port to serve on (8000)")
        parser.add_argument(
            "--no-serve", action="store_true", help="prepare everything but do not serve"
        )
        parser.add_argument(
            "--scenario",
            choices=scenario_names(),
            help="replay a scenario (e.g. june13) as the demo commander before serving",
        )
        parser.add_argument(
            "--scale",
            type=float,
            default=1.0,
            help="scale of the scenario's figures (0 < F ≤ 1; default 1: on the 50,000-resident "
            "demo district, the newspaper's own figures)",
        )

    def handle(self, *args, **options):
        if District.objects.exists():
            self.stdout.write(_("The database already has a district; not generating one."))
        else:
            run_seed(self, options, replace=False)
        print_accounts(self)
        if options["scenario"]:
            replay = run_scenario(
                options["scenario"], scale=options["scale"], username="commander", day=None
            )
            self.stdout.write(format_replay(replay))
        url = f"http://127.0.0.1:{options['port']}/"
        self.stdout.write(
            _("Open %(url)s and sign in with one of the accounts above.") % {"url": url}
        )
        if options["no_serve"]:
            return
        run_development_server(bind=f"127.0.0.1:{options['port']}", quiet=True)
