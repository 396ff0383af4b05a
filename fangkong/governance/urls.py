"""The case desk under /governance/ (namespace "governance")."""

from django.urls import path

from . import views, views_petitions, views_rivers, views_wages

app_name = "governance"
urlpatterns = [
    path("", views.case_list, name="list"),
    path("report/", views.intake, name="intake"),
    path("rates/", views.rates, name="rates"),
    path("grid/", views.grid, name="grid"),
    path("petitions/new/", views_petitions.register, name="petition_new"),
    path("<id:pk>/petition/<slug:step>/", views_petitions.petition_step, name="petition_step"),
    path("rivers/", views_rivers.rivers_overview, name="rivers"),
    path("rivers/patrol/", views_rivers.patrol, name="patrol"),
    path("photos/<id:pk>/", views_rivers.photo, name="photo"),
    path("<id:pk>/hazard/assign/", views_rivers.assign, name="hazard_assign"),
    path("wages/", views_wages.overview, name="wages"),
    path("wages/projects/new/", views_wages.project_new, name="project_new"),
    path("wages/meetings/new/", views_wages.meeting_new, name="meeting_new"),
    path("wages/meetings/<id:pk>/", views_wages.meeting_detail, name="meeting"),
    path("<id:pk>/wage/<slug:step>/", views_wages.wage_step, name="wage_step"),
    path("<id:pk>/", views.case_detail, name="case"),
    path("<id:pk>/<slug:step>/", views.case_step, name="step"),
]
