"""Lab pages under /testing/lab/ (namespace "lab"): the paths are those the pages had when
they were testing's, so bookmarks and printed instructions still work."""

from django.urls import path

from . import views, views_review

app_name = "lab"
urlpatterns = [
    path("", views.home, name="home"),
    path("receive/", views.receive, name="receive"),
    path("upload/", views.upload, name="upload"),
    path("boxes/<str:code>/", views.box, name="box"),
    path("tubes/<str:barcode>/", views.tube, name="tube"),
    path("tubes/<str:barcode>/review/", views_review.review, name="review"),
]
