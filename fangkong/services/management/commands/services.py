"""`fangkong services sweep|extend-care`: the request clock sweep and the daily care plan."""

from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils import translation

from fangkong.services.services.care_templates import extend_care_templates
from fangkong.services.services.sweep import sweep_overdue_requests


class Command(BaseCommand):
    help = "Sweep overdue requests; extend recurring care (welfare checks, dialysis, refills)."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("sweep", help="escalate overdue requests into tasks")
        sub.add_parser("extend-care", help="plan the next days of every recurring care template")

    def handle(self, *args, **options):
        translation.activate(settings.LANGUAGE_CODE)
        if options["action"] == "sweep":
            r = sweep_overdue_requests()
            self.stdout.write(
                f"overdue {r.overdue}\tescalated {r.escalated}\ttasks created {r.tasks_created}"
            )
        else:
            e = extend_care_templates()
            self.stdout.write(
                f"templates {e.templates}\ttasks created {e.tasks_created}\tended {e.ended}"
            )
