from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from django.views.i18n import JavaScriptCatalog

from fangkong.api import api
from fangkong.ops import views as ops_views

urlpatterns = [
    # First: devices post a batch every few milliseconds, and each pattern before the one
    # that matches is one more regular expression tried per request.
    path("api/", api.urls),
    path("", ops_views.home, name="home"),
    path("healthz", ops_views.healthz, name="healthz"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("jsi18n/", JavaScriptCatalog.as_view(), name="javascript-catalog"),
    path("accounts/", include("fangkong.accounts.urls")),
    path("areas/", include("fangkong.people.urls_areas")),
    path("residents/", include("fangkong.people.urls")),
    path("codes/", include("fangkong.people.urls_codes")),
    # Before testing's: the lab's pages live under /testing/lab/ as they always have.
    path("testing/lab/", include("fangkong.lab.urls")),
    path("testing/", include("fangkong.testing.urls")),
    path("zones/", include("fangkong.zones.urls")),
    path("tracing/", include("fangkong.tracing.urls")),
    path("command/", include("fangkong.command.urls")),
    path("governance/", include("fangkong.governance.urls")),
    path("services/", include("fangkong.services.urls")),
    path("open311/v2/", include("fangkong.governance.urls_open311")),
    path("scenarios/", include("fangkong.scenarios.urls")),
    path("admin/", admin.site.urls),
]

admin.site.site_header = "防控 Fangkong"
admin.site.site_title = "Fangkong"

if settings.DEBUG:  # pragma: no cover - static files are served by whitenoise in production
    pass
