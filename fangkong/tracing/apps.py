from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TracingConfig(AppConfig):
    name = "fangkong.tracing"
    label = "tracing"
    verbose_name = _("Tracing")

    def ready(self) -> None:
        from . import handlers  # noqa: F401 - subscribes to testing's events
