"""The lab pages under /testing/lab/ with a logged-in lab technician."""

import io

import pytest

from devtools.fixtures import PASSWORD
from fangkong.accounts.models import Role
from fangkong.lab.models import LabResult, TransportBox
from fangkong.lab.tests.test_api import call, denials, mistyped, sealed

__all__ = ["sealed"]


@pytest.fixture
def technician(make_user, lab):
    user = make_user(Role.LAB_TECHNICIAN, "410172", display_name="检验员丁")
    lab.members.add(user)
    return user


@pytest.fixture
def in_transit(client, sealed, tablet, mass_round):
    body = {"code": "BOX-P", "round": mass_round.pk, "barcodes": [sealed[0].barcode], "by": "甲"}
    call(client, "post", "/boxes", tablet, body)
    call(client, "post", "/boxes/BOX-P/handover", tablet, {"courier": "乙"})
    return sealed


def test_a_technician_receives_a_box_and_uploads_a_file_on_the_lab_page(
    client, in_transit, technician, lab
):
    assert client.login(username=technician.username, password=PASSWORD)
    page = client.get("/testing/lab/")
    assert page.status_code == 200 and lab.name in page.content.decode()
    wrong = client.post("/testing/lab/receive/", {"code": "NOPE", "by": "丁"})
    assert wrong.status_code == 404 and "receive-error" in wrong.content.decode()
    done = client.post("/testing/lab/receive/", {"code": "BOX-P", "by": "丁"}, follow=True)
    assert done.status_code == 200 and 'data-testid="received"' in done.content.decode()
    assert TransportBox.objects.get(code="BOX-P").received_by == "丁"
    barcode = in_transit[0].barcode
    csv_file = io.BytesIO(f"管号,结果\n{barcode},阴性\n{mistyped(barcode)},阴性\n".encode("gbk"))
    csv_file.name = "results.csv"
    answer = client.post("/testing/lab/upload/", {"results": csv_file, "idempotency_key": "form-1"})
    assert answer.status_code == 200
    report = answer.context["report"]
    assert [(r["row"], r["status"]) for r in report["rows"]] == [(2, "accepted"), (3, "rejected")]
    html = answer.content.decode()
    # The page speaks Chinese by default: 条码输入有误 (mistyped barcode).
    assert 'data-status="rejected"' in html and "条码输入有误" in html
    csv_file.seek(0)
    again = client.post("/testing/lab/upload/", {"results": csv_file, "idempotency_key": "form-1"})
    assert again.context["replayed"] and LabResult.objects.count() == 1
    box = client.get("/testing/lab/boxes/BOX-P/")
    assert box.status_code == 200 and "丁" in box.content.decode()


def test_the_lab_page_is_refused_to_people_who_do_not_report_results(client, commander, make_user):
    client.force_login(commander)
    assert client.get("/testing/lab/").status_code == 403
    assert denials().count() == 1
    client.force_login(make_user(Role.LAB_TECHNICIAN, "410172"))  # on no laboratory's staff
    assert client.get("/testing/lab/").status_code == 403
    assert denials().count() == 2
