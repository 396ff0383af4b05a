"""Rounds, coverage, door-knocking and the pooling advisor, under /testing/ (namespace
"testing", set in testing/urls.py)."""

from django.urls import path

from . import views, views_doorknock, views_exports, views_knock, views_stations, views_tubes

urlpatterns = [
    path("", views.round_list, name="rounds"),
    path("rounds/new/", views.round_create, name="round_new"),
    path("rounds/<id:pk>/", views.round_detail, name="round"),
    path("rounds/<id:pk>/live/", views.round_live, name="round_live"),
    path("rounds/<id:pk>/map.json", views.round_map, name="round_map"),
    path(
        "rounds/<id:pk>/export/coverage.xlsx",
        views_exports.export_coverage,
        name="export_coverage",
    ),
    path(
        "rounds/<id:pk>/export/untested.xlsx",
        views_exports.export_untested,
        name="export_untested",
    ),
    path("rounds/<id:pk>/doorknock/", views_doorknock.doorknock_generate, name="doorknock"),
    path("rounds/<id:pk>/stations/", views_stations.round_stations, name="round_stations"),
    path(
        "rounds/<id:pk>/stations/<id:station_id>/samplers/",
        views_stations.station_samplers,
        name="station_samplers",
    ),
    path("rounds/<id:pk>/tubes/", views_tubes.round_tubes, name="round_tubes"),
    path("rounds/<id:pk>/close/", views.round_close, name="round_close"),
    path("rounds/<id:pk>/roster/", views.round_roster, name="round_roster"),
    path("rounds/<id:pk>/grid/", views_doorknock.grid_work, name="grid_work"),
    path("rounds/<id:pk>/knock/", views_knock.my_households, name="knock_list"),
    path("knock/<id:task_pk>/", views_knock.household, name="knock_household"),
    path("pooling/", views.pooling, name="pooling"),
]
