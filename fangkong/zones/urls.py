"""Zone pages under /zones/ (namespace "zones")."""

from django.urls import path

from . import views

app_name = "zones"
urlpatterns = [
    path("", views.zone_list, name="list"),
    path("new/", views.designate, name="new"),
    path("map/", views.district_map, name="map"),
    path("map.json", views.map_data, name="map_data"),
    path("<int:pk>/", views.zone_detail, name="zone"),
    path("<int:pk>/shape.json", views.zone_shape, name="shape"),
    path("<int:pk>/evaluate/", views.evaluate, name="evaluate"),
    path("<int:pk>/end/", views.end_zone, name="end"),
]
