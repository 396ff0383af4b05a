"""Chains and clusters: cases linked when one's person was a contact of another, grouped into
clusters (connected components). The overview is one row per cluster; a cluster's graph is
built only when someone opens it, so 50,000 cases never reach the browser at once (SORMAS's
graph failed at 4,746)."""

from __future__ import annotations

from django.db.models import Count

from .models_cases import Case, Contact


def _cases_and_links(cases) -> tuple[dict[int, int], list[tuple[int, int]]]:
    """Each case's number of contacts, and the (source case, case) pairs where the second
    case's person was a contact of the first: two queries, whatever the number of cases."""
    counted = (
        cases.order_by()
        .values("id", "document_index")
        .annotate(n=Count("contacts"))
        .values_list("id", "document_index", "n")
    )
    contacts, by_index = {}, {}
    for pk, index, n in counted:
        contacts[pk], by_index[index] = n, pk
    # A subquery, not a list: 50,000 cases are more parameters than SQLite takes. Contacts of
    # a case outside the scope are dropped here rather than joined in SQL.
    pairs = (
        Contact.objects.filter(document_index__in=cases.values("document_index"))
        .order_by()
        .values_list("case_id", "document_index")
    )
    links = [(src, by_index[idx]) for src, idx in pairs if src in contacts and by_index[idx] != src]
    return contacts, links


def _roots(links: list[tuple[int, int]]) -> dict[int, int]:
    """Each linked case → its cluster's id (the smallest case id), by union-find; a case
    without links is its own cluster and is not in the answer."""
    parent: dict[int, int] = {}
    for a, b in links:
        parent.setdefault(a, a)
        parent.setdefault(b, b)

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for a, b in links:
        ra, rb = root(a), root(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    return {i: root(i) for i in parent}


def clusters(cases) -> dict[int, list[int]]:
    """Cluster id (its smallest case id) → case ids, by union-find over the links."""
    contacts, links = _cases_and_links(cases)
    roots = _roots(links)
    out: dict[int, list[int]] = {}
    for i in sorted(contacts):
        out.setdefault(roots.get(i, i), []).append(i)
    return out


def cluster_overview(cases) -> list[dict]:
    """One row per cluster, largest first: its cases and contacts counted (two queries)."""
    contacts, links = _cases_and_links(cases)
    roots = _roots(links)
    totals: dict[int, list[int]] = {}
    for pk, n in contacts.items():
        row = totals.setdefault(roots.get(pk, pk), [0, 0])
        row[0] += 1
        row[1] += n
    rows = [{"cluster": cid, "cases": c, "contacts": n} for cid, (c, n) in totals.items()]
    return sorted(rows, key=lambda r: (-r["cases"], r["cluster"]))


def cluster_graph(cases, cluster: int) -> dict:
    """The nodes (cases, contacts) and links of one cluster, masked."""
    members = clusters(cases).get(cluster, [])
    nodes = [
        {"id": f"case-{c.pk}", "name": c.person_name or c.document_masked, "category": 0}
        for c in Case.objects.filter(pk__in=members)
    ]
    links, seen = [], {n["id"] for n in nodes}
    case_of = dict(Case.objects.filter(pk__in=members).values_list("document_index", "id"))
    for c in Contact.objects.filter(case_id__in=members).order_by("id"):
        target = (
            f"case-{case_of[c.document_index]}"
            if c.document_index in case_of
            else f"contact-{c.pk}"
        )
        if target not in seen:
            nodes.append(
                {
                    "id": target,
                    "name": c.person_name or c.document_masked,
                    "category": 1 if c.tier == "close" else 2,
                }
            )
            seen.add(target)
        links.append({"source": f"case-{c.case_id}", "target": target})
    return {"cluster": cluster, "nodes": nodes, "links": links}
