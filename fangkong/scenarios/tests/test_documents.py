"""What the 13 June replay prints passes a proofreader (GB/T 9704), and the replay is a drill.

Every Chinese document and message the night produces — the bulletin, the notices, the
timeline, the staff's notifications, the intercom and group-chat texts, the order notice —
is scanned for half-width punctuation next to Chinese; the documents carry the event's date,
the glossary's terms and embedded fonts. The drill is marked, numbered apart, recorded with
its commander and roll call, and can be wiped.
"""

import datetime as dt
import re
import zoneinfo

import pytest
from django.urls import reverse
from django.utils import translation

from devtools.pdf import pdf_fonts
from fangkong.accounts.models import DeviceToken, User
from fangkong.command.broadcasts import incident_texts, zone_texts
from fangkong.command.bulletin_pdf import bulletin_pdf
from fangkong.command.models import Bulletin, Incident, Notification, RollCall
from fangkong.command.services.bulletins import write_daily_bulletin
from fangkong.command.services.drills import wipe_drill
from fangkong.core.areas import AreaCode
from fangkong.core.errors import RuleViolation
from fangkong.core.official import half_width_near_chinese
from fangkong.demo.accounts import ensure_demo_accounts
from fangkong.demo.seed import clear_demo, seed_demo
from fangkong.people.models import Resident
from fangkong.scenarios.june13 import DAY, run_june13
from fangkong.services.models import MedicalTrip, ServiceRequest
from fangkong.testing.models import Sample, Tube
from fangkong.testing.models import TestingRound as Round  # a "Test…" name would be collected
from fangkong.tracing.models import ControlOrder
from fangkong.tracing.notice_pdf import notice_blocks as order_blocks
from fangkong.tracing.notice_pdf import order_notice_pdf
from fangkong.tracing.services.orders import isolate_household
from fangkong.zones.models import Notice, Pass, RiskZone
from fangkong.zones.notice_text import notice_blocks

