from django.urls import path

from . import views, views_excel

app_name = "people"
urlpatterns = [
    path("", views.resident_list, name="list"),
    path("<int:pk>/", views.resident_detail, name="detail"),
    path("<int:pk>/unmask/", views.resident_unmask, name="unmask"),
    path("import/", views_excel.resident_import, name="import"),
    path("import/template/", views_excel.import_template, name="import_template"),
    path("import/errors/<uuid:token>/", views_excel.import_errors, name="import_errors"),
    path("export/", views_excel.resident_export, name="export"),
]
