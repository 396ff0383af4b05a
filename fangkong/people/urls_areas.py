from django.urls import path

from . import views_areas as views

app_name = "areas"
urlpatterns = [
    path("<str:code>/", views.node, name="node"),
]
