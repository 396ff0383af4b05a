from django.urls import include, path

app_name = "testing"
urlpatterns = [
    path("", include("fangkong.testing.urls_rounds")),
    path("sampler/", include("fangkong.testing.urls_sampler")),
    path("lab/", include("fangkong.testing.urls_lab")),
]
