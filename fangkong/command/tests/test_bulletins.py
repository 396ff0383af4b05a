"""Bulletins: written from the rows in the district's register (Chinese and English), as HTML
and PDF, archived under gapless numbers per district and year."""

import datetime as dt
import threading
import time

import pytest
from django.db import OperationalError, connection
from django.urls import reverse
from django.utils import timezone

from devtools.pdf import pdf_fonts
from fangkong.command.bulletin_pdf import bulletin_pdf
from fangkong.command.models import Bulletin, BulletinKind
from fangkong.command.services.bulletins import write_daily_bulletin, write_incident_bulletin
from fangkong.command.services.incidents import close_incident
from fangkong.core.errors import PermissionDeniedError, RuleViolation
from fangkong.testing.models import RetestOrder, RetestState, Tube, TubeState
from fangkong.testing.services.rounds import create_tubes

from .conftest import C11, S1, D


@pytest.fixture
def environment_tube(mass_round):
    """Eight tubes of eighty points on the seed page; here one of ten, collected."""
    tube = create_tubes(round=mass_round, count=1, kind="environment", swab_points=10)[0]
    Tube.objects.filter(pk=tube.pk).update(state=TubeState.SEALED, sealed_at=timezone.now())
    return tube


def test_the_incident_bulletin_reads_like_the_districts_own(staff, positive_pool, environment_tube):
    year = timezone.localdate().year
    bulletin = write_incident_bulletin(incident=positive_pool, user=staff["commander"])
    assert bulletin.kind == BulletinKind.INCIDENT and bulletin.incident == positive_pool
    # GB/T 9704: the document number with the issuer's prefix and no 第, a subject line.
    assert bulletin.reference_zh == f"高新防控通报〔{year}〕1号"
    assert bulletin.title_zh == "关于梧桐街办事处瓦屋李采样小屋20混1样本疑似初筛阳性处置情况的通报"
    assert bulletin.title_en.startswith("Bulletin on the response to the 20:1 pooled")
    zh = bulletin.text_zh
    assert zh.startswith(f"高新防控通报〔{year}〕1号\n\n关于")
    assert "高新区梧桐街办事处瓦屋李采样小屋，20混1结果疑似初筛阳性1管。" in zh
    # The lab's alarm is received by the district CDC.
    assert "高新区疾控中心接到金域医学检验实验室报告" in zh
    assert "对涉及的3人落实居家等待，下达单管复采复检3人" in zh
    assert "3人正在等待上门复采。" in zh
    assert "全区采集20:1标本1管3人，外环境样本1管10个点位。" in zh
    assert "目前，各项处置工作正在有序进行。" in zh
    assert zh.endswith(
        f"高新区疫情防控指挥部\n\n{year}年{timezone.localdate().month}月{timezone.localdate().day}日"
    )
    en = bulletin.text_en
    assert f"Bulletin [{year}] No. 1" in en
    assert "High-tech Zone Epidemic Prevention and Control Command" in en
    assert "one 20:1 pooled tube from 瓦屋李采样小屋 (Wutong Street), presumptive positive" in en
    assert "Collected" not in en and "collected 1 tube of 20:1 pooled samples from 3 people" in en
    assert bulletin.figures["alarms"][0]["capacity"] == 20
    assert bulletin.title_zh in bulletin.html and 'lang="en"' in bulletin.html


def test_every_figure_comes_from_the_rows(staff, positive_pool, environment_tube):
    first = write_incident_bulletin(incident=positive_pool)
    # Two members re-sampled negative, the incident closed: the next bulletin says so.
    orders = list(RetestOrder.objects.order_by("id"))
    RetestOrder.objects.filter(pk__in=[o.pk for o in orders[:2]]).update(state=RetestState.NEGATIVE)
    RetestOrder.objects.filter(pk=orders[2].pk).update(state=RetestState.SAMPLED)
    Tube.objects.filter(pk=environment_tube.pk).update(swab_points=80)
    closed = close_incident(
        incident=positive_pool,
        user=staff["commander"],
        summary="瓦屋李小区全面恢复正常生活秩序",
        summary_en="Wawuli went back to normal life",
    )
    second = write_incident_bulletin(incident=closed, user=staff["commander"])
    assert second.number == first.number + 1
    assert "已复采3人，其中复检阴性2人，1人正在检测。" in second.text_zh
    assert "3 had been re-sampled: 2 negative; 1 in the lab." in second.text_en
    assert "外环境样本1管80个点位" in second.text_zh
    assert "经研判，瓦屋李小区全面恢复正常生活秩序。" in second.text_zh
    assert "after review: Wawuli went back to normal life." in second.text_en
    assert first.text_zh != second.text_zh


