"""`fangkong broadcast --incident ID | --zone ID [--channel intercom|group_chat] [--lang zh|en]`:
print the text for the building intercoms or the residents' group chats. Nothing is sent."""

from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import translation
from django.utils.translation import gettext as _

from fangkong.command.broadcasts import CHANNELS, incident_texts, zone_texts
from fangkong.command.models import Incident
from fangkong.zones.models import RiskZone


class Command(BaseCommand):
    help = "Print the intercom or group-chat text for an incident or a zone (nothing is sent)."

    def add_arguments(self, parser):
        target = parser.add_mutually_exclusive_group(required=True)
        target.add_argument("--incident", type=int, help="incident id")
        target.add_argument("--zone", type=int, help="risk zone id")
        parser.add_argument("--channel", choices=[*CHANNELS, "all"], default="all")
        parser.add_argument("--lang", choices=["zh", "en"], default="zh")

    def handle(self, *args, **options):
        translation.activate(settings.LANGUAGE_CODE)
        if options["incident"] is not None:
            incident = Incident.objects.filter(pk=options["incident"]).first()
            if incident is None:
                raise CommandError(_("No incident has this id."))
            texts = incident_texts(incident, lang=options["lang"])
        else:
            zone = RiskZone.objects.select_related("protocol").filter(pk=options["zone"]).first()
            if zone is None:
                raise CommandError(_("No zone has this id."))
            texts = zone_texts(zone, lang=options["lang"])
        channels = CHANNELS if options["channel"] == "all" else (options["channel"],)
        for i, channel in enumerate(channels):
            if len(channels) > 1:
                self.stdout.write(("\n" if i else "") + f"[{channel}]")
            self.stdout.write(texts[channel])
