from django.urls import path

from . import views, views_conflicts, views_excel

app_name = "people"
urlpatterns = [
    path("", views.resident_list, name="list"),
    path("<id:pk>/", views.resident_detail, name="detail"),
    path("<id:pk>/unmask/", views.resident_unmask, name="unmask"),
    path("import/", views_excel.resident_import, name="import"),
    path("import/template/", views_excel.import_template, name="import_template"),
    path("import/errors/<uuid:token>/", views_excel.import_errors, name="import_errors"),
    path("import/conflicts/", views_conflicts.import_conflicts, name="import_conflicts"),
    path(
        "import/conflicts/<id:pk>/",
        views_conflicts.decide_import_conflict,
        name="decide_import_conflict",
    ),
    path("export/", views_excel.resident_export, name="export"),
]
