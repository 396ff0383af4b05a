"""Exposures: a worked example on both databases, the inclusive boundary, windows per kind of
venue, the person's own scans under another spelling, and the CLI's JSON."""

from __future__ import annotations

import datetime as dt
import io
import json

import pytest
from django.core.management import call_command

from fangkong.core.errors import RuleViolation
from fangkong.people.services import document_index
from fangkong.tracing.selectors import OPERATOR, list_exposures
from fangkong.tracing.services.scans import import_scans

from .conftest import G111

CST = dt.timezone(dt.timedelta(hours=8))


@pytest.fixture
def docs(id_number):
    return {
        "case": id_number("410172", "19900101", 11),
        "b": id_number("410102", "19450302", 22),
        "c": id_number("411302", "19851120", 33),
    }


@pytest.fixture
def scans(district, docs, write_csv):
    """The case visits a supermarket (±30 min), a pharmacy (±15) and a restaurant (±60)."""
    case, b, c = docs["case"], docs["b"], docs["c"]
    full_width = "".join(chr(ord(ch) + 0xFEE0) for ch in case)
    old = case[:6] + case[8:17]  # the same person's 15-digit first-generation number
    rows = [
        ("a1", "V-S", "超市", "supermarket", case, "2022-06-13T10:00:00+08:00"),
        ("a2", "V-P", "药店", "pharmacy", case, "2022-06-13T04:00:00Z"),  # 12:00 local
        ("a3", "V-R", "餐馆", "restaurant", full_width, "2022-06-13T18:00:00+08:00"),
        ("a5", "V-R", "餐馆", "restaurant", case, "2022-06-13T18:40:00+08:00"),
        ("own", "V-S", "超市", "supermarket", old, "2022-06-13T02:00:00Z"),  # = a1
        ("late", "V-S", "超市", "supermarket", case, "2022-06-20T10:00:00+08:00"),
        ("b1", "V-S", "超市", "supermarket", b, "2022-06-13T09:30:00+08:00"),
        ("b2", "V-S", "超市", "supermarket", c, "2022-06-13T10:30:00+08:00"),
        ("b3", "V-S", "超市", "supermarket", b, "2022-06-13T10:30:01+08:00"),
        ("b4", "V-S", "超市", "supermarket", c, "2022-06-13T09:29:59+08:00"),
        ("b5", "V-P", "药店", "pharmacy", b, "2022-06-13T12:15:00+08:00"),
        ("b6", "V-P", "药店", "pharmacy", c, "2022-06-13T12:16:00+08:00"),
        ("b7", "V-R", "餐馆", "restaurant", b, "2022-06-13T18:59:00+08:00"),
        ("b8", "V-R", "餐馆", "restaurant", c, "2022-06-13T18:20:00+08:00"),
        ("c1", "V-X", "办公室", "office", c, "2022-06-13T10:00:00+08:00"),
        ("b9", "V-S", "超市", "supermarket", b, "2022-06-20T10:00:00+08:00"),
    ]
    report = import_scans(
        path=write_csv([(s, v, n, k, "resident_id", d, t) for s, v, n, k, d, t in rows])
    )
    assert report.imported == len(rows), report.errors


def _exposures(docs, **extra):
    return list(
        list_exposures(
            actor=extra.pop("actor", OPERATOR),
            document_number=docs["case"],
            start=dt.datetime(2022, 6, 13, tzinfo=CST),
            end=dt.datetime(2022, 6, 13, 23, 59, 59, tzinfo=CST),
            **extra,
        )
    )


def test_exposures_are_the_other_scans_within_the_window_of_each_kind(scans, docs):
    found = {(e.source_id, e.matched_source_id, e.minutes_apart) for e in _exposures(docs)}
    assert found == {
        ("b1", "a1", 30.0),  # 30 minutes before: inclusive
        ("b2", "a1", 30.0),  # 30 minutes after: inclusive
        ("b5", "a2", 15.0),  # a pharmacy's window is 15 minutes
        ("b7", "a5", 19.0),  # nearest of the case's two restaurant visits
        ("b8", "a3", 20.0),  # as near to both: the earlier visit
    }


def test_one_second_past_the_window_is_not_an_exposure(scans, docs):
    ids = {e.source_id for e in _exposures(docs)}
    assert not ids & {"b3", "b4", "b6"}


def test_the_persons_own_scans_under_any_spelling_are_never_exposures(scans, docs):
    ids = {e.source_id for e in _exposures(docs)}
    assert not ids & {"a1", "a2", "a3", "a5", "own", "late"}


def test_an_overriding_window_applies_to_every_kind(scans, docs):
    ids = {e.source_id for e in _exposures(docs, window_minutes=31)}
    assert {"b3", "b4", "b6"} <= ids and "c1" not in ids


