from django.urls import path

from . import views_sampler

# Included under /testing/sampler/ in the "testing" namespace.
urlpatterns = [
    path("", views_sampler.sampler, name="sampler"),
    path("<id:station_id>/", views_sampler.sampler_station, name="sampler_station"),
    path(
        "<id:station_id>/tubes/<str:barcode>/",
        views_sampler.sampler_tube,
        name="sampler_tube",
    ),
]
