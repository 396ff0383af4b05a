"""Fixtures for the command centre: the small district, a positive pool driven through the
real testing services (device, tubes, seal, box, lab), staff of every level, a fake SMS
gateway (http.server on 127.0.0.1, started and stopped here)."""

from __future__ import annotations

import http.server
import json
import threading

import pytest
from django.core.cache import cache

from devtools.fixtures import C11, G111, G112, G211, S1, S2, D
from fangkong.accounts.models import Role
from fangkong.lab.tests import conftest as lab_fixtures
from fangkong.testing.tests import conftest as testing_fixtures

__all__ = ["C11", "G111", "G112", "G211", "S1", "S2", "D"]

# The testing app's fixtures, reused as they are: a round over the district, a booth with its
# tablet, tubes; and the lab's: a lab with its token.
lab = lab_fixtures.lab
mass_round = testing_fixtures.mass_round
now = testing_fixtures.now
sample_item = testing_fixtures.sample_item
station = testing_fixtures.station
tablet = testing_fixtures.tablet
tubes = testing_fixtures.tubes


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    # Users are made in almost every test here; argon2 would spend most of the suite's time.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    cache.clear()


@pytest.fixture
def staff(make_user):
    """One user per level of the response, plus a sub-district's staff elsewhere."""
    return {
        "commander": make_user(Role.DISTRICT_COMMANDER, D),
        "wutong": make_user(Role.SUBDISTRICT_STAFF, S1),
        "wawuli": make_user(Role.COMMUNITY_STAFF, C11),
        "grid1": make_user(Role.GRID_WORKER, G111),
        "grid2": make_user(Role.GRID_WORKER, G112),
        "fengyang": make_user(Role.SUBDISTRICT_STAFF, S2),
        "auditor": make_user(Role.AUDITOR, D),
    }


@pytest.fixture
def people(residents):
    return {r.name: r for r in residents}


@pytest.fixture
def received_tube(station, tubes, tablet, residents, sample_item, id_number, lab, mass_round):
    """Tube 0 (20:1) with three people of grids 111 and 112, sealed, boxed, carried and
    received by the lab."""
    from fangkong.lab.services.boxes import hand_box_to_courier, pack_box, receive_box
    from fangkong.testing.models import Tube
    from fangkong.testing.services.registration import register_samples
    from fangkong.testing.services.transport import seal_tube

    numbers = [
        id_number("410172", "19900101", 11),  # 张伟, grid 111
        id_number("410102", "19450302", 22),  # 王芳, grid 111
        id_number("411302", "19851120", 33),  # 刘洋, grid 112
    ]
    register_samples(
        station=station, items=[sample_item(tubes[0], n) for n in numbers], actor=tablet
    )
    seal_tube(barcode=tubes[0].barcode, actor=tablet)
    box = pack_box(
        code="BOX-001", round=mass_round, barcodes=[tubes[0].barcode], actor=tablet, by="采样员甲"
    )
    hand_box_to_courier(box=box, courier="转运员乙", actor=tablet)
    receive_box(box=box, lab=lab, actor=lab.token, by="检验员丙")
    return Tube.objects.get(pk=tubes[0].pk)


@pytest.fixture
def positive_pool(received_tube, lab, django_capture_on_commit_callbacks):
    """The lab reports the tube presumptive positive; events delivered after commit."""
    from fangkong.command.models import Incident
    from fangkong.lab.services.results import ResultIn, record_results

    with django_capture_on_commit_callbacks(execute=True):
        record_results(
            lab=lab,
            items=[ResultIn(received_tube.barcode, "presumptive_positive", 34.2, 35.0)],
            actor=lab.token,
        )
    return Incident.objects.get()


# ---------------------------------------------------------------------------------------------
# A fake SMS gateway


class FakeGateway:
    """Answers each POST with the next scripted status (then 200), recording what it got."""

    def __init__(self):
        self.requests: list[dict] = []
        self.script: list[int] = []
        self.lock = threading.Lock()
        gateway = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with gateway.lock:
                    gateway.requests.append(
                        {
                            "auth": self.headers.get("Authorization", ""),
                            "json": json.loads(body.decode()),
                        }
                    )
                    status = gateway.script.pop(0) if gateway.script else 200
                    n = len(gateway.requests)
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                answer = {"id": f"gw-{n}"} if status < 300 else {"error": "busy"}
                self.wfile.write(json.dumps(answer).encode())

            def log_message(self, *args):  # keep the test output quiet
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/sms"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


@pytest.fixture
def sms_gateway(settings):
    with FakeGateway() as gateway:
        settings.FANGKONG_SMS_GATEWAY_URL = gateway.url
        settings.FANGKONG_SMS_GATEWAY_TOKEN = "test-token"
        settings.FANGKONG_SMS_GATEWAY_TIMEOUT = 5
        yield gateway
