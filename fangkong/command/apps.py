from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CommandConfig(AppConfig):
    name = "fangkong.command"
    label = "command"
    verbose_name = _("Command centre")

    def ready(self) -> None:
        from . import (  # noqa: F401 - subscribe to the domain events
            handlers,
            handlers_services,
            handlers_tracing,
        )
