"""Zone pages under /zones/ (namespace "zones")."""

from django.urls import path

from . import views, views_checkpoints, views_notices

app_name = "zones"
urlpatterns = [
    path("", views.zone_list, name="list"),
    path("new/", views.designate, name="new"),
    path("map/", views.district_map, name="map"),
    path("map.json", views.map_data, name="map_data"),
    path("<id:pk>/", views.zone_detail, name="zone"),
    path("<id:pk>/shape.json", views.zone_shape, name="shape"),
    path("<id:pk>/evaluate/", views.evaluate, name="evaluate"),
    path("<id:pk>/end/", views.end_zone, name="end"),
    path("<id:pk>/checkpoints/new/", views_checkpoints.checkpoint_new, name="checkpoint_new"),
    path("<id:pk>/passes/new/", views_checkpoints.pass_new, name="pass_new"),
    path("<id:pk>/notices/new/", views_notices.notice_new, name="notice_new"),
    path("notices/", views_notices.notice_list, name="notices"),
    path("notices/<id:pk>/", views_notices.notice_detail, name="notice"),
    path("notices/<id:pk>.pdf", views_notices.notice_pdf, name="notice_pdf"),
    path("checkpoints/", views_checkpoints.my_checkpoints, name="checkpoints"),
    path("checkpoints/<id:pk>/", views_checkpoints.guard_page, name="guard"),
    path("checkpoints/<id:pk>/scan/", views_checkpoints.guard_scan, name="guard_scan"),
    path("checkpoints/<id:pk>/duty/", views_checkpoints.guard_duty, name="guard_duty"),
    path("passes/<id:pk>/", views_checkpoints.pass_detail, name="pass"),
    path("passes/<id:pk>/revoke/", views_checkpoints.pass_revoke, name="pass_revoke"),
]
