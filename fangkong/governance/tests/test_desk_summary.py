"""The command centre's view of the case desk: open and overdue cases by kind and the
grids whose matters are most overdue, within the viewer's area."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.urls import reverse
from django.utils import timezone, translation

from devtools.fixtures import G111, G112, S2
from fangkong.accounts.models import Role
from fangkong.geo.models import Grid
from fangkong.governance.selectors import desk_summary


def test_the_dashboard_shows_open_and_overdue_matters_by_kind_and_grid(
    client, report, commander, make_user
):
    long_ago = timezone.now() - dt.timedelta(days=40)
    report(title="河岸垃圾", kind="rubbish", area_code=G111, now=long_ago)  # far past its clock
    report(title="路灯不亮", kind="rubbish", area_code=G112, user=commander, now=timezone.now())
    report(title="已就地办结", kind="rubbish", area_code=G112, user=commander, handled_on_spot=True)

    desk = desk_summary(user=commander)
    assert (desk.open, desk.overdue) == (2, 1)
    assert [(code, n, late) for code, _name, n, late in desk.grids] == [(G111, 1, 1), (G112, 1, 0)]

    client.force_login(commander)
    body = client.get(reverse("command:dashboard_live")).content.decode()
    assert 'data-testid="desk-panel"' in body and 'data-testid="desk-grids"' in body
    assert desk.grids[0][1] in body  # the grid by its name

    other = make_user(Role.SUBDISTRICT_STAFF, S2)
    assert (desk_summary(user=other).open, desk_summary(user=other).grids) == (0, [])


def test_the_desk_names_a_grid_in_the_viewers_language(client, report, commander):
    Grid.objects.filter(code=G111).update(name_zh="梧桐一格", name_en="Wutong Grid One")
    report(title="河岸垃圾", kind="rubbish", area_code=G111, now=timezone.now())

    with translation.override("en"):
        assert desk_summary(user=commander).grids[0][1] == "Wutong Grid One"
    with translation.override("zh-hans"):
        assert desk_summary(user=commander).grids[0][1] == "梧桐一格"

    client.force_login(commander)
    url = reverse("command:dashboard_live")
    assert "梧桐一格" in client.get(url).content.decode()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"  # the language switch
    assert "Wutong Grid One" in client.get(url).content.decode()
