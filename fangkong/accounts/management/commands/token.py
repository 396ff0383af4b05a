"""`fangkong token create|revoke|list`: API tokens for sampler tablets and lab systems."""

from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import translation

from fangkong.accounts.models import DeviceToken
from fangkong.accounts.services import create_device_token, revoke_device_token
from fangkong.core.errors import RuleViolation


class Command(BaseCommand):
    help = "Create, list or revoke device tokens."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create")
        create.add_argument("--name", required=True)
        create.add_argument("--role", required=True)
        create.add_argument("--scope", required=True, help="area code the token is bound to")
        revoke = sub.add_parser("revoke")
        revoke.add_argument("id", type=int)
        sub.add_parser("list")

    def handle(self, *args, **options):
        translation.activate(settings.LANGUAGE_CODE)
        try:
            if options["action"] == "create":
                token, clear = create_device_token(
                    name=options["name"],
                    role=options["role"],
                    scope_code=options["scope"],
                    created_by=None,
                )
                self.stdout.write(f"{token.pk}\t{clear}")
            elif options["action"] == "revoke":
                token = DeviceToken.objects.filter(pk=options["id"]).first()
                if token is None:
                    raise CommandError(translation.gettext("No token with this id."))
                revoke_device_token(token=token, by=None)
                self.stdout.write(translation.gettext("Revoked."))
            else:
                for t in DeviceToken.objects.order_by("pk"):
                    state = "revoked" if t.revoked_at else "active"
                    self.stdout.write(
                        f"{t.pk}\t{t.name}\t{t.role}\t{t.scope_code}\t{t.prefix}…\t{state}"
                    )
        except RuleViolation as exc:
            raise CommandError(str(exc)) from exc
