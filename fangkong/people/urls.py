from django.urls import path

from . import views

app_name = "people"
urlpatterns = [
    path("", views.resident_list, name="list"),
    path("<int:pk>/", views.resident_detail, name="detail"),
    path("<int:pk>/unmask/", views.resident_unmask, name="unmask"),
]
