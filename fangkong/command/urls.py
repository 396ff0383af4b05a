"""The command centre under /command/ (namespace "command")."""

from django.urls import path

from . import views, views_bulletins, views_drills, views_rollcall

app_name = "command"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("live/", views.dashboard_live, name="dashboard_live"),
    path("map.json", views.dashboard_map, name="dashboard_map"),
    path("incidents/", views.incident_list, name="incidents"),
    path("incidents/new/", views.incident_new, name="incident_new"),
    path("incidents/<id:pk>/", views.incident_detail, name="incident"),
    path("incidents/<id:pk>/note/", views.incident_note, name="incident_note"),
    path("incidents/<id:pk>/role/", views.incident_role, name="incident_role"),
    path("incidents/<id:pk>/commander/", views.incident_commander, name="incident_commander"),
    path("incidents/<id:pk>/close/", views.incident_close, name="incident_close"),
    path("incidents/<id:pk>/task/", views.incident_task, name="incident_task"),
    path("incidents/<id:pk>/wipe/", views_drills.incident_wipe, name="incident_wipe"),
    path(
        "incidents/<id:pk>/notify-retests/",
        views.incident_notify_retests,
        name="incident_notify_retests",
    ),
    path(
        "incidents/<id:pk>/bulletin/", views_bulletins.incident_bulletin, name="incident_bulletin"
    ),
    path("roll-call/", views_rollcall.roll_calls, name="roll_calls"),
    path(
        "roll-call/<id:pk>/confirm/",
        views_rollcall.roll_call_confirm,
        name="roll_call_confirm",
    ),
    path("tasks/<id:pk>/state/", views.task_state, name="task_state"),
    path("bulletins/", views_bulletins.bulletin_list, name="bulletins"),
    path("bulletins/<id:pk>/", views_bulletins.bulletin_detail, name="bulletin"),
    path("bulletins/<id:pk>.pdf", views_bulletins.bulletin_download, name="bulletin_pdf"),
    path("notifications/", views_bulletins.notification_list, name="notifications"),
    path("notifications/badge/", views_bulletins.notification_badge, name="notification_badge"),
    path("broadcasts/", views_bulletins.broadcasts, name="broadcasts"),
]
