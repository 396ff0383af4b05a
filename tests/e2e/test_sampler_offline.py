"""The sampler page in Chromium: scans made while the network is down are kept, survive a
reload, and reach the database exactly once when it comes back."""

import datetime as dt
import json
import re

import pytest
from playwright.sync_api import expect

from devtools.fixtures import C11, G111, PASSWORD, D

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SAMPLES_API = "**/api/v1/testing/samples"


@pytest.fixture
def sampling_station(commander, make_user):
    from django.utils import timezone

    from fangkong.accounts.models import Role
    from fangkong.geo.models import Place
    from fangkong.testing.services.rounds import add_station, create_round, create_tubes

    round_ = create_round(
        name="6月13日区域核酸筛查",
        scope_codes=[D],
        user=commander,
        starts_at=timezone.now() - dt.timedelta(hours=1),
    )
    sampler = make_user(Role.SAMPLER, C11)
    station = add_station(
        round=round_, place=Place.objects.get(code=f"{C11}-P01"), name="1号台", samplers=[sampler]
    )
    tube = create_tubes(round=round_, count=1)[0]
    return sampler, station, tube


def log_in(page, live_server, user, path):
    page.goto(f"{live_server.url}{path}")  # sent to the login form, then back here
    page.locator("main input[name=username]").fill(user.username)
    page.locator("main input[name=password]").fill(PASSWORD)
    page.locator("main button[type=submit]").click()
    page.wait_for_url(f"{live_server.url}{path}")


def wedge(page, text):
    """A keyboard-wedge scanner: the code typed into whatever has focus, then Enter."""
    page.keyboard.type(text)
    page.keyboard.press("Enter")


def test_scans_made_offline_are_kept_across_a_reload_and_written_exactly_once(
    page, live_server, residents, id_number, sampling_station
):
    from fangkong.people.sampling_codes import sampling_code_for
    from fangkong.testing.models import Sample, Tube

    sampler, station, tube = sampling_station
    wang_fang = next(r for r in residents if r.name == "王芳")
    context = page.context

    # Log in on the way to the sampler page, pick the station.
    log_in(page, live_server, sampler, "/testing/sampler/")
    page.get_by_test_id(f"station-{station.pk}").click()
    expect(page.get_by_test_id("station-name")).to_contain_text("1号台")

    # Online: the tube, then two people, as a wedge scanner types them.
    expect(page.get_by_test_id("tube-input")).to_be_focused()
    wedge(page, tube.barcode)
    expect(page.get_by_test_id("person-input")).to_be_focused()
    wedge(page, id_number("410172", "19900101", 11))  # 张伟's ID card
    wedge(page, sampling_code_for(wang_fang.pk))  # 王芳's printed sampling code
    # The second person is typed while the new tube is still being checked: both must arrive
    # (the page used to clear the field after that check and lose the second scan).
    expect(page.get_by_test_id("confirmed-count")).to_have_text("2", timeout=60_000)
    expect(page.get_by_test_id("tube-count")).to_have_text("2/20")

    # The network drops: three more people queue on the device.
    context.set_offline(True)
    expect(page.get_by_test_id("net-state")).to_have_attribute("data-state", "offline")
    wedge(page, id_number("410105", "20230115", 24))  # 李娜
    wedge(page, id_number("411302", "19851120", 33))  # 刘洋
    page.get_by_test_id("no-document").click()  # an old man without his ID card
    page.get_by_test_id("nodoc-name").fill("赵大爷")
    page.get_by_test_id("nodoc-guardian").fill("赵小明 13800001234")
    page.get_by_test_id("nodoc-add").click()
    expect(page.get_by_test_id("person-input")).to_be_focused()
    expect(page.get_by_test_id("queued-count")).to_have_text("3")
    expect(page.get_by_test_id("confirmed-count")).to_have_text("2")
    expect(page.get_by_test_id("tube-count")).to_have_text("5/20")
    expect(page.get_by_test_id("recent")).to_contain_text("赵*爷")
    assert Sample.objects.filter(tube=tube).count() == 2

    # The network is back but the server cannot be reached; the tablet is reloaded meanwhile.
    def unreachable(route):
        route.abort()

    page.route(SAMPLES_API, unreachable)
    context.set_offline(False)
    page.reload()
    expect(page.get_by_test_id("queued-count")).to_have_text("3")
    expect(page.get_by_test_id("tube-count")).to_have_text("5/20")
    expect(page.get_by_test_id("net-state")).to_have_attribute("data-state", "retrying")
    assert Sample.objects.filter(tube=tube).count() == 2

    # The station picker says where scans are waiting.
    page.get_by_test_id("other-station").click()
    station_link = page.get_by_test_id(f"station-{station.pk}")
    expect(station_link.get_by_test_id("waiting")).to_contain_text("3")
    station_link.click()
    expect(page.get_by_test_id("queued-count")).to_have_text("3")

    # The server is reachable again, but the answer to the first post is lost on the way
    # back: the server has written the samples, the page heard nothing and sends again.
    sent = []

    def lose_the_answer(route):
        sent.append(route.request.post_data)
        route.fetch()
        route.abort()

    # The newest route wins: add it before removing the old one, so a retry timer firing in
    # between cannot slip a send past both.
    page.route(SAMPLES_API, lose_the_answer, times=1)
    page.unroute(SAMPLES_API, unreachable)
    page.get_by_test_id("send-now").click()
    expect(page.get_by_test_id("confirmed-count")).to_have_text("5", timeout=60_000)
    expect(page.get_by_test_id("queued-count")).to_have_text("0")
    expect(page.get_by_test_id("tube-count")).to_have_text("5/20")
    expect(page.get_by_test_id("queue-total")).to_have_text("0")
    expect(page.get_by_test_id("rejected-panel")).to_be_hidden()

    samples = Sample.objects.filter(tube=tube)
    assert samples.count() == 5
    assert len(set(samples.values_list("idempotency_key", flat=True))) == 5
    assert len(set(samples.values_list("resident_id", flat=True))) == 5
    assert Tube.objects.get(pk=tube.pk).sample_count == 5
    assert samples.filter(recorded_by=sampler.username).count() == 5

    # Replaying the very batch that was queued offline, twice more, writes nothing.
    assert len(sent) == 1
    batch = json.loads(sent[0])
    assert len(batch["items"]) == 3
    csrf = next(c["value"] for c in context.cookies() if c["name"] == "csrftoken")
    for _ in range(2):
        answer = context.request.post(
            f"{live_server.url}/api/v1/testing/samples",
            data=sent[0],
            headers={"Content-Type": "application/json", "X-CSRFToken": csrf},
        )
        assert answer.ok, answer.text()
        body = answer.json()
        assert body["replayed"] == 3 and body["accepted"] == 0 and body["rejected"] == 0
    assert Sample.objects.filter(tube=tube).count() == 5
    assert Tube.objects.get(pk=tube.pk).sample_count == 5