def test_a_users_exposures_stay_at_venues_in_their_area(scans, docs, make_user):
    from fangkong.accounts.models import Role
    from fangkong.tracing.models import Venue

    Venue.objects.filter(code="V-S").update(area_code=G111)
    worker = make_user(Role.GRID_WORKER, G111)
    assert {e.venue_code for e in _exposures(docs, actor=worker)} == {"V-S"}


def test_a_period_that_ends_before_it_starts_is_refused(scans, docs):
    with pytest.raises(RuleViolation):
        list_exposures(
            actor=OPERATOR,
            document_number=docs["case"],
            start=dt.datetime(2022, 6, 14, tzinfo=CST),
            end=dt.datetime(2022, 6, 13, tzinfo=CST),
        )


def test_the_exposures_command_prints_each_exposure_scan_once(scans, docs):
    out = io.StringIO()
    call_command(
        "tracing",
        "exposures",
        "--document-number",
        docs["case"].lower(),
        "--from",
        "2022-06-13T00:00:00+08:00",
        "--to",
        "2022-06-13",
        "--json",
        stdout=out,
    )
    data = json.loads(out.getvalue())
    assert list(data) == ["exposures"]
    first = data["exposures"][0]
    assert list(first) == [
        "source_id",
        "venue_code",
        "scanned_at",
        "matched_source_id",
        "minutes_apart",
    ]
    assert [e["source_id"] for e in data["exposures"]] == ["b5", "b8", "b7", "b1", "b2"]
    assert data["exposures"][3] == {
        "source_id": "b1",
        "venue_code": "V-S",
        "scanned_at": "2022-06-13T09:30:00+08:00",
        "matched_source_id": "a1",
        "minutes_apart": 30.0,
    }


# --- the investigator's page ------------------------------------------------------------------


def _search(client, docs):
    answer = client.post(
        "/tracing/exposures/",
        {
            "document_type": "resident_id",
            "document_number": docs["case"],
            "start": "2022-06-13 00:00",
            "end": "2022-06-13 23:59",
        },
    )
    assert answer.status_code == 302 and docs["case"] not in answer.url
    return client.get(answer.url)


def test_the_page_counts_candidates_by_visit_and_shows_the_first_visits(
    client, commander, scans, docs
):
    client.force_login(commander)
    answer = _search(client, docs)
    page = answer.content.decode()
    # a1, a2, a3 and a5 in time order; "own" (a1 under another spelling) has none of its own.
    counts = [(v.source_id, v.candidates) for v in answer.context["visits"]]
    assert counts == [("a1", 2), ("a2", 1), ("a3", 1), ("a5", 1)]
    assert page.count('data-testid="visit"') == 4
    assert answer.context["count"] == 5
    assert [c["e"].source_id for c in answer.context["candidates"]] == ["b1", "b2"]
    assert not any(d in page for d in docs.values())


def test_a_visit_opened_shows_its_own_candidates(client, commander, scans, docs):
    from urllib.parse import parse_qsl

    client.force_login(commander)
    first = _search(client, docs)
    query = dict(parse_qsl(first.request["QUERY_STRING"]))
    link = first.content.decode().split('data-testid="open-visit"')[0].rsplit('href="?', 1)[1]
    assert dict(parse_qsl(link.split('"')[0].replace("&amp;", "&"))) == {**query, "visit": "a2"}
    opened = client.get("/tracing/exposures/", {**query, "visit": "a5"})
    assert [c["e"].source_id for c in opened.context["candidates"]] == ["b7"]


def test_the_page_counts_agree_with_the_full_answer(client, commander, scans, docs):
    client.force_login(commander)
    query = _search(client, docs).context
    by_visit = {v.source_id: v.candidates for v in query["visits"]}
    full = _exposures(docs)
    assert sum(by_visit.values()) == len(full)
    for visit, n in by_visit.items():
        assert n == sum(e.matched_source_id == visit for e in full)


def test_a_candidate_is_accepted_as_a_tier_or_rejected_with_a_reason(
    client, commander, scans, docs
):
    from fangkong.tracing.models import ExposureDecision

    client.force_login(commander)
    page = _search(client, docs)
    subject = page.context["subject"]
    client.post(
        "/tracing/exposures/decide/",
        {"subject": subject, "source_id": "b1", "decision": "accepted", "tier": "close"},
    )
    client.post(
        "/tracing/exposures/decide/",
        {"subject": subject, "source_id": "b5", "decision": "rejected", "reason": ""},
    )
    client.post(
        "/tracing/exposures/decide/",
        {"subject": subject, "source_id": "b2", "decision": "rejected", "reason": "店员，全程防护"},
    )
    rows = {d.source_id: (d.decision, d.tier, d.reason) for d in ExposureDecision.objects.all()}
    assert rows == {"b1": ("accepted", "close", ""), "b2": ("rejected", "", "店员，全程防护")}
    accepted = ExposureDecision.objects.get(source_id="b1")
    assert accepted.document_index == document_index("resident_id", docs["b"])
    assert "店员，全程防护" in _search(client, docs).content.decode()


