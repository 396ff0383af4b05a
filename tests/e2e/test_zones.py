"""Browser test of the zones flow: designate a sealed zone by clicking its compound on the map,
see its notice in the archive, issue a medical pass, and have the guard scan at the gate."""

import re

import pytest
from playwright.sync_api import expect

from devtools.fixtures import C11, PASSWORD

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

COMPOUND = f"{C11}-C01"  # 瓦屋李新居: 张伟, 王芳 (elderly, living alone) and 李娜 live there


def log_in(page, url: str, user) -> None:
    page.goto(f"{url}/accounts/login/")
    page.get_by_label("用户名").fill(user.username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()


def click_shape(page, selector: str, lon: float, lat: float) -> None:
    """Click the map where the shape at (lon, lat) is drawn (ECharts converts to pixels)."""
    box = page.locator(selector).bounding_box()
    x, y = page.evaluate(
        "([sel, lon, lat]) => document.querySelector(sel).fangkongChart"
        ".convertToPixel({geoIndex: 0}, [lon, lat])",
        [selector, lon, lat],
    )
    page.mouse.click(box["x"] + x, box["y"] + y)


def test_designate_on_the_map_see_the_notice_and_scan_at_the_gate(
    page, browser, live_server, residents, make_user, commander, id_number
):
    from fangkong.accounts.models import Role

    guard = make_user(Role.CHECKPOINT_GUARD, C11, display_name="南门值守甲")
    log_in(page, live_server.url, commander)
    page.goto(f"{live_server.url}/zones/")
    page.get_by_test_id("designate-link").click()

    # Pick the compound on the map: its buildings are the squares at 113.5515 and 113.5525.
    picker = "[data-testid=picker-map]"
    expect(page.locator(picker)).to_have_attribute("data-drawn", re.compile(r"[1-9]"))
    page.locator("input[name=map-level][value=compound]").check()  # draw compounds
    click_shape(page, picker, 113.55125, 34.80125)
    expect(page.locator("select[name=compounds]")).to_have_values([COMPOUND])
    page.locator("select[name=kind]").select_option("sealed")
    page.locator("textarea[name=reason]").fill("瓦屋李新居发现阳性，划为封控区")
    page.get_by_test_id("designate-submit").click()

    expect(page.get_by_test_id("zone-name")).to_have_text("瓦屋李新居封控区")
    expect(page.get_by_test_id("residents")).to_have_text("3")
    expect(page.get_by_test_id("elderly-alone")).to_have_text("1")
    expect(page.get_by_test_id("scheduled-round")).to_have_count(5)

    # The district map colours the compound and a click on it opens the zone's page.
    zone_url = page.url
    page.goto(f"{live_server.url}/zones/map/")
    district_map = "[data-testid=district-map]"
    expect(page.locator(district_map)).to_have_attribute("data-drawn", re.compile(r"[1-9]"))
    click_shape(page, district_map, 113.55125, 34.80125)
    expect(page).to_have_url(zone_url)
    expect(page.get_by_test_id("zone-name")).to_have_text("瓦屋李新居封控区")

    # The notice was issued with the designation and is in the archive.
    page.goto(f"{live_server.url}/zones/notices/")
    row = page.get_by_test_id("notice-row")
    expect(row).to_have_count(1)
    expect(row).to_contain_text(re.compile(r"高新防控〔\d{4}〕1号"))
    expect(row).to_contain_text("关于划定封控区的通告")
    row.get_by_role("link", name="关于划定封控区的通告").click()
    expect(page.get_by_test_id("notice-doc")).to_contain_text("瓦屋李新居1—2号楼")

    # A checkpoint with its guard, and a medical-trip pass for 王芳.
    page.goto(zone_url)
    form = page.get_by_test_id("checkpoint-form")
    form.locator("input[name=name]").fill("瓦屋李新居南门卡点")
    form.locator("select[name=guards]").select_option(label="南门值守甲")
    form.get_by_role("button").click()
    expect(page.get_by_test_id("checkpoint-row")).to_contain_text("瓦屋李新居南门卡点")
    passes = page.get_by_test_id("pass-form")
    passes.locator("select[name=purpose]").select_option("medical")
    wang_fang = id_number("410102", "19450302", 22)
    passes.locator("input[name=document_number]").fill(wang_fang)
    page.get_by_test_id("pass-submit").click()
    expect(page.get_by_test_id("pass-qr").locator("svg")).to_be_visible()
    code = page.get_by_test_id("pass-qr").get_attribute("data-code")
    assert code.startswith("FKPS.") and "王" not in code

    # The guard's phone: scan the ID card (denied), then the pass (allowed), like a scanner.
    phone = browser.new_context(locale="zh-CN", viewport={"width": 390, "height": 844})
    gate = phone.new_page()
    gate.set_default_timeout(15_000)
    log_in(gate, live_server.url, guard)
    gate.goto(f"{live_server.url}/zones/checkpoints/")
    gate.get_by_role("link", name="瓦屋李新居南门卡点").click()
    scan = gate.get_by_test_id("scan-input")
    scan.fill(wang_fang)
    scan.press("Enter")
    verdict = gate.get_by_test_id("verdict")
    expect(verdict).to_have_attribute("data-decision", "deny")
    expect(verdict).to_have_attribute("data-rule", "sealed_no_exit")
    expect(scan).to_have_value("")  # cleared and focused for the next scan
    scan.fill(code)
    scan.press("Enter")
    expect(verdict).to_have_attribute("data-decision", "allow")
    expect(verdict).to_have_attribute("data-rule", "sealed_exit_with_pass")
    expect(verdict).to_contain_text("王*")
    expect(gate.get_by_test_id("passages").locator("tr")).to_have_count(2)
    phone.close()


@pytest.mark.parametrize(
    "viewport", [{"width": 1280, "height": 800}, {"width": 390, "height": 844}]
)
def test_the_zone_map_opens_centred_on_the_zone_with_all_of_it_in_view(
    browser, live_server, residents, commander, viewport
):
    from fangkong.zones.services.designation import designate_zone

    zone = designate_zone(user=commander, kind="sealed", members=[COMPOUND], reason="演练")
    context = browser.new_context(locale="zh-CN", viewport=viewport)
    page = context.new_page()
    page.set_default_timeout(15_000)
    log_in(page, live_server.url, commander)
    page.goto(f"{live_server.url}/zones/{zone.pk}/")
    selector = "[data-testid=zone-map]"
    expect(page.locator(selector)).to_have_attribute("data-drawn", re.compile(r"[1-9]"))
    (west, north), (east, south) = page.evaluate(
        "sel => JSON.parse(document.querySelector(sel).dataset.bounds)", selector
    )
    centre = page.evaluate(
        "sel => JSON.parse(document.querySelector(sel).dataset.center)", selector
    )
    box = page.locator(selector).bounding_box()
    # The map's box lies within the page: no horizontal overflow cuts it off.
    assert box["x"] >= 0 and box["x"] + box["width"] <= viewport["width"]
    pixels = page.evaluate(
        "([sel, pts]) => pts.map(p => document.querySelector(sel).fangkongChart"
        ".convertToPixel({geoIndex: 0}, p))",
        [selector, [[west, north], [east, south], centre]],
    )
    for x, y in pixels[:2]:  # the padded frame's corners are inside the canvas
        assert -1 <= x <= box["width"] + 1 and -1 <= y <= box["height"] + 1
    cx, cy = pixels[2]
    assert abs(cx - box["width"] / 2) < 2 and abs(cy - box["height"] / 2) < 2
    context.close()
