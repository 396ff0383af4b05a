from django.urls import include, path, re_path

from . import views_labels

app_name = "testing"
urlpatterns = [
    path("", include("fangkong.testing.urls_rounds")),
    path("sampler/", include("fangkong.testing.urls_sampler")),
    # The lab's own pages, also under /testing/lab/, are the lab app's (fangkong/urls.py).
    re_path(
        r"^lab/labels/(?P<round_id>[0-9]+)\.(?P<fmt>pdf|png)$",
        views_labels.label_sheet,
        name="labels",
    ),
]
