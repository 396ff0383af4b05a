"""`fangkong pooling advise --prevalence P [--max-pool K] [--population N] [--json]`.

Two-stage (Dorfman) pooling: the pool size with the fewest expected lab tests per person, or
single tubes when no pool beats them, with the dilution warning. Bad input exits non-zero with
a message naming the option, in the site's language.
"""

from __future__ import annotations

import json

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import translation
from django.utils.encoding import force_str
from django.utils.translation import gettext as _

from fangkong.testing.planning import MAX_POOL, PoolingInputError, advise_pooling


def _prevalence(raw: str) -> float:
    text = raw.strip()
    try:
        value = float(text[:-1]) / 100 if text.endswith("%") else float(text)
    except ValueError:
        raise CommandError(
            _("--prevalence must be a number between 0 and 1 (or a percentage such as 1%).")
        ) from None
    return value


def _whole(raw: str | None, message: str) -> int | None:
    if raw is None:
        return None
    try:
        return int(raw.strip())
    except ValueError:
        raise CommandError(message) from None


class Command(BaseCommand):
    help = "Advise on the pool size for a testing round (two-stage Dorfman pooling)."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        advise = sub.add_parser("advise", help="best pool size for a prevalence")
        # Read as text and checked here, so errors come in the site's language.
        advise.add_argument("--prevalence", required=True, help="expected share positive, 0..1")
        advise.add_argument("--max-pool", default=str(MAX_POOL), help="largest pool, 1..20")
        advise.add_argument("--population", default=None, help="people to test")
        advise.add_argument("--json", action="store_true", help="print JSON")

    def handle(self, *args, **options):
        translation.activate(settings.LANGUAGE_CODE)
        prevalence = _prevalence(options["prevalence"])
        max_pool = _whole(options["max_pool"], _("--max-pool must be a whole number from 1 to 20."))
        population = _whole(options["population"], _("--population must be a whole number ≥ 0."))
        try:
            advice = advise_pooling(prevalence=prevalence, max_pool=max_pool, population=population)
        except PoolingInputError as exc:
            raise CommandError(force_str(exc.message)) from exc
        if options["json"]:
            self.stdout.write(json.dumps(advice.as_dict(), ensure_ascii=False, indent=2))
            return
        if advice.individual_testing_better:
            self.stdout.write(_("Test by single tube: no pool size saves tests."))
        else:
            self.stdout.write(
                _("Best pool: %(k)d:1, %(e).3f lab tests per person.")
                % {"k": advice.pool_size, "e": advice.tests_per_person}
            )
        if advice.tubes is not None:
            self.stdout.write(
                _("Tubes: %(tubes)d; lab tests expected: %(tests)d.")
                % {"tubes": advice.tubes, "tests": advice.lab_tests_expected}
            )
        for warning in advice.warnings:
            self.stdout.write(f"! {warning}")
