"""Run a scenario from the demo's pages. URL names are global (no app namespace), so a
template can say `{% url 'scenario_run' 'june13' %}`."""

from django.urls import path

from . import views

urlpatterns = [
    path("<slug:name>/run/", views.run_scenario, name="scenario_run"),
]
