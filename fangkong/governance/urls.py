"""The case desk under /governance/ (namespace "governance")."""

from django.urls import path

from . import views

app_name = "governance"
urlpatterns = [
    path("", views.case_list, name="list"),
    path("report/", views.intake, name="intake"),
    path("rates/", views.rates, name="rates"),
    path("<int:pk>/", views.case_detail, name="case"),
    path("<int:pk>/<slug:step>/", views.case_step, name="step"),
]
