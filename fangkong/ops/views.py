"""The front door: where a user lands after login, and the health check for the load balancer."""

from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_GET

from fangkong.accounts.permissions import can


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Land each user where their work is: the command dashboard for those who watch
    incidents, the area navigator at their own scope node for everyone else."""
    if can(request.user, "view_incidents"):
        return redirect("command:dashboard")
    return redirect("areas:node", code=request.user.scope_code)


@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok", "database": connection.vendor})