def test_refusals_are_shown_to_the_sampler_and_leave_the_queue(
    page, live_server, residents, id_number, sampling_station
):
    from fangkong.testing.models import Sample

    sampler, station, tube = sampling_station
    zhang_wei = id_number("410172", "19900101", 11)
    log_in(page, live_server, sampler, f"/testing/sampler/{station.pk}/")
    wedge(page, tube.barcode)
    wedge(page, zhang_wei)
    expect(page.get_by_test_id("confirmed-count")).to_have_text("1", timeout=60_000)

    # A mistyped check digit is caught on the device, before anyone is queued.
    wedge(page, zhang_wei[:-1] + ("1" if zhang_wei[-1] != "1" else "2"))
    expect(page.get_by_test_id("message")).to_have_class(re.compile("error"))
    expect(page.get_by_test_id("queue-total")).to_have_text("0")

    # The same person again: the server refuses; the sampler sees it, the queue lets go.
    page.get_by_test_id("person-input").fill("")
    wedge(page, zhang_wei)
    expect(page.get_by_test_id("rejected-panel")).to_be_visible(timeout=60_000)
    expect(page.get_by_test_id("rejected-list").locator("li")).to_have_count(1)
    expect(page.get_by_test_id("rejected-list")).to_contain_text(zhang_wei[-4:])
    expect(page.get_by_test_id("queue-total")).to_have_text("0")
    expect(page.get_by_test_id("tube-count")).to_have_text("1/20")
    assert Sample.objects.filter(tube=tube).count() == 1

    # Sealing takes two taps; the tube is then closed on the server.
    page.get_by_test_id("seal").click()
    page.get_by_test_id("seal").click()
    expect(page.get_by_test_id("tube-input")).to_be_focused()
    expect(page.get_by_test_id("recent").locator(".status.sealed")).to_have_count(1, timeout=60_000)
    tube.refresh_from_db()
    assert tube.state == "sealed" and tube.sample_count == 1


DECODE = """async (src) => {
  await new Promise((ok, fail) => {
    const s = document.createElement("script");
    s.src = src; s.onload = ok; s.onerror = fail;
    document.head.append(s);
  });
  // Whole pixels per module, as a camera frame of a card held still would give; and, as the
  // sampler's camera decodes frame after frame of a card held by hand, a few slight tilts.
  // ZXing's detector misjudges the size of about one code in thirty drawn perfectly square
  // ("Dimensions could be not found"); a tilt of a few degrees reads every one of them.
  const svg = document.querySelector("[data-testid=qr] svg").cloneNode(true);
  const size = 8 * Number(svg.getAttribute("viewBox").split(" ")[2]);
  svg.setAttribute("width", String(size));
  svg.setAttribute("height", String(size));
  const img = new Image();
  img.src = "data:image/svg+xml;charset=utf-8," + encodeURIComponent(new XMLSerializer().serializeToString(svg));
  await img.decode();
  let last = null;
  for (const degrees of [0, 3, -4, 7]) {
    const canvas = document.createElement("canvas");
    canvas.width = canvas.height = Math.ceil(size * 1.2);
    const ctx = canvas.getContext("2d");
    ctx.fillStyle = "#fff";
    ctx.fillRect(0, 0, canvas.width, canvas.height);
    ctx.translate(canvas.width / 2, canvas.height / 2);
    ctx.rotate((degrees * Math.PI) / 180);
    ctx.drawImage(img, -size / 2, -size / 2, size, size);
    const bitmap = new ZXing.BinaryBitmap(
      new ZXing.HybridBinarizer(new ZXing.HTMLCanvasElementLuminanceSource(canvas))
    );
    try {
      return new ZXing.QRCodeReader().decode(bitmap).getText();
    } catch (e) {
      last = e;
    }
  }
  throw last;
}"""


