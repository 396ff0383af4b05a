from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CommandConfig(AppConfig):
    name = "fangkong.command"
    label = "command"
    verbose_name = _("Command centre")

    def ready(self) -> None:
        from . import (
            handlers,  # noqa: F401 - subscribes to the domain events
            handlers_services,  # noqa: F401 - and to the services app's
        )
