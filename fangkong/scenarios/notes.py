"""What a replay tells the command centre beyond the domain events: the steps people took
(mobilising, starting rounds, reporting progress) as signed notes, closing the incident, and
the bulletin — through the command centre's own services.
"""

from __future__ import annotations

import datetime as dt

from fangkong.command.models import Bulletin, Incident, TimelineEntry
from fangkong.command.services import incidents
from fangkong.command.services.bulletins import write_incident_bulletin


def add_note(*, incident: Incident, user, at: dt.datetime, text: str) -> TimelineEntry:
    """A note on the timeline at the scenario's time, signed by `user`."""
    return incidents.add_note(incident=incident, user=user, text=text, at=at)


def close_incident(
    *, incident: Incident, user, at: dt.datetime, summary: str, summary_en: str
) -> Incident:
    return incidents.close_incident(
        incident=incident, user=user, summary=summary, summary_en=summary_en, now=at
    )


def publish_bulletin(*, incident: Incident, user, at: dt.datetime) -> Bulletin:
    """The incident's bulletin, numbered and archived by the command centre from the rows as
    of `at`, and a note on the timeline that it went out."""
    bulletin = write_incident_bulletin(incident=incident, user=user, now=at)
    add_note(
        incident=incident,
        user=user,
        at=at,
        text=f"印发《{bulletin.title_zh}》（{bulletin.reference_zh}）。",
    )
    return bulletin
