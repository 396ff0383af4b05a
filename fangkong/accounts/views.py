from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from fangkong.core.areas import within_q
from fangkong.core.errors import RuleViolation
from fangkong.core.http import add_rule_error, client_ip
from fangkong.core.models import AuditEntry
from fangkong.geo.selectors import area_names

from .forms import DeviceTokenForm, LoginForm
from .models import DeviceToken
from .services import create_device_token, require_permission, revoke_device_token


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True


@login_required
def token_list(request: HttpRequest) -> HttpResponse:
    require_permission(
        actor=request.user,
        action="manage_devices",
        ip=client_ip(request),
        object_type="device_token",
    )
    created = None
    form = DeviceTokenForm(request.POST or None, initial={"scope_code": request.user.scope_code})
    if request.method == "POST" and form.is_valid():
        require_permission(
            actor=request.user,
            action="manage_devices",
            area_code=form.cleaned_data["scope_code"],
            ip=client_ip(request),
            object_type="device_token",
        )
        try:
            token, clear = create_device_token(created_by=request.user, **form.cleaned_data)
            created = {"token": token, "clear": clear}
            form = DeviceTokenForm(initial={"scope_code": request.user.scope_code})
        except RuleViolation as exc:
            add_rule_error(form, exc)
    scope = request.user.scope_code
    tokens = list(DeviceToken.objects.filter(within_q(scope, "scope_code")).order_by("-created_at"))
    names = area_names(t.scope_code for t in tokens)
    for t in tokens:
        t.area_name = names.get(t.scope_code, "")
    return render(
        request, "accounts/tokens.html", {"form": form, "tokens": tokens, "created": created}
    )


@login_required
@require_POST
def token_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    token = get_object_or_404(DeviceToken, pk=pk)
    require_permission(
        actor=request.user,
        action="manage_devices",
        area_code=token.scope_code,
        ip=client_ip(request),
        object_type="device_token",
        object_id=pk,
    )
    revoke_device_token(token=token, by=request.user)
    return redirect("accounts:tokens")


@login_required
def audit_log(request: HttpRequest) -> HttpResponse:
    require_permission(
        actor=request.user, action="view_audit_log", ip=client_ip(request), object_type="audit_log"
    )
    scope = request.user.scope_code
    entries = AuditEntry.objects.filter(area_code__startswith=scope) | AuditEntry.objects.filter(
        area_code=""
    )
    action = request.GET.get("action")
    if action:
        entries = entries.filter(action=action)
    page = Paginator(entries.order_by("-at", "-id"), 50).get_page(request.GET.get("page"))
    names = area_names(e.area_code for e in page)
    for e in page:
        e.area_name = names.get(e.area_code, "")
    return render(
        request,
        "accounts/audit.html",
        {"page": page, "action": action, "actions": AuditEntry._meta.get_field("action").choices},
    )
