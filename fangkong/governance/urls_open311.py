"""Open311 GeoReport v2 under /open311/v2/ (namespace "open311")."""

from django.urls import path

from . import open311

app_name = "open311"
urlpatterns = [
    path("services.json", open311.services, name="services"),
    path("services/<slug:service_code>.json", open311.service_definition, name="service"),
    path("requests.json", open311.requests_json, name="requests"),
    path("requests/<id:request_id>.json", open311.request_json, name="request"),
]