SCALE = 0.05
CJK = re.compile(r"[\u3400-\u9fff]")
SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(scope="module")
def district(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        seed_demo(residents=2_000, seed=613, progress=False)
    yield
    with django_db_blocker.unblock():
        clear_demo()


@pytest.fixture
def commander(district, db):
    ensure_demo_accounts()
    return User.objects.get(username="commander")


@pytest.fixture
def replay(commander):
    with translation.override("zh-hans"):
        return run_june13(user=commander, scale=SCALE)


def _chinese_documents(replay) -> dict[str, str]:
    """Every Chinese text the night produced, by where it comes from."""
    incident, zone = replay.incident, RiskZone.objects.get(pk=replay.zone.pk)
    chinese_html = replay.bulletin.html.split('<section lang="en"')[0]
    texts = {"bulletin": replay.bulletin.text_zh, "bulletin html": chinese_html}
    for notice in Notice.objects.filter(zones=zone):
        texts[f"notice {notice.number_label}"] = "\n".join(
            t for _s, t in notice_blocks(notice.content, "zh")
        )
        texts[f"notice html {notice.number_label}"] = notice.html_zh
    texts["timeline"] = "\n".join(incident.timeline.values_list("text", flat=True))
    texts["notifications"] = "\n".join(
        Notification.objects.filter(incident=incident, language__startswith="zh").values_list(
            "text", flat=True
        )
    )
    texts |= {f"zone {k}": v for k, v in zone_texts(zone).items()}
    texts |= {f"incident {k}": v for k, v in incident_texts(incident).items()}
    for order in ControlOrder.objects.filter(pk__in=[o.pk for o in replay_orders(replay)]):
        texts[f"order {order.pk}"] = "\n".join(t for _s, t in order_blocks(order))
    daily = write_daily_bulletin(day=DAY, scope_code=AreaCode(incident.area_code).district)
    texts["daily bulletin"] = daily.text_zh
    return texts


def replay_orders(replay) -> list[ControlOrder]:
    return list(ControlOrder.objects.filter(pk__in=replay.incident.drill_records["orders"]))


def test_no_chinese_text_has_half_width_punctuation(replay):
    with translation.override("zh-hans"):
        texts = _chinese_documents(replay)
    assert len(texts) >= 10
    found = {
        where: hits for where, text in texts.items() if (hits := half_width_near_chinese(text))
    }
    assert found == {}


def test_the_bulletin_reads_as_a_proofreader_expects(replay):
    bulletin = replay.bulletin
    zh = bulletin.text_zh
    assert bulletin.reference_zh == "高新防控演练通报〔2022〕1号"
    assert re.fullmatch(r"关于.+的通报", bulletin.title_zh)
    assert zh.startswith(f"演练\n\n{bulletin.reference_zh}\n\n{bulletin.title_zh}\n\n")
    # 情况 → 处置 → 结果 → 研判
    heads = ["一、基本情况", "二、处置措施", "三、检测结果", "四、研判意见"]
    assert [zh.index(h) for h in heads] == sorted(zh.index(h) for h in heads)
    assert zh.index("疾控中心接到") < zh.index("二、处置措施")
    assert zh.index("下达单管复采复检") < zh.index("三、检测结果")
    assert zh.index("经研判") > zh.index("四、研判意见")
    # The glossary's words and the event's date.
    assert "对瓦屋李新居实施临时静态管理" in zh and "瓦屋李新居解除临时静态管理" in zh
    assert "静态化管控" not in zh and "解封" not in zh and "第1号" not in zh
    assert zh.endswith("高新区疫情防控指挥部\n\n2022年6月13日")
    # The English version names the compound as the district's English map does.
    en = bulletin.text_en
    assert "Wawuli Xinju was put under temporary standstill" in en
    assert "DRILL" in en and "瓦屋李新居" not in en


def test_the_nights_notices_are_the_drills_own(replay):
    notices = list(Notice.objects.filter(zones=replay.zone).order_by("number"))
    assert [n.number_label for n in notices] == [
        "高新防控演练〔2022〕1号",
        "高新防控演练〔2022〕2号",
    ]
    assert all(n.drill for n in notices)
    designation, lift = notices
    assert designation.title_zh == "关于对瓦屋李新居实施临时静态管理的通告"
    assert lift.title_zh == "关于解除瓦屋李新居临时静态管理的通告"
    for notice in notices:
        zh = "\n".join(t for _s, t in notice_blocks(notice.content, "zh"))
        en = "\n".join(t for _s, t in notice_blocks(notice.content, "en"))
        assert zh.startswith("演练\n") and zh.endswith("2022年6月13日")
        assert re.search(r"瓦屋李新居\d+(—\d+)?号楼", zh)
        assert "瓦屋李新居瓦屋李新居" not in zh and not re.search(r"（[^）]*（", zh)
        assert "解封" not in zh and "静态化管控" not in zh
        assert "Wawuli Xinju" in en and not CJK.search(en), en
    assert "恢复正常生产生活秩序" in "\n".join(t for _s, t in notice_blocks(lift.content, "zh"))


def test_the_nights_pdfs_embed_their_fonts(replay):
    notice = Notice.objects.filter(zones=replay.zone).first()
    documents = [bulletin_pdf(replay.bulletin), bytes(notice.pdf_zh)]
    documents += [order_notice_pdf(o) for o in replay_orders(replay)[:1]]
    assert len(documents) == 3
    for pdf in documents:
        fonts = pdf_fonts(pdf)
        assert fonts and all(fonts.values()), fonts


def test_after_the_lift_residents_hear_that_normal_life_resumes(replay):
    zone = RiskZone.objects.get(pk=replay.zone.pk)
    for texts in (zone_texts(zone), incident_texts(replay.incident)):
        assert all("恢复正常生活秩序" in t for t in texts.values())
        assert not any("不要外出" in t for t in texts.values())


def test_the_replay_is_a_drill_with_its_commander_and_roll_call(replay, commander):
    incident = Incident.objects.get(pk=replay.incident.pk)
    assert incident.drill and incident.commander == commander
    calls = list(RollCall.objects.filter(incident=incident))
    assert [c.level for c in calls] == ["community", "subdistrict", "district"]
    assert {c.at.astimezone(SHANGHAI).strftime("%H:%M") for c in calls} == {"03:20"}
    assert calls[0].unit == "瓦屋李社区全体工作人员"


def test_running_it_again_never_takes_an_official_number(replay, commander):
    again = run_june13(user=commander, scale=SCALE)
    assert again.bulletin.reference_zh == "高新防控演练通报〔2022〕2号"
    official = write_daily_bulletin(day=DAY, scope_code=commander.scope_code, user=commander)
    assert official.reference_zh == "高新防控通报〔2022〕1号" and not official.drill
    numbers = set(Notice.objects.filter(drill=False).values_list("number", flat=True))
    assert numbers == set()


def test_the_drills_order_notices_carry_the_mark_and_a_series_of_their_own(replay, commander):
    orders = replay_orders(replay)
    assert orders and all(o.drill for o in orders)
    with translation.override("zh-hans"):
        blocks = order_blocks(orders[0])
    assert blocks[0] == ("mark", "演练")
    assert dict(blocks)["number"] == f"高新防控演练告〔2022〕{orders[0].number}号"
    # A real order the same year starts the official series at 1, whatever the drills took.
    busy = Resident.objects.filter(document_index__in=[o.document_index for o in orders])
    other = (
        Resident.objects.filter(status="active", household__isnull=False)
        .exclude(household_id__in=busy.values("household_id"))
        .first()
    )
    real = isolate_household(
        user=commander, resident=other, kind="home_quarantine", start=DAY, days=7, reason="居家隔离"
    )
    assert (real[0].drill, real[0].number) == (False, 1)
    with translation.override("zh-hans"):
        assert dict(order_blocks(real[0]))["number"] == "高新防控告〔2022〕1号"


def test_a_drill_is_wiped_with_everything_it_wrote(replay, commander, client):
    incident = replay.incident
    records = incident.drill_records
    before = Sample.objects.count()
    drill_samples = Sample.objects.filter(round_id__in=records["rounds"]).count()
    assert drill_samples and records["zones"] and records["tokens"] and records["orders"]
    assert records["requests"] and MedicalTrip.objects.filter(request_id__in=records["requests"])
    client.force_login(commander)
    r = client.post(reverse("command:incident_wipe", args=[incident.pk]))
    assert r.status_code == 302
    assert not Incident.objects.filter(pk=incident.pk).exists()
    assert not Bulletin.objects.filter(drill=True).exists()
    assert not Notice.objects.filter(drill=True).exists()
    assert not RiskZone.objects.filter(pk__in=records["zones"]).exists()
    assert not Round.objects.filter(pk__in=records["rounds"]).exists()
    assert not Tube.objects.filter(round_id__in=records["rounds"]).exists()
    assert Sample.objects.count() == before - drill_samples
    assert not DeviceToken.objects.filter(pk__in=records["tokens"]).exists()
    assert not ControlOrder.objects.filter(pk__in=records["orders"]).exists()
    assert not ServiceRequest.objects.filter(pk__in=records["requests"]).exists()
    assert not Pass.objects.filter(zone_id__in=records["zones"]).exists()
    # A drill run after the wipe starts its series again; the wipe left nothing behind.
    assert run_june13(user=commander, scale=SCALE).bulletin.reference_zh.endswith("〔2022〕1号")


def test_a_real_incident_cannot_be_wiped(commander, db):
    real = Incident.objects.create(
        title="real",
        area_code=commander.scope_code,
        opened_at=dt.datetime(2022, 6, 13, 3, 4, tzinfo=SHANGHAI),
    )
    with pytest.raises(RuleViolation) as caught:
        wipe_drill(incident=real, user=commander)
    assert caught.value.code == "not_a_drill"
    assert Incident.objects.filter(pk=real.pk).exists()