def test_exposures_are_one_query_after_the_protocol(scans, docs, django_assert_max_num_queries):
    _exposures(docs)  # loads the preset once
    # The preset (2), the query's settings on PostgreSQL (1) and the exposures (1).
    with django_assert_max_num_queries(4):
        assert len(_exposures(docs)) == 5


def test_a_visits_candidates_page_by_page_keeping_the_person_and_the_period(
    client, commander, scans, docs, monkeypatch
):
    from urllib.parse import parse_qsl

    monkeypatch.setattr("fangkong.core.http.PAGE_SIZE", 1)
    client.force_login(commander)
    first = _search(client, docs)
    html = first.content.decode()
    assert html.count('data-testid="candidate"') == 1
    assert first.context["count"] == 5  # the count is of every candidate
    query = dict(parse_qsl(first.request["QUERY_STRING"]))
    second = client.get("/tracing/exposures/", {**query, "page": 2})
    assert [c["e"].source_id for c in second.context["candidates"]] == ["b2"]
    link = html.split('data-testid="pager-page"')[1].split('href="?')[1].split('"')[0]
    kept = dict(parse_qsl(link.replace("&amp;", "&")))
    assert kept == {**query, "page": "2"}


def test_the_command_streams_an_answer_longer_than_its_batches(
    district, docs, write_csv, monkeypatch
):
    monkeypatch.setattr("fangkong.tracing.exposure_sql.STREAM_ROWS", 7)
    monkeypatch.setattr("fangkong.tracing.management.commands._tracing_queries.WRITE_BATCH", 5)
    rows = [("case", "V-M", "地铁站", "metro_station", docs["case"], "2022-06-13T08:00:00+08:00")]
    rows += [
        (
            f"o{i:02d}",
            "V-M",
            "地铁站",
            "metro_station",
            docs["b"],
            f"2022-06-13T08:{i:02d}:00+08:00",
        )
        for i in range(1, 11)
    ]
    import_scans(path=write_csv([(s, v, n, k, "resident_id", d, t) for s, v, n, k, d, t in rows]))
    out = io.StringIO()
    call_command(
        "tracing", "exposures", "--document-number", docs["case"], "--from", "2022-06-13",
        "--to", "2022-06-13", "--json", stdout=out,
    )  # fmt: skip
    data = json.loads(out.getvalue())
    assert [e["source_id"] for e in data["exposures"]] == [f"o{i:02d}" for i in range(1, 11)]


def test_a_scan_near_two_visits_is_counted_once_at_the_nearer(district, docs, write_csv):
    rows = [
        ("m1", "V-M", "地铁站", "metro_station", docs["case"], "2022-06-13T08:00:00+08:00"),
        ("m2", "V-M", "地铁站", "metro_station", docs["case"], "2022-06-13T08:12:00+08:00"),
        ("x1", "V-M", "地铁站", "metro_station", docs["b"], "2022-06-13T08:07:00+08:00"),
        ("x2", "V-M", "地铁站", "metro_station", docs["b"], "2022-06-13T08:06:00+08:00"),
        ("x3", "V-M", "地铁站", "metro_station", docs["c"], "2022-06-13T08:05:00+08:00"),
    ]
    import_scans(path=write_csv([(s, v, n, k, "resident_id", d, t) for s, v, n, k, d, t in rows]))
    found = {e.source_id: e.matched_source_id for e in _exposures(docs)}
    # Each is within both visits' ±10 minutes: the nearer visit takes it, and a tie (x2, six
    # minutes from each) goes to the earlier one.
    assert found == {"x1": "m2", "x2": "m1", "x3": "m1"}


def test_the_page_is_a_grouped_count_and_one_page_of_one_visit(
    client, commander, scans, docs, django_assert_max_num_queries
):
    from urllib.parse import parse_qsl

    client.force_login(commander)
    first = _search(client, docs)
    query = dict(parse_qsl(first.request["QUERY_STRING"]))
    # Session and user, the preset, the counts, the shown visit's page, the decisions on that
    # page (7; the two queries' settings make 9 on PostgreSQL), however many candidates.
    with django_assert_max_num_queries(9):
        assert client.get("/tracing/exposures/", query).status_code == 200
