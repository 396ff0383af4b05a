import datetime as dt

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from devtools.fixtures import G111, PASSWORD
from fangkong.accounts.models import DeviceToken, Role, User
from fangkong.accounts.services import (
    authenticate_token,
    check_login,
    create_device_token,
    create_user,
    revoke_device_token,
)
from fangkong.core.errors import RuleViolation
from fangkong.core.models import AuditAction, AuditEntry
from fangkong.geo.selectors import get_node


def test_passwords_are_hashed_with_argon2(commander):
    assert commander.password.startswith("argon2")


def test_login_page_logs_in_and_lands_on_own_area(client, grid_worker):
    response = client.post(
        reverse("accounts:login"), {"username": grid_worker.username, "password": PASSWORD}
    )
    assert response.status_code == 302
    home = client.get(reverse("home"))
    assert home.status_code == 302 and home["Location"].endswith(f"/areas/{G111}/")


def test_lockout_after_repeated_failures_even_with_right_password(settings, grid_worker):
    settings.LOGIN_MAX_FAILURES = 3
    for _ in range(3):
        assert check_login(username=grid_worker.username, password="wrong") is None
    assert check_login(username=grid_worker.username, password=PASSWORD) is None
    grid_worker.refresh_from_db()
    assert grid_worker.locked_until > timezone.now()
    actions = list(
        AuditEntry.objects.filter(username=grid_worker.username).values_list("action", flat=True)
    )
    assert actions.count(AuditAction.LOGIN_FAILED) == 2
    assert actions.count(AuditAction.LOGIN_LOCKED) == 2  # the lock, then the refused attempt


def test_lock_expires_and_success_resets_the_counter(grid_worker):
    User.objects.filter(pk=grid_worker.pk).update(
        locked_until=timezone.now() - dt.timedelta(seconds=1), failed_logins=2
    )
    assert check_login(username=grid_worker.username, password=PASSWORD) == grid_worker
    grid_worker.refresh_from_db()
    assert grid_worker.failed_logins == 0 and grid_worker.locked_until is None


def test_unknown_user_is_refused_and_audited(db):
    assert check_login(username="nobody", password="x") is None
    assert AuditEntry.objects.filter(username="nobody", action=AuditAction.LOGIN_FAILED).exists()


def test_create_user_checks_role_and_scope(district):
    with pytest.raises(RuleViolation) as exc:
        create_user(username="a", password=PASSWORD, role="king", scope_code=G111)
    assert exc.value.field == "role"
    with pytest.raises(RuleViolation) as exc:
        create_user(username="a", password=PASSWORD, role=Role.GRID_WORKER, scope_code="410172-009")
    assert exc.value.field == "scope_code"


def test_device_token_is_shown_once_stored_hashed_and_revocable(commander):
    token, clear = create_device_token(
        name="booth tablet", role=Role.SAMPLER, scope_code=G111, created_by=commander
    )
    assert clear not in token.key_hash and token.prefix == clear[:10]
    assert authenticate_token(clear) == token
    assert authenticate_token(clear + "x") is None
    revoke_device_token(token=token, by=commander)
    assert authenticate_token(clear) is None


def test_token_revoked_elsewhere_stops_working_when_the_cache_expires(commander, monkeypatch):
    from fangkong.accounts import services

    token, clear = create_device_token(
        name="tablet", role=Role.SAMPLER, scope_code=G111, created_by=commander
    )
    assert authenticate_token(clear) == token
    # Another worker process revoked it: this process's cache still trusts it until expiry.
    DeviceToken.objects.filter(pk=token.pk).update(revoked_at=timezone.now())
    assert authenticate_token(clear) == token
    monkeypatch.setattr(services, "TOKEN_CACHE_SECONDS", 0.0)
    services._token_cache.clear()
    assert authenticate_token(clear) is None


def test_api_accepts_a_device_token_and_refuses_a_revoked_one(client, commander):
    token, clear = create_device_token(
        name="lab", role=Role.LAB_TECHNICIAN, scope_code=G111, created_by=commander
    )
    response = client.get("/api/v1/accounts/me", headers={"Authorization": f"Bearer {clear}"})
    assert response.status_code == 200
    assert response.json() == {
        "username": "device:lab",
        "role": "lab_technician",
        "scope_code": G111,
    }
    client.post(reverse("accounts:login"), {"username": commander.username, "password": PASSWORD})
    client.post(reverse("accounts:token_revoke", args=[token.pk]))
    client.logout()
    assert DeviceToken.objects.get(pk=token.pk).revoked_at is not None
    response = client.get("/api/v1/accounts/me", headers={"Authorization": f"Bearer {clear}"})
    assert response.status_code == 401
    assert response.json()["errors"][0]["field"] == "authorization"


def test_tokens_page_creates_a_token_for_the_commander_only(client, commander, grid_worker):
    client.force_login(commander)
    response = client.post(
        reverse("accounts:tokens"), {"name": "booth 1", "role": Role.SAMPLER, "scope_code": G111}
    )
    assert response.status_code == 200
    clear = response.context["created"]["clear"]
    assert authenticate_token(clear).name == "booth 1"
    assert AuditEntry.objects.filter(action=AuditAction.TOKEN_CREATED).count() == 1
    # The token's area by its name, its code as a hint beside it.
    grid = get_node(G111)
    assert f'<td>{grid.name_zh} <code class="muted">{G111}</code></td>' in response.content.decode()
    client.force_login(grid_worker)
    assert client.get(reverse("accounts:tokens")).status_code == 403
    assert AuditEntry.objects.filter(
        action=AuditAction.PERMISSION_DENIED, username=grid_worker.username
    ).exists()


def test_token_cli_creates_lists_and_revokes(district, capsys):
    call_command(
        "token", "create", "--name", "lab system", "--role", Role.LAB_TECHNICIAN, "--scope", G111
    )
    pk, clear = capsys.readouterr().out.strip().split("\t")
    assert authenticate_token(clear) is not None
    call_command("token", "list")
    assert "lab system" in capsys.readouterr().out
    call_command("token", "revoke", pk)
    assert authenticate_token(clear) is None


def test_token_cli_refuses_unknown_scope_with_message(district):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError) as exc:
        call_command("token", "create", "--name", "x", "--role", Role.SAMPLER, "--scope", "999999")
    assert "scope_code" in str(exc.value)


def test_audit_page_for_auditor_and_refused_to_grid_worker(client, make_user, grid_worker):
    auditor = make_user(Role.AUDITOR)
    client.force_login(grid_worker)
    assert client.get(reverse("accounts:audit")).status_code == 403
    client.force_login(auditor)
    response = client.get(reverse("accounts:audit"), {"action": AuditAction.PERMISSION_DENIED})
    assert response.status_code == 200
    assert grid_worker.username in response.content.decode()


def test_logout_is_a_post(client, commander):
    client.force_login(commander)
    assert client.post(reverse("accounts:logout")).status_code == 302
    assert client.get(reverse("home")).status_code == 302  # back to login
