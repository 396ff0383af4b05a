from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OpsConfig(AppConfig):
    """The top layer's commands: they wire every domain together (demo, seed, serve, worker…).

    It sits above every domain app, so `core` stays at the bottom and imports none of them.
    """

    name = "fangkong.ops"
    label = "ops"
    verbose_name = _("Operations")
