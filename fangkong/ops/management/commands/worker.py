"""`fangkong worker`: the task queue and the outbox loop in one process (run it under systemd).

SIGTERM or Ctrl+C lets the current task and the current outbox pass finish, then exits.
"""

from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import translation
from django.utils.crypto import get_random_string
from django.utils.translation import gettext as _
from django_tasks_db.compat import DEFAULT_TASK_BACKEND_ALIAS, DEFAULT_TASK_QUEUE_NAME
from django_tasks_db.management.commands.db_worker import Worker

from fangkong.ops.worker import OutboxLoop, run_task_queue

# Long enough for an outbox pass of `--limit` events to finish after SIGTERM.
GRACE_SECONDS = 30


class Command(BaseCommand):
    help = "Run the background task queue and deliver domain events (the production worker)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--interval", type=float, default=1.0, help="seconds between task-queue polls (1)"
        )
        parser.add_argument(
            "--outbox-interval", type=float, default=2.0, help="seconds between outbox passes (2)"
        )
        parser.add_argument("--limit", type=int, default=500, help="events per outbox pass (500)")
        parser.add_argument("--queue-name", default=DEFAULT_TASK_QUEUE_NAME, help="task queues")
        parser.add_argument("--worker-id", default="", help="unique id (default: random)")

    def handle(self, *args, **options):
        translation.activate(settings.LANGUAGE_CODE)
        if options["interval"] < 0 or options["outbox_interval"] < 0 or options["limit"] < 1:
            raise CommandError(_("--interval must be ≥ 0 and --limit ≥ 1."))
        outbox = OutboxLoop(
            interval=options["outbox_interval"], limit=options["limit"], report=self.report
        )
        worker = Worker(
            queue_names=options["queue_name"].split(","),
            interval=options["interval"],
            batch=False,
            backend_name=DEFAULT_TASK_BACKEND_ALIAS,
            startup_delay=False,
            max_tasks=None,
            worker_id=options["worker_id"] or get_random_string(32),
            excluded_queue_names=[],
        )
        # The queue's signal handlers (SIGTERM, SIGINT) finish the running task, then leave
        # through SystemExit; the outbox thread is stopped on the way out either way.
        worker.configure_signals()
        outbox.start()
        self.stdout.write(_("Worker started: task queue and outbox (Ctrl+C to stop)."))
        self.stdout.flush()
        try:
            run_task_queue(worker, retry_seconds=max(options["interval"], 0.5))
        except SystemExit as exc:
            if exc.code not in (0, None):
                raise
        finally:
            outbox.stop()
            outbox.join(GRACE_SECONDS)
            worker.reset_signals()
        self.stdout.write(_("Worker stopped."))

    def report(self, result) -> None:
        self.stdout.write(
            _(
                "Events delivered %(delivered)d, still failing %(failing)d; "
                "notifications sent %(sent)d, to retry %(retried)d, failed "
                "%(failed)d, held by the rate limit %(deferred)d."
            )
            % result.as_dict()
        )
        self.stdout.flush()
