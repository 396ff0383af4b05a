from django.urls import path

from . import views

app_name = "geo"
urlpatterns = [
    path("<str:code>/", views.node, name="node"),
]
