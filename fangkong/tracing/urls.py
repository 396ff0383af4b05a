"""Tracing pages under /tracing/ (namespace "tracing")."""

from django.urls import path

from . import views, views_exposures

app_name = "tracing"
urlpatterns = [
    path("", views.venue_list, name="venues"),
    path("venues/<int:pk>/", views.venue_detail, name="venue"),
    path("venues/<int:pk>/poster/", views.venue_poster, name="poster"),
    path("exposures/", views_exposures.exposures, name="exposures"),
    path("exposures/decide/", views_exposures.decide, name="decide"),
]
