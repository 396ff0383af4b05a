"""Write and archive bulletins: daily and per incident, numbered per district and year.

`write_incident_bulletin(incident=…)` and `write_daily_bulletin(day=…, scope_code=…)` read the
figures from the database (`bulletin_figures`), word them in Chinese and English
(`bulletin_incident`, `bulletin_daily`), render the HTML and store a `Bulletin` under the next
number of the year.
Numbers have no gaps: the number is taken in the writing transaction and a concurrent writer
that took the same one hits the unique constraint and retries with the next; a bulletin that
is not committed takes no number.
"""

from __future__ import annotations

import datetime as dt
import json

from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from fangkong.accounts.services import require_permission
from fangkong.core.errors import RuleViolation
from fangkong.geo.selectors import area_exists

from ..bulletin_daily import daily_text
from ..bulletin_figures import daily_figures, incident_figures
from ..bulletin_incident import incident_text
from ..bulletin_text import BulletinText
from ..models import Bulletin, BulletinKind, Incident
from .notifications import notify_users

MAX_TRIES = 20


def _jsonable(figures: dict) -> dict:
    return json.loads(json.dumps(figures, cls=DjangoJSONEncoder, ensure_ascii=False))


def render_html(text: BulletinText, bulletin_kind: str) -> str:
    """The bulletin as a self-contained HTML document (Chinese, then English)."""
    return render_to_string(
        "command/bulletin_document.html", {"text": text, "kind": bulletin_kind}
    ).strip()


def _store(
    *,
    kind: str,
    district_code: str,
    day: dt.date,
    scope_code: str,
    figures: dict,
    word,
    user,
    incident: Incident | None = None,
    drill: bool = False,
) -> Bulletin:
    """Insert under the next free number of the year (a drill's series apart), retrying on a
    concurrent duplicate."""
    year = day.year
    stored_figures = _jsonable(figures)
    with transaction.atomic():
        for _attempt in range(MAX_TRIES):
            last = Bulletin.objects.filter(
                district_code=district_code, year=year, drill=drill
            ).aggregate(m=Max("number"))["m"]
            number = (last or 0) + 1
            text = word(figures, number=number, year=year, day=day, drill=drill)
            try:
                with transaction.atomic():
                    return Bulletin.objects.create(
                        district_code=district_code,
                        year=year,
                        number=number,
                        kind=kind,
                        incident=incident,
                        date=day,
                        reference_zh=text.number_zh,
                        drill=drill,
                        scope_code=scope_code,
                        title_zh=text.title_zh,
                        title_en=text.title_en,
                        text_zh=text.text_zh,
                        text_en=text.text_en,
                        html=render_html(text, kind),
                        figures=stored_figures,
                        created_by=user if getattr(user, "pk", None) else None,
                    )
            except IntegrityError:
                continue  # another writer took this number first; take the next one
    raise RuleViolation(
        field="number",
        code="busy",
        message=_("Too many bulletins are being written at once; try again."),
        status_code=503,
    )


def write_incident_bulletin(
    *, incident: Incident, user=None, now: dt.datetime | None = None
) -> Bulletin:
    """A bulletin of the incident so far (or of how it ended), dated the day it closed or today.

    With `user`, they must be allowed to manage incidents in its area (refusal audited);
    without one (a replay, a job) it is written on the system's behalf.
    """
    if user is not None:
        require_permission(
            actor=user,
            action="manage_incidents",
            area_code=incident.area_code,
            object_type="incident",
            object_id=incident.pk,
        )
    now = now or timezone.now()
    day = timezone.localdate(incident.closed_at or now)
    figures = incident_figures(incident, now=now)
    bulletin = _store(
        kind=BulletinKind.INCIDENT,
        district_code=figures["district"]["code"],
        day=day,
        scope_code=incident.area_code,
        figures=figures,
        word=incident_text,
        user=user,
        incident=incident,
        drill=incident.drill,
    )
    _announce(bulletin, incident)
    return bulletin


def write_daily_bulletin(
    *, day: dt.date, scope_code: str, user=None, now: dt.datetime | None = None
) -> Bulletin:
    """The day's bulletin for an area (usually the district), from 0 to 24 h of `day`."""
    if user is not None:
        # Scope included: the area must lie at or below the user's node.
        require_permission(
            actor=user, action="manage_incidents", area_code=scope_code, object_type="bulletin"
        )
    if not scope_code or not area_exists(scope_code):
        raise RuleViolation(field="scope_code", code="unknown", message=_("No area has this code."))
    now = now or timezone.now()
    if day > timezone.localdate(now):
        raise RuleViolation(
            field="day", code="future", message=_("A bulletin cannot report a day to come.")
        )
    figures = daily_figures(day=day, scope_code=scope_code, now=now)
    return _store(
        kind=BulletinKind.DAILY,
        district_code=figures["district"]["code"],
        day=day,
        scope_code=scope_code,
        figures=figures,
        word=daily_text,
        user=user,
    )


def _announce(bulletin: Bulletin, incident: Incident) -> None:
    """Tell the incident's commander and group leads, in the app."""

    people = [incident.commander] if incident.commander_id else []
    people += [role.user for role in incident.roles.select_related("user")]
    notify_users(
        users=[p for p in people if p is not None],
        template_key="bulletin_published",
        context={"title_zh": bulletin.title_zh, "title_en": bulletin.title_en},
        key=f"bulletin:{bulletin.pk}",
        link=reverse("command:bulletin", args=[bulletin.pk]),
        incident=incident,
        area_code=incident.area_code,
    )
