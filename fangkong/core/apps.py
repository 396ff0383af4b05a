from django.apps import AppConfig
from django.urls import register_converter
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "fangkong.core"
    label = "core"
    verbose_name = _("Core")

    def ready(self) -> None:
        # Before any URLconf is read: every app's routes take record keys as <id:…>.
        from .keys import KeyConverter

        register_converter(KeyConverter, "id")