def test_numbers_run_per_district_and_year_without_gaps(staff, positive_pool):
    commander = staff["commander"]
    a = write_daily_bulletin(day=dt.date(2022, 6, 12), scope_code=D, user=commander)
    b = write_daily_bulletin(day=dt.date(2022, 6, 13), scope_code=D, user=commander)
    c = write_incident_bulletin(incident=positive_pool, user=commander)
    assert (a.year, a.number, b.number) == (2022, 1, 2)
    assert a.reference_zh == "高新防控通报〔2022〕1号"
    assert a.title_zh == "关于高新区6月12日疫情防控工作情况的通报"
    assert "Bulletin [2022] No. 2" in b.text_en
    assert (c.year, c.number) == (timezone.localdate().year, 1)
    assert "2022年6月13日0时至24时，高新区疫情防控工作情况通报如下：" in b.text_zh
    assert "当日未开展区域核酸检测。" in b.text_zh


@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_take_consecutive_numbers(district):
    """Several writers at once: each bulletin gets its own number, none is skipped."""
    errors = []
    barrier = threading.Barrier(6)

    def write():
        try:
            barrier.wait(timeout=10)
            for _ in range(200):
                try:
                    write_daily_bulletin(day=timezone.localdate(), scope_code=D)
                    break
                except OperationalError as exc:
                    # The SQLite test database lives in shared-cache memory, where a second
                    # writer is told "table is locked" at once instead of queueing on the
                    # write lock as the file database does: wait and go again.
                    if connection.vendor != "sqlite" or "locked" not in str(exc):
                        raise
                    time.sleep(0.01)
        except Exception as exc:  # reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=write) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert errors == []
    numbers = sorted(Bulletin.objects.values_list("number", flat=True))
    assert numbers == [1, 2, 3, 4, 5, 6]


def test_the_daily_bulletin_counts_the_day(staff, positive_pool, environment_tube):
    today = timezone.localdate()
    bulletin = write_daily_bulletin(day=today, scope_code=D, user=staff["commander"])
    zh = bulletin.text_zh
    assert bulletin.kind == BulletinKind.DAILY and bulletin.incident is None
    assert (
        "一、核酸检测。6月13日区域核酸筛查：全区采集20:1标本1管3人，外环境样本1管10个点位。" in zh
    )
    assert (
        "二、检测结果。当日报告高新区梧桐街办事处瓦屋李采样小屋，20混1结果疑似初筛阳性1管。" in zh
    )
    assert "新增单管复采复检3人。截至发稿，待复采3人。" in zh
    assert "四、应急处置。当日启动应急处置1起，处置完毕0起，截至24时正在处置1起。" in zh
    assert "1. Testing." in bulletin.text_en and "4. Responses." in bulletin.text_en
    # A sub-district's bulletin counts only its own area.
    other = write_daily_bulletin(day=today, scope_code="410172-002", user=staff["commander"])
    assert "当日未报告异常检测结果。" in other.text_zh


def test_who_may_write_and_what(staff, positive_pool):
    with pytest.raises(PermissionDeniedError):
        write_incident_bulletin(incident=positive_pool, user=staff["wawuli"])
    with pytest.raises(PermissionDeniedError):
        write_daily_bulletin(day=timezone.localdate(), scope_code=S1, user=staff["fengyang"])
    with pytest.raises(RuleViolation) as exc:
        write_daily_bulletin(
            day=timezone.localdate() + dt.timedelta(days=1), scope_code=D, user=staff["commander"]
        )
    assert exc.value.code == "future"
    assert not Bulletin.objects.exists()


def test_the_pdf_embeds_its_fonts(staff, positive_pool):
    bulletin = write_incident_bulletin(incident=positive_pool)
    pdf = bulletin_pdf(bulletin)
    fonts = pdf_fonts(pdf)
    assert pdf.startswith(b"%PDF") and b"STSong-Light" not in pdf
    assert fonts and all(fonts.values()), fonts


