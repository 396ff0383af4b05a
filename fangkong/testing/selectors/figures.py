"""Round statistics in the bulletin's form: tubes and people by pool size, environmental
tubes and swab points. Every page that prints them (the round page, the dashboard, the bulletin,
the replay) reads them here.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Count, Sum

from ..models import Tube, TubeKind, TubeState


def _totals(people: list[dict], environment: dict) -> dict:
    return {
        "people": people,
        "environment": environment,
        "people_tubes": sum(r["tubes"] for r in people),
        "people_total": sum(r["people"] for r in people),
        "tubes_total": sum(r["tubes"] for r in people) + environment["tubes"],
    }


def round_statistics(*, round_ids: list[int]) -> dict[int, dict]:
    """Each round's tubes and people by pool size, and environmental tubes and swab points,
    keyed by round: aggregates with no personal data, the figures a bulletin prints.

    People tubes count when they hold at least one sample; environmental tubes once collected.
    Two grouped queries over the tubes whatever the number of rounds: the tubes' own sample
    counters (kept by registration in the samples' transaction) give the same figures as
    counting millions of samples.
    """
    people: dict[int, list[dict]] = {pk: [] for pk in round_ids}
    env: dict[int, dict] = {pk: {"tubes": 0, "points": 0} for pk in round_ids}
    if not round_ids:
        return {}
    for round_id, capacity, tubes, n in (
        Tube.objects.filter(round_id__in=round_ids, kind=TubeKind.PEOPLE, sample_count__gt=0)
        .values_list("round_id", "capacity")
        .annotate(tubes=Count("id"), n=Sum("sample_count"))
        .order_by("round_id", "-capacity")
    ):
        people[round_id].append({"capacity": capacity, "tubes": tubes, "people": n})
    for round_id, tubes, points in (
        Tube.objects.filter(round_id__in=round_ids, kind=TubeKind.ENVIRONMENT)
        .exclude(state=TubeState.OPEN)
        .values_list("round_id")
        .annotate(tubes=Count("id"), points=Sum("swab_points"))
        .order_by()
    ):
        env[round_id] = {"tubes": tubes or 0, "points": points or 0}
    return {pk: {"round_id": pk, **_totals(people[pk], env[pk])} for pk in round_ids}


def merged_statistics(stats: Iterable[dict]) -> dict:
    """Several rounds' statistics summed, in `round_statistics`' shape (for bulletin_phrase)."""
    by_capacity: dict[int, dict] = {}
    env = {"tubes": 0, "points": 0}
    for s in stats:
        for row in s["people"]:
            acc = by_capacity.setdefault(
                row["capacity"], {"capacity": row["capacity"], "tubes": 0, "people": 0}
            )
            acc["tubes"] += row["tubes"]
            acc["people"] += row["people"]
        env["tubes"] += s["environment"]["tubes"]
        env["points"] += s["environment"]["points"]
    return _totals([by_capacity[c] for c in sorted(by_capacity, reverse=True)], env)


def bulletin_phrase(stats: dict, lang: str = "zh-hans") -> str:
    """The sentence a bulletin prints, e.g. "采集20:1标本360管6799人，外环境样本8管80个点位".

    This is a document format, not interface text: the Chinese wording is the bulletin's own
    and must come out the same whatever the catalogue says, so both languages are built here.
    """
    env = stats.get("environment") or {"tubes": 0, "points": 0}
    rows = stats.get("people") or []
    if (lang or "").lower().startswith("zh"):
        parts = [
            f"单采单检{r['tubes']}管{r['people']}人"
            if r["capacity"] == 1
            else f"{r['capacity']}:1标本{r['tubes']}管{r['people']}人"
            for r in rows
        ]
        env_part = f"外环境样本{env['tubes']}管{env['points']}个点位" if env["tubes"] else ""
        if not parts and not env_part:
            return "尚未采集样本"
        text = "采集" + "、".join(parts)
        if env_part:
            text += ("，" if parts else "") + env_part
        return text

    def plural(n: int, one: str, many: str) -> str:
        return f"{n:,} {one if n == 1 else many}"

    parts = []
    for r in rows:
        tubes, people = plural(r["tubes"], "tube", "tubes"), plural(r["people"], "person", "people")
        if r["capacity"] == 1:
            tubes = plural(r["tubes"], "single tube", "single tubes")
            parts.append(f"{tubes} from {people}")
        else:
            parts.append(f"{tubes} of {r['capacity']}:1 pooled samples from {people}")
    env_part = (
        f"{plural(env['tubes'], 'environmental tube', 'environmental tubes')} from "
        f"{plural(env['points'], 'swab point', 'swab points')}"
        if env["tubes"]
        else ""
    )
    if not parts and not env_part:
        return "No samples collected yet"
    if not parts:
        return f"Collected {env_part}"
    people_text = parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]
    return f"Collected {people_text}, plus {env_part}" if env_part else f"Collected {people_text}"
