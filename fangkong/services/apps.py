from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ServicesConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "fangkong.services"
    label = "services"
    verbose_name = _("Services to residents")

    def ready(self) -> None:
        from . import handlers  # noqa: F401 - subscribes to zone designations
