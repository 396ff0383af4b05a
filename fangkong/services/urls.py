"""Pages under /services/ (namespace "services")."""

from django.urls import path

from . import views, views_trips

app_name = "services"
urlpatterns = [
    path("", views.board, name="board"),
    path("requests/new/", views.raise_page, name="raise"),
    path("requests/<int:pk>/", views.request_detail, name="request"),
    path("requests/<int:pk>/trip/", views_trips.trip_plan, name="trip_plan"),
    path("requests/<int:pk>/trip/<slug:step>/", views_trips.trip_step, name="trip_step"),
    path("requests/<int:pk>/<slug:step>/", views.request_step, name="step"),
    path("care/", views.care_list, name="care"),
    path("care/<int:resident_id>/", views.care_profile, name="care_profile"),
]
