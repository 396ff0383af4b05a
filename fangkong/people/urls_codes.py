from django.urls import path

from . import views_codes

# Mounted at /codes/ without a namespace: the names are unique on their own.
urlpatterns = [
    path("cards/", views_codes.sampling_code_cards, name="sampling_code_cards"),
    path("<id:resident_id>/", views_codes.sampling_code, name="sampling_code"),
]