def test_bulletin_pages(client, staff, positive_pool):
    client.force_login(staff["commander"])
    r = client.post(reverse("command:incident_bulletin", args=[positive_pool.pk]))
    bulletin = Bulletin.objects.get()
    assert r.status_code == 302 and r["Location"] == reverse("command:bulletin", args=[bulletin.pk])
    page = client.get(reverse("command:bulletin", args=[bulletin.pk]))
    assert page.status_code == 200 and bulletin.title_zh in page.content.decode()
    pdf = client.get(reverse("command:bulletin_pdf", args=[bulletin.pk]))
    assert pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    r = client.post(
        reverse("command:bulletins"), {"day": timezone.localdate().isoformat(), "scope_code": D}
    )
    assert r.status_code == 302 and Bulletin.objects.count() == 2
    listing = client.get(reverse("command:bulletins")).content.decode()
    year = timezone.localdate().year
    assert f"高新防控通报〔{year}〕1号" in listing and f"高新防控通报〔{year}〕2号" in listing
    assert "第1号" not in listing
    # Community staff read the archive of their area but write nothing.
    client.force_login(staff["wawuli"])
    assert client.get(reverse("command:bulletin", args=[bulletin.pk])).status_code == 200
    r = client.post(
        reverse("command:bulletins"), {"day": timezone.localdate().isoformat(), "scope_code": C11}
    )
    assert r.status_code == 403
    client.force_login(staff["fengyang"])
    # another sub-district's bulletin: refused and audited, as docs/permissions.md says
    assert client.get(reverse("command:bulletin", args=[bulletin.pk])).status_code == 403


def test_the_rounds_of_the_response_are_summed_for_the_whole_district(
    staff, positive_pool, tablet, sample_item, id_number
):
    """Rounds started while the incident is open, in any community of the district, make
    the district's figure ("全区采集…"); the round of the alarm is told on its own."""
    from fangkong.geo.models import Place
    from fangkong.testing.services.registration import register_samples
    from fangkong.testing.services.rounds import add_station, create_round

    place = Place.objects.get(code=f"{C11}-P01")
    start = positive_pool.opened_at + dt.timedelta(minutes=30)
    people = [
        [id_number("410172", "19900101", 11), id_number("410102", "19450302", 22)],
        [id_number("410172", "19700707", 44)],
    ]
    for n, (scope, documents) in enumerate(
        [("410172-001-001-001", people[0]), ("410172-001-001-002", people[1])]
    ):
        round_ = create_round(
            name=f"第{n + 1}组",
            scope_codes=[scope],
            user=staff["commander"],
            kind="targeted",
            starts_at=start,
        )
        station = add_station(round=round_, place=place, name="台", devices=[tablet])
        tube = create_tubes(round=round_, count=1)[0]
        register_samples(
            station=station,
            items=[
                sample_item(tube, d, taken_at=start + dt.timedelta(minutes=5)) for d in documents
            ],
            actor=tablet,
            now=start + dt.timedelta(minutes=10),
        )
    bulletin = write_incident_bulletin(incident=positive_pool, now=start + dt.timedelta(hours=1))
    assert "全区采集20:1标本2管3人。样本正在检测中。" in bulletin.text_zh
    assert "6月13日区域核酸筛查：全区采集20:1标本1管3人。" in bulletin.text_zh
    assert "in two rounds of testing, the district collected 2 tubes" in bulletin.text_en
    roles = [r["role"] for r in bulletin.figures["rounds"]]
    assert roles == ["source", "response", "response"]


def test_a_round_set_up_but_not_yet_sampled_is_told_as_such(staff, positive_pool):
    from fangkong.zones.services.designation import designate_zone

    designate_zone(
        kind="standstill", members=[f"{C11}-C01"], name="瓦屋李新居", user=staff["commander"]
    )
    bulletin = write_incident_bulletin(incident=positive_pool)
    assert "对瓦屋李新居实施临时静态管理（涉及居民3人）。" in bulletin.text_zh
    assert "全区已部署核酸检测1轮，尚未采集样本。" in bulletin.text_zh
    assert (
        ", 瓦屋李新居 was put under temporary standstill (3 residents inside)." in bulletin.text_en
    )
    assert "one round of testing was set up; no samples yet." in bulletin.text_en


def test_a_cancelled_round_is_not_told(staff, positive_pool):
    from fangkong.testing.models import RoundKind, TestingRound
    from fangkong.testing.services.rounds import cancel_round
    from fangkong.zones.services.designation import designate_zone

    designate_zone(
        kind="standstill", members=[f"{C11}-C01"], name="瓦屋李新居", user=staff["commander"]
    )
    unsampled = TestingRound.objects.exclude(kind=RoundKind.MASS).exclude(kind=RoundKind.RETEST)
    assert unsampled.exists()
    for r in unsampled:
        cancel_round(round=r, user=staff["commander"])
    bulletin = write_incident_bulletin(incident=positive_pool)
    assert "尚未采集样本" not in bulletin.text_zh and "no samples yet" not in bulletin.text_en
