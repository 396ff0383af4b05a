"""Checkpoints: the allow/deny table, passes (signed, nothing personal in the code, revocable),
the guard's scans logged in and out, the duty log, and the fast API."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from devtools.fixtures import C11, G111, G112, G211, D
from fangkong.accounts.models import Role
from fangkong.accounts.services import create_device_token
from fangkong.core.errors import PermissionDeniedError, RuleViolation
from fangkong.people.sampling_codes import sampling_code_for
from fangkong.protocols import preset_files
from fangkong.zones import rules
from fangkong.zones.models import DutyLogEntry, Passage
from fangkong.zones.protocols import get_preset, read_preset_file
from fangkong.zones.services.checkpoints import log_duty, set_up_checkpoint
from fangkong.zones.services.gate import decide_passage
from fangkong.zones.services.passes import issue_pass, pass_code, pass_qr_svg, revoke_pass

from .conftest import B1111, COMPOUND

# --- the rule table ---------------------------------------------------------------------------

TABLE = [
    # direction, person's regime, checkpoint's regime, lives in the zone, pass, decision, rule
    ("out", "sealed", "sealed", True, None, "deny", "sealed_no_exit"),
    ("out", "sealed", "sealed", True, "medical", "allow", "sealed_exit_with_pass"),
    ("out", "sealed", "sealed", True, "emergency", "allow", "sealed_exit_with_pass"),
    ("out", "sealed", "sealed", True, "supply", "deny", "sealed_no_exit"),
    ("out", "sealed", "controlled", False, "staff", "deny", "sealed_no_exit"),
    ("out", "controlled", "controlled", True, None, "deny", "controlled_no_exit"),
    ("out", "controlled", "controlled", True, "medical", "allow", "controlled_exit_with_pass"),
    ("out", "precaution", "precaution", True, None, "allow", "precaution_open"),
    ("out", None, "sealed", False, None, "allow", "outside_zones"),
    ("out", None, "sealed", False, "staff", "allow", "pass_holder"),
    ("in", "sealed", "sealed", True, None, "allow", "resident_returns"),
    ("in", None, "sealed", False, None, "deny", "sealed_no_entry"),
    ("in", None, "sealed", False, "supply", "allow", "pass_holder"),
    ("in", None, "controlled", False, None, "deny", "controlled_no_entry"),
    ("in", None, "precaution", False, None, "allow", "precaution_open"),
]


@pytest.mark.parametrize(
    ("direction", "person", "checkpoint", "lives", "purpose", "decision", "rule"), TABLE
)
def test_the_gate_rule_table(direction, person, checkpoint, lives, purpose, decision, rule):
    assert rules.decide(
        direction=direction,
        person_regime=person,
        checkpoint_regime=checkpoint,
        lives_in_zone=lives,
        pass_purpose=purpose,
    ) == (decision, rule)
    assert rules.rule_text(rule)


ZONE_RULES = [
    (data["name"], z["kind"], z["regime"])
    for data in map(read_preset_file, preset_files())
    for z in data["zones"]
]


@pytest.mark.parametrize(("preset", "kind", "regime"), ZONE_RULES)
def test_leaving_without_a_pass_follows_the_preset_regime(preset, kind, regime):
    decision, _rule = rules.decide(
        direction="out", person_regime=regime, checkpoint_regime=regime, lives_in_zone=True
    )
    assert decision == ("allow" if regime == "precaution" else "deny")


# --- the gate, end to end ----------------------------------------------------------------------


@pytest.fixture
def guard(make_user):
    return make_user(Role.CHECKPOINT_GUARD, C11)


@pytest.fixture
def sealed(designate, people):
    return designate("sealed", [COMPOUND])


@pytest.fixture
def checkpoint(sealed, commander, guard):
    return set_up_checkpoint(zone=sealed, user=commander, name="瓦屋李新居南门卡点", guards=[guard])


@pytest.fixture
def make_pass(sealed, commander):
    def make(purpose="medical", subject="person", resident=None, zone=None, **extra):
        now = timezone.now()
        extra.setdefault("valid_from", now - dt.timedelta(hours=1))
        extra.setdefault("valid_until", now + dt.timedelta(hours=8))
        if subject == "vehicle":
            extra.setdefault("plate", "豫A12345")
        return issue_pass(
            zone=zone or sealed,
            user=commander,
            subject=subject,
            purpose=purpose,
            resident=resident,
            **extra,
        )

    return make


def test_a_new_checkpoint_is_a_place_on_the_boundary(checkpoint, sealed, guard):
    place = checkpoint.place
    assert place.kind == "checkpoint" and place.code == f"{C11}-P02"
    assert place.geometry["type"] == "Point"
    corners = [pt for poly in sealed.geometry["coordinates"] for pt in poly[0]]
    assert place.geometry["coordinates"] in corners
    assert list(checkpoint.guards.all()) == [guard]


def test_only_guards_can_be_put_on_a_checkpoint(sealed, commander, make_user):
    with pytest.raises(RuleViolation) as caught:
        set_up_checkpoint(
            zone=sealed, user=commander, name="北门", guards=[make_user(Role.GRID_WORKER, G111)]
        )
    assert caught.value.field == "guard"


def test_a_sealed_resident_may_not_leave_without_a_medical_pass(
    checkpoint, people, guard, make_pass, id_number
):
    number = id_number("410102", "19450302", 22)  # 王芳
    no = decide_passage(checkpoint=checkpoint, code=number, direction="out", actor=guard)
    assert (no.decision, no.rule, no.zone_kind) == ("deny", "sealed_no_exit", "sealed")
    medical = make_pass("medical", resident=people["王芳"])
    yes = decide_passage(
        checkpoint=checkpoint, code=pass_code(medical), direction="out", actor=guard
    )
    assert (yes.decision, yes.rule) == ("allow", "sealed_exit_with_pass")
    assert yes.subject == "王*" and yes.pass_number == medical.number
    back = decide_passage(
        checkpoint=checkpoint, code=pass_code(medical), direction="in", actor=guard
    )
    assert (back.decision, back.rule) == ("allow", "resident_returns")
    log = list(
        Passage.objects.order_by("id").values_list("direction", "decision", "resident__name")
    )
    assert log == [("out", "deny", "王芳"), ("out", "allow", "王芳"), ("in", "allow", "王芳")]


def test_passes_that_no_longer_hold(checkpoint, people, guard, make_pass, commander, designate):
    revoked = make_pass("emergency", resident=people["张伟"])
    revoke_pass(pass_=revoked, user=commander, reason="已遗失")
    expired = make_pass(
        "medical",
        resident=people["张伟"],
        valid_from=timezone.now() - dt.timedelta(days=2),
        valid_until=timezone.now() - dt.timedelta(days=1),
    )
    early = make_pass(
        "medical",
        resident=people["张伟"],
        valid_from=timezone.now() + dt.timedelta(hours=2),
        valid_until=timezone.now() + dt.timedelta(hours=6),
    )
    elsewhere = make_pass("medical", holder_name="赵医生", zone=designate("controlled", [G211]))
    forged = pass_code(early)[:-3] + "abc"
    for code, rule in [
        (pass_code(revoked), "pass_revoked"),
        (pass_code(expired), "pass_expired"),
        (pass_code(early), "pass_not_yet_valid"),
        (pass_code(elsewhere), "pass_other_zone"),
        (forged, "pass_forged"),
        ("hello", "unknown_code"),
    ]:
        d = decide_passage(checkpoint=checkpoint, code=code, direction="out", actor=guard)
        assert (d.decision, d.rule) == ("deny", rule), code


def test_deliveries_and_outsiders(checkpoint, people, guard, make_pass, id_number):
    truck = make_pass("supply", subject="vehicle")
    d = decide_passage(checkpoint=checkpoint, code=pass_code(truck), direction="in", actor=guard)
    assert (d.decision, d.rule, d.subject) == ("allow", "pass_holder", "豫A12345")
    outsider = id_number("410181", "19991231", 55)  # 杨磊 lives in no zone
    d = decide_passage(checkpoint=checkpoint, code=outsider, direction="in", actor=guard)
    assert (d.decision, d.rule) == ("deny", "sealed_no_entry")
    d = decide_passage(checkpoint=checkpoint, code=outsider, direction="out", actor=guard)
    assert (d.decision, d.rule) == ("allow", "outside_zones")
    home = decide_passage(
        checkpoint=checkpoint,
        code=sampling_code_for(people["张伟"].pk),
        direction="in",
        actor=guard,
    )
    assert (home.decision, home.rule) == ("allow", "resident_returns")


def test_the_strictest_zone_decides_at_a_controlled_gate(
    designate, people, commander, guard, id_number
):
    controlled = designate("controlled", [G111])
    designate("sealed", [COMPOUND])
    gate = set_up_checkpoint(zone=controlled, user=commander, name="第一网格卡点", guards=[guard])
    d = decide_passage(
        checkpoint=gate, code=id_number("410102", "19450302", 22), direction="out", actor=guard
    )
    assert (d.decision, d.rule, d.zone_kind) == ("deny", "sealed_no_exit", "sealed")
    # Coming back, the gate's own zone holds her home too (by its grid): she may go home.
    back = decide_passage(
        checkpoint=gate, code=id_number("410102", "19450302", 22), direction="in", actor=guard
    )
    assert (back.decision, back.rule, back.zone_kind) == ("allow", "resident_returns", "controlled")


def test_the_gate_names_the_zone_the_zone_selectors_name(
    designate, people, commander, guard, id_number, days_ago
):
    """The gate's own SQL follows selectors.applicable_zone: the strictest zone, then the
    latest designated between equals (a high-risk area counts as sealed)."""
    from fangkong.zones import selectors

    sealed = designate("sealed", [COMPOUND], designated_at=days_ago(3))
    nine = get_preset("cn-9th-edition-2022")
    designate("high", [B1111], protocol=nine, designated_at=days_ago(1))
    designate("controlled", [G111], designated_at=days_ago(0, hour=0))
    gate = set_up_checkpoint(zone=sealed, user=commander, name="南门", guards=[guard])
    seen = {}
    for name, number in [
        ("王芳", ("410102", "19450302", 22)),
        ("陈静", ("410172", "19700707", 44)),
    ]:
        d = decide_passage(checkpoint=gate, code=id_number(*number), direction="out", actor=guard)
        expected = selectors.applicable_zone_for_resident(people[name])
        assert d.zone_kind == (expected.zone_kind or "sealed"), name  # nobody's zone: the gate's
        seen[name] = (d.zone_kind, d.rule)
    assert seen == {"王芳": ("high", "sealed_no_exit"), "陈静": ("sealed", "outside_zones")}


def test_a_controlled_resident_stays_in_the_zone(designate, people, commander, guard, id_number):
    zone = designate("controlled", [G112])
    gate = set_up_checkpoint(zone=zone, user=commander, name="第二网格卡点", guards=[guard])
    d = decide_passage(
        checkpoint=gate, code=id_number("411302", "19851120", 33), direction="out", actor=guard
    )
    assert (d.decision, d.rule, d.zone_kind) == ("deny", "controlled_no_exit", "controlled")


def test_a_decision_takes_few_queries(
    checkpoint, people, guard, make_pass, django_assert_max_num_queries
):
    medical = make_pass("medical", resident=people["王芳"])
    code = pass_code(medical)
    with django_assert_max_num_queries(2):  # the pass with its holder's zones; the log row
        d = decide_passage(checkpoint=checkpoint, code=code, direction="out", actor=guard)
    assert d.decision == "allow"


def test_the_qr_code_carries_no_personal_data(people, make_pass):
    p = make_pass("medical", resident=people["王芳"])
    code = pass_code(p)
    assert code.startswith(f"FKPS.{p.pk}.") and "王" not in code
    assert people["王芳"].document_masked[-4:] not in code
    svg = pass_qr_svg(p)
    assert svg.startswith("<svg") and "王" not in svg


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"purpose": "party"}, "purpose"),
        ({"subject": "vehicle", "plate": ""}, "plate"),
        ({"valid_until": timezone.now() - dt.timedelta(days=1)}, "valid_until"),
        ({"valid_until": timezone.now() + dt.timedelta(days=40)}, "valid_until"),
        ({"holder_name": ""}, "holder_name"),
    ],
)
def test_bad_passes_are_refused(make_pass, extra, field):
    with pytest.raises(RuleViolation) as caught:
        make_pass(**extra)
    assert caught.value.field == field


def test_a_grid_worker_cannot_issue_passes(sealed, make_user):
    with pytest.raises(PermissionDeniedError):
        issue_pass(
            zone=sealed,
            user=make_user(Role.GRID_WORKER, G111),
            subject="person",
            purpose="medical",
            holder_name="王芳",
            valid_from=timezone.now(),
            valid_until=timezone.now() + dt.timedelta(hours=2),
        )


def test_the_duty_log(checkpoint, guard, make_user):
    log_duty(checkpoint=checkpoint, actor=guard, kind="on_duty", note="早班")
    log_duty(checkpoint=checkpoint, actor=guard, kind="disinfection", note="出入口喷洒消毒")
    with pytest.raises(RuleViolation) as caught:
        log_duty(checkpoint=checkpoint, actor=guard, kind="supply_handover")
    assert caught.value.field == "quantity"
    log_duty(
        checkpoint=checkpoint,
        actor=guard,
        kind="supply_handover",
        quantity=48,
        counterpart="志愿者",
    )
    assert DutyLogEntry.objects.filter(checkpoint=checkpoint).count() == 3
    with pytest.raises(PermissionDeniedError):
        log_duty(checkpoint=checkpoint, actor=make_user(Role.CHECKPOINT_GUARD, C11), kind="note")


# --- the API ------------------------------------------------------------------------------------


@pytest.fixture
def guard_device(commander):
    _token, clear = create_device_token(
        name="南门扫码枪", role=Role.CHECKPOINT_GUARD, scope_code=C11, created_by=commander
    )
    return clear


def test_the_api_answers_with_the_rule(
    client, checkpoint, people, guard_device, make_pass, id_number, django_assert_max_num_queries
):
    url = f"/api/v1/zones/checkpoints/{checkpoint.pk}/decide"
    auth = {"Authorization": f"Bearer {guard_device}"}
    body = {"code": id_number("410102", "19450302", 22), "direction": "out"}
    client.post(url, body, content_type="application/json", headers=auth)  # warm the token cache
    with django_assert_max_num_queries(3):  # the checkpoint, the person and zones, the log
        r = client.post(url, body, content_type="application/json", headers=auth)
    assert r.status_code == 200
    data = r.json()
    assert (data["decision"], data["rule"], data["zone_kind"]) == (
        "deny",
        "sealed_no_exit",
        "sealed",
    )
    medical = make_pass("medical", resident=people["王芳"])
    ok = client.post(
        url, {"code": pass_code(medical)}, content_type="application/json", headers=auth
    ).json()
    assert (ok["decision"], ok["rule"], ok["direction"]) == (
        "allow",
        "sealed_exit_with_pass",
        "out",
    )
    assert Passage.objects.filter(by_name="device:南门扫码枪").count() == 3


def test_the_gate_of_a_lifted_zone_lets_everyone_through_and_logs_it(
    client, checkpoint, sealed, people, guard_device, id_number
):
    from fangkong.zones.models import RiskZone

    RiskZone.objects.filter(pk=sealed.pk).update(status="lifted", ended_at=timezone.now())
    r = client.post(
        f"/api/v1/zones/checkpoints/{checkpoint.pk}/decide",
        {"code": id_number("410102", "19450302", 22), "direction": "out"},
        content_type="application/json",
        headers={"Authorization": f"Bearer {guard_device}"},
    )
    assert (r.json()["decision"], r.json()["rule"]) == ("allow", "zone_lifted")
    assert Passage.objects.get().rule == "zone_lifted"


def test_the_api_refuses_other_devices_and_unknown_checkpoints(client, checkpoint, commander):
    _t, sampler = create_device_token(
        name="采样平板", role=Role.SAMPLER, scope_code=C11, created_by=commander
    )
    _t, far = create_device_token(
        name="大里村卡点", role=Role.CHECKPOINT_GUARD, scope_code=G211, created_by=commander
    )
    url = f"/api/v1/zones/checkpoints/{checkpoint.pk}/decide"
    for token in (sampler, far):
        r = client.post(
            url,
            {"code": "x"},
            content_type="application/json",
            headers={"Authorization": f"Bearer {token}"},
        )
        assert r.status_code == 403
    r = client.post(
        "/api/v1/zones/checkpoints/999/decide",
        {"code": "x"},
        content_type="application/json",
        headers={"Authorization": f"Bearer {far}"},
    )
    assert r.status_code == 404
    assert not Passage.objects.exists()


# --- pages ----------------------------------------------------------------------------------------


def test_the_guard_scans_on_the_phone_page(client, checkpoint, guard, people, make_pass):
    client.force_login(guard)
    page = client.get(reverse("zones:guard", args=[checkpoint.pk]))
    assert page.status_code == 200 and b'data-testid="scan-input"' in page.content
    medical = make_pass("medical", resident=people["王芳"])
    r = client.post(
        reverse("zones:guard_scan", args=[checkpoint.pk]),
        {"code": pass_code(medical), "direction": "out"},
        headers={"HX-Request": "true"},
    )
    html = r.content.decode()
    assert "<html" not in html and 'data-decision="allow"' in html
    assert 'data-rule="sealed_exit_with_pass"' in html
    client.post(
        reverse("zones:guard_duty", args=[checkpoint.pk]),
        {"kind": "supply_handover", "quantity": 20, "counterpart": "超市"},
    )
    assert DutyLogEntry.objects.get().quantity == 20
    assert checkpoint.name in client.get(reverse("zones:checkpoints")).content.decode()


def test_another_guard_cannot_use_the_page(client, checkpoint, make_user):
    client.force_login(make_user(Role.CHECKPOINT_GUARD, C11))
    assert client.get(reverse("zones:guard", args=[checkpoint.pk])).status_code == 403


def test_staff_issue_print_and_revoke_a_pass(client, sealed, people, make_user, id_number):
    staff = make_user(Role.COMMUNITY_STAFF, C11)
    client.force_login(staff)
    page = client.get(reverse("zones:zone", args=[sealed.pk])).content.decode()
    assert 'data-testid="pass-form"' in page and 'data-testid="checkpoint-form"' not in page
    now = timezone.localtime()
    r = client.post(
        reverse("zones:pass_new", args=[sealed.pk]),
        {
            "subject": "person",
            "purpose": "medical",
            "document_number": id_number("410102", "19450302", 22),
            "valid_from": now.strftime("%Y-%m-%dT%H:%M"),
            "valid_until": (now + dt.timedelta(hours=6)).strftime("%Y-%m-%dT%H:%M"),
        },
    )
    assert r.status_code == 302
    printed = client.get(r["Location"]).content.decode()
    assert "<svg" in printed and "王*" in printed and "王芳" not in printed
    revoke = printed.split('action="')[-1].split('"')[0]
    client.post(revoke, {"reason": "行程取消"})
    revoked = client.get(r["Location"]).content.decode()
    assert 'data-testid="revoked"' in revoked and "已作废" in revoked  # a pass, not a token


__all__ = ["G112", "D"]


def test_a_zones_checkpoints_and_passes_page_each_on_their_own(
    client, sealed, commander, guard, make_pass, monkeypatch
):
    monkeypatch.setattr("fangkong.core.http.PAGE_SIZE", 2)
    for n in range(3):
        set_up_checkpoint(zone=sealed, user=commander, name=f"卡点{n}", guards=[guard])
        make_pass(purpose="supply", subject="vehicle", plate=f"豫A1234{n}")
    client.force_login(commander)
    url = reverse("zones:zone", args=[sealed.pk])
    first = client.get(url, {"passes": 2}).content.decode()
    assert first.count('data-testid="checkpoint-row"') == 2
    assert first.count('data-testid="pass-row"') == 1  # page 2 of the passes
    assert 'href="?passes=2&amp;checkpoints=2"' in first  # the passes' page kept
    second = client.get(url, {"passes": 1, "checkpoints": 2}).content.decode()
    assert second.count('data-testid="checkpoint-row"') == 1
    assert second.count('data-testid="pass-row"') == 2
    # The guard's list of their checkpoints pages too.
    client.force_login(guard)
    mine = client.get(reverse("zones:checkpoints")).content.decode()
    assert mine.count('data-testid="checkpoint"') == 2 and 'href="?page=2"' in mine
    assert (
        client.get(reverse("zones:checkpoints"), {"page": 2})
        .content.decode()
        .count('data-testid="checkpoint"')
        == 1
    )
