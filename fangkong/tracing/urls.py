"""Tracing pages under /tracing/ (namespace "tracing")."""

from django.urls import path

from . import views

app_name = "tracing"
urlpatterns = [
    path("", views.venue_list, name="venues"),
    path("venues/<int:pk>/", views.venue_detail, name="venue"),
    path("venues/<int:pk>/poster/", views.venue_poster, name="poster"),
]
