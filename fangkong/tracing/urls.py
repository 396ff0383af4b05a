"""Tracing pages under /tracing/ (namespace "tracing")."""

from django.urls import path

from . import (
    views,
    views_cases,
    views_chains,
    views_exposures,
    views_followup,
    views_orders,
    views_pushed,
    views_pushed_out,
)

app_name = "tracing"
urlpatterns = [
    path("", views.venue_list, name="venues"),
    path("venues/<id:pk>/", views.venue_detail, name="venue"),
    path("venues/<id:pk>/poster/", views.venue_poster, name="poster"),
    path("exposures/", views_exposures.exposures, name="exposures"),
    path("exposures/decide/", views_exposures.decide, name="decide"),
    path("cases/", views_cases.case_list, name="cases"),
    path("cases/<id:pk>/", views_cases.case_detail, name="case"),
    path(
        "cases/from-resident/<id:resident>/",
        views_cases.case_from_resident,
        name="case_from_resident",
    ),
    path("cases/<id:pk>/household/", views_cases.case_household, name="case_household"),
    path(
        "cases/<id:pk>/contacts/<id:contact>/orders/",
        views_cases.contact_orders,
        name="contact_orders",
    ),
    path("cases/<id:pk>/<str:clock>/", views_cases.case_clock, name="case_clock"),
    path("chains/", views_chains.chains, name="chains"),
    path("chains/<id:cluster>.json", views_chains.chain_data, name="chain_data"),
    path("orders/", views_orders.orders, name="orders"),
    path("orders/issue/", views_orders.issue, name="issue"),
    path("orders/<id:pk>/", views_orders.order_detail, name="order"),
    path("orders/<id:pk>/notice.pdf", views_orders.order_pdf, name="order_pdf"),
    path("orders/<id:pk>/release/", views_orders.release, name="release"),
    path("orders/<id:pk>/transfer/", views_orders.transfer, name="transfer"),
    path("sites/new/", views_orders.site_new, name="site_new"),
    path("follow-up/", views_followup.follow_up, name="follow_up"),
    path("follow-up/<id:pk>/record/", views_followup.follow_up_record, name="follow_up_record"),
    path("report/<str:token>/", views_followup.self_report, name="self_report"),
    path("pushed/", views_pushed.pushed_lists, name="pushed_lists"),
    path("pushed-out/", views_pushed_out.pushed_out, name="pushed_out"),
    path("pushed/<id:pk>/", views_pushed.pushed_detail, name="pushed"),
    path("pushed/<id:pk>/rows/<id:row>/close/", views_pushed.pushed_close, name="pushed_close"),
    path("pushed/<id:pk>/rows/<id:row>/case/", views_pushed.pushed_case, name="pushed_case"),
]
