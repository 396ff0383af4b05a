"""Chains: cases linked through contacts who turned positive form one cluster; a cluster's
graph is served on demand."""

from __future__ import annotations

import datetime as dt

from fangkong.tracing.chains import cluster_overview, clusters
from fangkong.tracing.selectors import cases_for
from fangkong.tracing.services.cases import open_case
from fangkong.tracing.services.contacts import add_contact

T0 = dt.datetime(2022, 6, 13, 3, 4, tzinfo=dt.timezone(dt.timedelta(hours=8)))


def _case(user, number):
    return open_case(
        user=user,
        document_number=number,
        kind="asymptomatic",
        sampling_date=T0.date(),
        opened_at=T0,
    )


def test_cases_linked_by_a_contact_are_one_cluster(
    client, commander, residents, resident_documents
):
    first = _case(commander, resident_documents["张伟"])
    add_contact(
        user=commander,
        case=first,
        tier="close",
        document_number=resident_documents["刘洋"],
        last_exposure=T0.date(),
    )
    add_contact(
        user=commander,
        case=first,
        tier="close",
        document_number=resident_documents["陈静"],
        last_exposure=T0.date(),
    )
    second = _case(commander, resident_documents["刘洋"])
    lone = _case(commander, resident_documents["杨磊"])
    client.force_login(commander)
    page = client.get("/tracing/chains/").content.decode()
    assert page.count('data-testid="cluster"') == 2
    graph = client.get(f"/tracing/chains/{first.pk}.json").json()
    ids = {n["id"] for n in graph["nodes"]}
    assert ids == {
        f"case-{first.pk}",
        f"case-{second.pk}",
        *[i for i in ids if i.startswith("contact-")],
    }
    assert (
        len(ids) == 3
        and {"source": f"case-{first.pk}", "target": f"case-{second.pk}"} in graph["links"]
    )
    assert client.get(f"/tracing/chains/{lone.pk}.json").json()["nodes"][0]["name"] == "杨磊"


def _contact(user, case, number):
    return add_contact(
        user=user, case=case, tier="close", document_number=number, last_exposure=T0.date()
    )


def test_the_overview_counts_each_cluster_in_two_queries(
    commander, residents, resident_documents, django_assert_max_num_queries
):
    docs = resident_documents
    first = _case(commander, docs["张伟"])
    _contact(commander, first, docs["刘洋"])
    _contact(commander, first, docs["陈静"])
    second = _case(commander, docs["刘洋"])
    _contact(commander, second, docs["杨磊"])
    lone = _case(commander, docs["王芳"])
    cases = cases_for(commander)
    with django_assert_max_num_queries(2):
        overview = cluster_overview(cases)
    assert overview == [
        {"cluster": first.pk, "cases": 2, "contacts": 3},
        {"cluster": lone.pk, "cases": 1, "contacts": 0},
    ]
    assert clusters(cases) == {first.pk: [first.pk, second.pk], lone.pk: [lone.pk]}


def test_a_link_from_a_case_outside_the_readers_area_is_not_followed(
    commander, grid_worker, residents, resident_documents
):
    docs = resident_documents
    mine = _case(commander, docs["张伟"])  # grid 111, the grid worker's
    theirs = _case(commander, docs["刘洋"])  # grid 112
    _contact(commander, theirs, docs["张伟"])
    assert cluster_overview(cases_for(commander)) == [
        {"cluster": mine.pk, "cases": 2, "contacts": 1}
    ]
    assert cluster_overview(cases_for(grid_worker)) == [
        {"cluster": mine.pk, "cases": 1, "contacts": 0}
    ]


def test_clusters_and_the_pushed_out_list_page_by_page(
    client, commander, residents, resident_documents, id_number, monkeypatch
):
    monkeypatch.setattr("fangkong.core.http.PAGE_SIZE", 2)
    cases = [_case(commander, resident_documents[n]) for n in ("张伟", "杨磊", "王芳")]
    for k in range(3):
        add_contact(
            user=commander,
            case=cases[0],
            tier="close",
            document_number=id_number("320102", "19800101", 10 + k),
            last_exposure=T0.date(),
            destination="南京市玄武区",
        )
    client.force_login(commander)
    for url, testid in (
        ("/tracing/chains/", 'data-testid="cluster"'),
        ("/tracing/pushed-out/", 'data-testid="pushed-out-contact"'),
    ):
        first = client.get(url).content.decode()
        assert first.count(testid) == 2 and 'href="?page=2"' in first, url
        second = client.get(url, {"page": 2}).content.decode()
        assert second.count(testid) == 1 and 'href="?page=1"' in second, url
