"""`fangkong demo`: a ready-to-try system — demo district, demo accounts, then the server."""

from __future__ import annotations

from django.core.management import call_command, get_commands
from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from fangkong.geo.models import District

from .seed import add_seed_arguments, print_accounts, run_seed


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

    def handle(self, *args, **options):
        if District.objects.exists():
            self.stdout.write(_("The database already has a district; not generating one."))
        else:
            run_seed(self, options, replace=False)
        print_accounts(self)
        url = f"http://127.0.0.1:{options['port']}/"
        self.stdout.write(
            _("Open %(url)s and sign in with one of the accounts above.") % {"url": url}
        )
        if options["no_serve"]:
            return
        if "serve" in get_commands():
            call_command("serve", port=options["port"])
        else:  # until `serve` lands: Django's development server
            call_command("runserver", f"127.0.0.1:{options['port']}", use_reloader=False)