def test_the_sampler_pages_decoder_reads_the_servers_sampling_code(
    page, live_server, residents, make_user
):
    from fangkong.accounts.models import Role
    from fangkong.people.models import Resident
    from fangkong.people.sampling_codes import sampling_code_for

    wang_fang = Resident.objects.get(name="王芳")
    log_in(page, live_server, make_user(Role.GRID_WORKER, G111), f"/codes/{wang_fang.pk}/")
    decoder = f"{live_server.url}/static/vendor/zxing/zxing-library-0.23.0.min.js"
    assert page.evaluate(DECODE, decoder) == sampling_code_for(wang_fang.pk)


DEVICE_STORAGE = """async () => {
  const dump = (store) => Array.from({ length: store.length }, (_, i) => store.key(i))
    .map((k) => k + "=" + store.getItem(k)).join("\\n");
  const dbs = indexedDB.databases ? (await indexedDB.databases()).map((d) => d.name) : [];
  return { local: dump(localStorage), session: dump(sessionStorage), idb: dbs.join(",") };
}"""


def test_the_offline_queue_is_encrypted_on_the_device_and_cleared_at_logout(
    page, live_server, residents, id_number, sampling_station
):
    """Regression: the queue kept clear ID numbers, names and phones in localStorage, with
    no expiry, and they stayed after logout."""
    sampler, station, tube = sampling_station
    zhang_wei = id_number("410172", "19900101", 11)
    log_in(page, live_server, sampler, f"/testing/sampler/{station.pk}/")
    wedge(page, tube.barcode)
    expect(page.get_by_test_id("person-input")).to_be_focused()
    page.context.set_offline(True)
    wedge(page, zhang_wei)
    page.get_by_test_id("no-document").click()
    page.get_by_test_id("nodoc-name").fill("赵大爷")
    page.get_by_test_id("nodoc-phone").fill("13800001234")
    page.get_by_test_id("nodoc-guardian").fill("赵小明 13900005678")
    page.get_by_test_id("nodoc-add").click()
    expect(page.get_by_test_id("queued-count")).to_have_text("2")

    def stored() -> str:
        found = page.evaluate(DEVICE_STORAGE)
        return "\n".join(found.values())

    page.wait_for_function("() => Object.keys(localStorage).some((k) => k.includes('sampler.v2'))")
    kept = stored()
    assert "fangkong.sampler.v2" in kept
    for clear in (zhang_wei, zhang_wei[-8:], "赵大爷", "赵小明", "13800001234", "13900005678"):
        assert clear not in kept

    # The key is in no storage, and not left in the page's markup either.
    assert page.get_by_test_id("station-name").is_visible()
    assert page.locator("[data-queue-key]").count() == 0

    # Encrypted, the queue still survives a reload; then logging out removes it.
    page.route(SAMPLES_API, lambda route: route.abort())
    page.context.set_offline(False)
    page.reload()
    expect(page.get_by_test_id("queued-count")).to_have_text("2")
    page.get_by_test_id("logout").click()
    page.wait_for_url(re.compile(r"/accounts/login/"))
    assert "fangkong.sampler" not in stored()


def test_a_reused_key_is_refused_and_shown_for_a_new_scan(
    page, live_server, residents, id_number, sampling_station
):
    """Regression: a key reused for another person was answered as a replay, so the second
    person was silently not sampled. The server answers 409 `reused`; the page lists the
    scan as refused, to be taken again."""
    from fangkong.testing.models import Sample

    sampler, station, tube = sampling_station
    log_in(page, live_server, sampler, f"/testing/sampler/{station.pk}/")
    first_key = []

    def remember(route):
        body = json.loads(route.request.post_data)
        first_key.append(body["items"][0]["idempotency_key"])
        route.continue_()

    page.route(SAMPLES_API, remember, times=1)
    wedge(page, tube.barcode)
    wedge(page, id_number("410172", "19900101", 11))  # 张伟
    expect(page.get_by_test_id("confirmed-count")).to_have_text("1", timeout=60_000)

    def reuse(route):
        body = json.loads(route.request.post_data)
        body["items"][0]["idempotency_key"] = first_key[0]  # a device that reuses its keys
        route.continue_(post_data=json.dumps(body))

    page.route(SAMPLES_API, reuse, times=1)
    wedge(page, id_number("410102", "19450302", 22))  # 王芳
    refused = page.get_by_test_id("rejected-list").locator("li[data-code=reused]")
    expect(refused).to_have_count(1, timeout=60_000)
    expect(refused).to_contain_text("请重新扫描此人")
    expect(page.get_by_test_id("queue-total")).to_have_text("0")
    assert Sample.objects.filter(tube=tube).count() == 1
