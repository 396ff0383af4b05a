"""`fangkong outbox [--loop] [--interval S]`: the outbox worker.

One pass replays domain events whose handlers have not all applied them (a handler that
failed is retried; nothing is lost) and sends due notifications. `--loop` keeps passing every
S seconds until stopped (Ctrl+C or SIGTERM finish the current pass first).
"""

from __future__ import annotations

import signal
import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import translation
from django.utils.translation import gettext as _

from fangkong.command.services.outbox import run_outbox_pass


class Command(BaseCommand):
    help = "Replay undelivered domain events and send due notifications (once, or --loop)."

    def add_arguments(self, parser):
        parser.add_argument("--loop", action="store_true", help="keep running")
        parser.add_argument(
            "--interval", type=float, default=5.0, help="seconds between passes with --loop (5)"
        )
        parser.add_argument("--limit", type=int, default=500, help="events per pass (500)")
        parser.add_argument(
            "--max-passes", type=int, default=0, help="stop after this many passes (0: never)"
        )

    def handle(self, *args, **options):
        translation.activate(settings.LANGUAGE_CODE)
        if options["interval"] < 0 or options["limit"] < 1:
            raise CommandError(_("--interval must be ≥ 0 and --limit ≥ 1."))
        stop = {"now": False}

        def request_stop(signum, frame):
            stop["now"] = True

        previous = signal.signal(signal.SIGTERM, request_stop) if options["loop"] else None
        passes = 0
        try:
            while True:
                result = run_outbox_pass(limit=options["limit"])
                passes += 1
                if result.busy or not options["loop"] or options["verbosity"] > 1:
                    self.stdout.write(
                        _(
                            "Events delivered %(delivered)d, still failing %(failing)d; "
                            "notifications sent %(sent)d, to retry %(retried)d, failed "
                            "%(failed)d, held by the rate limit %(deferred)d."
                        )
                        % result.as_dict()
                    )
                if not options["loop"] or stop["now"]:
                    break
                if options["max_passes"] and passes >= options["max_passes"]:
                    break
                time.sleep(options["interval"])
                if stop["now"]:
                    break
        except KeyboardInterrupt:
            pass
        finally:
            if previous is not None:
                signal.signal(signal.SIGTERM, previous)
