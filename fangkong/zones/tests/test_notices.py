"""Notices: numbered per district and year (a drill's in its own series), archived as issued,
in Chinese and English, HTML and a PDF that embeds its CJK font."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from devtools.fixtures import C11, G111, G211
from devtools.pdf import pdf_fonts
from fangkong.accounts.models import Role
from fangkong.core.errors import RuleViolation
from fangkong.zones.models import Notice, RiskZone
from fangkong.zones.notice_text import render_notice_pdf
from fangkong.zones.protocols import get_preset
from fangkong.zones.services.lifting import downgrade_zone, lift_zone
from fangkong.zones.services.notices import issue_notice

from .conftest import B1121, COMPOUND


@pytest.fixture
def sealed(designate, people):
    at = timezone.make_aware(dt.datetime(2022, 6, 13, 4, 0))
    return designate("sealed", [COMPOUND, B1121], designated_at=at)


def test_a_designation_notice_is_numbered_and_archived(sealed, commander):
    notice = issue_notice(user=commander, zones=[sealed], kind="designation")
    assert (notice.district_code, notice.year, notice.number) == ("410172", 2022, 1)
    # GB/T 9704: the issuer's prefix, the year in 〔〕, the number with 号 and no 第.
    assert notice.number_label == "高新防控〔2022〕1号"
    assert notice.title_zh == "关于划定封控区的通告"
    assert notice.title_en == "Notice on the designation of sealed zones"
    html = notice.html_zh
    # The compound said once, its buildings as a range, no nested brackets.
    assert "自2022年6月13日4时起" in html and "瓦屋李新居1—2号楼" in html
    assert "瓦屋李新居（" not in html and "瓦屋李新居瓦屋李新居" not in html
    assert "1号楼" in html and "一、封控区：瓦屋李新居等封控区" in html
    assert "（一）区域封闭、足不出户、服务上门。" in html and "特此通告。" in html
    assert "高新区疫情防控指挥部" in html and "2022年" in html
    assert "04:00 on 13 June 2022" in notice.html_en and "Sealed zone" in notice.html_en
    assert "The area is closed" in notice.html_en
    second = issue_notice(user=commander, zones=[sealed], kind="designation")
    assert second.number == 2 and list(second.zones.all()) == [sealed]


def test_the_pdf_embeds_its_fonts(sealed, commander):
    notice = issue_notice(user=commander, zones=[sealed], kind="designation")
    pdf = bytes(notice.pdf_zh)
    assert pdf.startswith(b"%PDF-") and pdf.rstrip().endswith(b"%%EOF")
    assert b"/STSong-Light" not in pdf
    english = render_notice_pdf(notice.content, "en")
    for document in (pdf, english):
        fonts = pdf_fonts(document)
        assert fonts and all(fonts.values()), fonts


def test_a_drill_notice_is_marked_and_numbered_apart(sealed, commander):
    official = issue_notice(user=commander, zones=[sealed], kind="designation")
    drills = [
        issue_notice(user=commander, zones=[sealed], kind="designation", drill=True)
        for _ in range(2)
    ]
    again = issue_notice(user=commander, zones=[sealed], kind="designation")
    assert [d.number_label for d in drills] == [
        "高新防控演练〔2022〕1号",
        "高新防控演练〔2022〕2号",
    ]
    assert drills[0].html_zh.count("演练") >= 2 and "DRILL" in drills[0].html_en
    # Drills never take an official number.
    assert (official.number_label, again.number_label) == (
        "高新防控〔2022〕1号",
        "高新防控〔2022〕2号",
    )
    assert "演练" not in official.html_zh


def test_numbers_restart_each_year(designate, people, commander):
    old = designate(
        "controlled", [G111], designated_at=timezone.make_aware(dt.datetime(2022, 12, 30))
    )
    new = designate(
        "controlled", [G211], designated_at=timezone.make_aware(dt.datetime(2023, 1, 2))
    )
    assert issue_notice(user=commander, zones=[old], kind="designation").number == 1
    first_of_2023 = issue_notice(user=commander, zones=[new], kind="designation")
    assert (first_of_2023.year, first_of_2023.number) == (2023, 1)


def test_lift_and_downgrade_notices_follow_the_zone(designate, people, run_round, commander):
    t0 = (timezone.localtime() - dt.timedelta(days=10)).replace(hour=9, minute=0)
    nine = get_preset("cn-9th-edition-2022")
    high = designate("high", [B1121], protocol=nine, designated_at=t0)
    with pytest.raises(RuleViolation) as caught:
        issue_notice(user=commander, zones=[high], kind="lift")
    assert caught.value.code == "not_lifted"
    run_round(high, 7, [people["刘洋"], people["陈静"]])
    day7 = t0 + dt.timedelta(days=6, hours=8)
    medium = downgrade_zone(zone=high, user=commander, reason="第7天全员阴性", now=day7)
    high = RiskZone.objects.get(pk=high.pk)
    notice = issue_notice(user=commander, zones=[high], kind="downgrade")
    assert notice.title_zh == "关于调整风险区域的通告"
    assert "由高风险区调整为中风险区" in notice.html_zh and "人不出区、错峰取物" in notice.html_zh
    assert "from High-risk area to Medium-risk area" in notice.html_en
    assert medium.name in RiskZone.objects.get(pk=medium.pk).name


def test_a_lift_notice(designate, people, run_round, commander):
    t0 = (timezone.localtime() - dt.timedelta(days=3)).replace(hour=9, minute=0)
    still = designate("standstill", [B1121], designated_at=t0)
    run_round(still, 1, [people["刘洋"], people["陈静"]])
    lift_zone(zone=still, user=commander, reason="全部阴性", now=t0 + dt.timedelta(hours=10))
    notice = issue_notice(user=commander, zones=[RiskZone.objects.get(pk=still.pk)], kind="lift")
    # 解除临时静态管理 (解封 is for sealed zones only), the zone's kind said once.
    assert notice.title_zh == "关于解除瓦屋李社区第二网格1号楼临时静态管理的通告"
    assert "解封" not in notice.html_zh and "起解除临时静态管理" in notice.html_zh
    assert (
        "恢复正常生产生活秩序" in notice.html_zh and "normal life and work resume" in notice.html_en
    )


def test_the_pages_list_show_and_print_notices(client, commander, people, make_user):
    client.force_login(commander)
    r = client.post(
        reverse("zones:new"),
        {
            "protocol": get_preset().pk,
            "kind": "sealed",
            "compounds": [COMPOUND],
            "issue_notice": "on",
        },
    )
    assert r.status_code == 302
    notice = Notice.objects.get()
    listing = client.get(reverse("zones:notices")).content.decode()
    assert notice.number_label in listing and "关于划定封控区的通告" in listing
    zone_page = client.get(r["Location"]).content.decode()
    assert notice.number_label in zone_page and 'data-testid="issue-notice"' not in zone_page
    page = client.get(reverse("zones:notice", args=[notice.pk])).content.decode()
    assert 'data-testid="notice-doc"' in page and "瓦屋李新居1—2号楼" in page
    english = client.get(reverse("zones:notice", args=[notice.pk]), {"lang": "en"})
    assert "Notice on the designation of sealed zones" in english.content.decode()
    pdf = client.get(reverse("zones:notice_pdf", args=[notice.pk]))
    assert pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF-")
    pdf_en = client.get(reverse("zones:notice_pdf", args=[notice.pk]), {"lang": "en"})
    assert pdf_en.content.startswith(b"%PDF-")
    client.force_login(make_user(Role.GRID_WORKER, G211))
    assert client.get(reverse("zones:notice", args=[notice.pk])).status_code == 403
    assert notice.number_label not in client.get(reverse("zones:notices")).content.decode()


__all__ = ["C11"]


def test_the_notice_archive_pages_by_page(client, sealed, commander, monkeypatch):
    monkeypatch.setattr("fangkong.core.http.PAGE_SIZE", 2)
    for _ in range(3):
        issue_notice(user=commander, zones=[sealed], kind="designation")
    client.force_login(commander)
    first = client.get(reverse("zones:notices")).content.decode()
    assert first.count('data-testid="notice-row"') == 2 and 'href="?page=2"' in first
    second = client.get(reverse("zones:notices"), {"page": 2}).content.decode()
    assert second.count('data-testid="notice-row"') == 1 and 'href="?page=1"' in second
