"""Chains and clusters: cases linked when one's person was a contact of another, grouped into
clusters (connected components). The overview is one row per cluster; a cluster's graph is
built only when someone opens it, so 50,000 cases never reach the browser at once (SORMAS's
graph failed at 4,746)."""

from __future__ import annotations

from .models_cases import Case, Contact


def _links(cases) -> list[tuple[int, int]]:
    """(source case, case) pairs: the second case's person was a contact of the first."""
    by_index = dict(cases.values_list("document_index", "id"))
    # A subquery, not a list: 50,000 cases are more parameters than SQLite takes.
    pairs = Contact.objects.filter(
        case__in=cases, document_index__in=cases.values("document_index")
    ).values_list("case_id", "document_index")
    return [(src, by_index[idx]) for src, idx in pairs if by_index[idx] != src]


def clusters(cases) -> dict[int, list[int]]:
    """Cluster id (its smallest case id) → case ids, by union-find over the links."""
    ids = list(cases.values_list("id", flat=True))
    parent = {i: i for i in ids}

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for a, b in _links(cases):
        ra, rb = root(a), root(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    out: dict[int, list[int]] = {}
    for i in ids:
        out.setdefault(root(i), []).append(i)
    return out


def cluster_overview(cases) -> list[dict]:
    """One row per cluster, largest first: its cases and contacts counted."""
    groups = clusters(cases)
    contact_counts: dict[int, int] = {}
    for case_id in Contact.objects.filter(case__in=cases).values_list("case_id", flat=True):
        contact_counts[case_id] = contact_counts.get(case_id, 0) + 1
    rows = [
        {
            "cluster": cid,
            "cases": len(members),
            "contacts": sum(contact_counts.get(m, 0) for m in members),
        }
        for cid, members in groups.items()
    ]
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
