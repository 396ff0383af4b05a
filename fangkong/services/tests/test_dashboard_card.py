"""The command dashboard shows residents' requests: open and overdue by kind and grid."""

from __future__ import annotations

from django.urls import reverse

from fangkong.accounts.models import Role


def test_the_dashboard_counts_open_and_overdue_requests(client, commander, raise_for):
    raise_for()  # raised on 13 June 2026 at 09:00: long past its clock by now
    raise_for(kind="supplies")
    client.force_login(commander)
    body = client.get(reverse("command:dashboard_live")).content.decode()
    assert 'data-testid="requests-panel"' in body
    assert ">未办结2件，超时2件<" in body  # the interface's default language is zh-Hans


def test_a_role_that_does_not_see_requests_gets_no_card(client, make_user, raise_for):
    raise_for()
    client.force_login(make_user(Role.AUDITOR))
    body = client.get(reverse("command:dashboard_live")).content.decode()
    assert 'data-testid="requests-panel"' not in body
