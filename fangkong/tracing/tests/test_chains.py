"""Chains: cases linked through contacts who turned positive form one cluster; a cluster's
graph is served on demand."""

from __future__ import annotations

import datetime as dt

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
