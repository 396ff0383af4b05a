"""The audit log names roles and kinds of record in words, never by their codes."""

import re
from pathlib import Path

from django.urls import reverse

from fangkong.accounts.models import Role
from fangkong.core.audit_labels import OBJECT_TYPE_LABELS
from fangkong.core.models import AuditAction
from fangkong.core.services import record_audit

PACKAGE = Path(__file__).resolve().parents[2]


def test_the_audit_page_shows_role_and_record_kind_in_chinese(client, make_user, commander):
    auditor = make_user(Role.AUDITOR)
    record_audit(
        user=commander,
        action=AuditAction.PERMISSION_DENIED,
        object_type="testing_round",
        object_id=7,
        area_code=commander.scope_code,
    )
    record_audit(user=commander, action=AuditAction.PERMISSION_DENIED, object_type="some_code")
    client.force_login(auditor)
    body = client.get(reverse("accounts:audit"), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    table = body[body.index('data-testid="audit-table"') :]
    assert "区指挥部" in table and "检测轮次 7" in table and "其他记录" in table
    assert "<td>district_commander</td>" not in table
    assert "testing_round" not in table and "some_code" not in table


def test_every_record_kind_the_code_writes_has_a_label():
    written = set()
    for source in PACKAGE.rglob("*.py"):
        if "tests" in source.parts:
            continue
        written |= set(re.findall(r'object_type="([a-z_]+)"', source.read_text(encoding="utf-8")))
    assert written - set(OBJECT_TYPE_LABELS) == set()


def test_the_audit_page_names_the_area_and_keeps_its_code_as_a_hint(
    client, make_user, commander, residents
):
    from fangkong.geo.selectors import get_node

    record_audit(
        user=commander,
        action=AuditAction.PERMISSION_DENIED,
        object_type="testing_round",
        object_id=7,
        area_code=commander.scope_code,
    )
    client.force_login(make_user(Role.AUDITOR))
    body = client.get(reverse("accounts:audit"), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    table = body[body.index('data-testid="audit-table"') :]
    name = get_node(commander.scope_code).name_zh
    assert f'{name} <code class="muted">{commander.scope_code}</code>' in table
    assert f"<td>{commander.scope_code}</td>" not in table
