"""Pages under /services/ (namespace "services")."""

from django.urls import path

from . import (
    views,
    views_counselling,
    views_resident,
    views_supplies,
    views_trips,
    views_volunteers,
)

app_name = "services"
urlpatterns = [
    path("", views.board, name="board"),
    path("requests/new/", views.raise_page, name="raise"),
    path("requests/<id:pk>/", views.request_detail, name="request"),
    path("requests/<id:pk>/trip/", views_trips.trip_plan, name="trip_plan"),
    path("requests/<id:pk>/trip/<slug:step>/", views_trips.trip_step, name="trip_step"),
    path(
        "requests/<id:pk>/counsellor/",
        views_counselling.counsellor_assign,
        name="counsellor_assign",
    ),
    path(
        "requests/<id:pk>/notes/new/", views_counselling.counselling_note, name="counselling_note"
    ),
    path("requests/<id:pk>/notes/", views_counselling.counselling_notes, name="counselling_notes"),
    path("requests/<id:pk>/<slug:step>/", views.request_step, name="step"),
    path("care/", views.care_list, name="care"),
    path("volunteer/", views_volunteers.signup, name="signup"),
    path("me/<str:token>/", views_resident.resident_page, name="resident_page"),
    path("volunteers/", views_volunteers.volunteers, name="volunteers"),
    path("volunteers/<id:pk>/review/", views_volunteers.review, name="review"),
    path("shifts/<id:pk>/", views_volunteers.shift_page, name="shift"),
    path("rota/", views_volunteers.duty_rota, name="rota"),
    path("supplies/", views_supplies.supplies, name="supplies"),
    path("supplies/packages/<id:pk>/", views_supplies.package_detail, name="package"),
    path("supplies/runs/<id:pk>/", views_supplies.run_page, name="run"),
    path("supplies/group-orders/<id:pk>/", views_supplies.group_order_page, name="group_order"),
    path("care/<id:resident_id>/", views.care_profile, name="care_profile"),
]
