from django.urls import path, re_path

from . import views_lab

# Included under /testing/lab/ in the "testing" namespace.
urlpatterns = [
    path("", views_lab.lab_home, name="lab"),
    path("receive/", views_lab.lab_receive, name="lab_receive"),
    path("upload/", views_lab.lab_upload, name="lab_upload"),
    path("boxes/<str:code>/", views_lab.lab_box, name="lab_box"),
    re_path(
        r"^labels/(?P<round_id>[0-9]+)\.(?P<fmt>pdf|png)$", views_lab.label_sheet, name="labels"
    ),
]
