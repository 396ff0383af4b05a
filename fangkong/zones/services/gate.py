"""The allow/deny decision at a checkpoint's gate.

A guard's scanner sends whatever it read (a pass, a sampling code or an identity document
number) and gets allow or deny with the rule that decided; every check is logged, in and out.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from fangkong.core.documents import DocumentType, validate_document
from fangkong.core.errors import RuleViolation
from fangkong.core.masking import mask_name
from fangkong.people.models import Resident
from fangkong.people.sampling_codes import PREFIX as SAMPLING_PREFIX
from fangkong.people.sampling_codes import resident_id_from_code
from fangkong.people.services import document_index

from ..models import Checkpoint, Direction, Pass, Passage, ZoneStatus
from ..rules import decide, rule_text
from .passes import PASS_PREFIX, pass_id_from_code


def _bad(field: str, code: str, message) -> RuleViolation:
    return RuleViolation(field=field, code=code, message=message)


@dataclass
class Scanned:
    pass_: Pass | None = None
    resident: Resident | None = None
    failure: str = ""  # a rule code when the scan itself decides (forged pass, unreadable)
    home_regime: str | None = None  # the strictest active zone holding the person's home
    home_kind: str = ""
    lives_in_zone: bool = False  # the checkpoint's zone holds the person's home

    @property
    def resident_id(self) -> int | None:
        if self.pass_ is not None:
            return self.pass_.resident_id
        return self.resident.pk if self.resident is not None else None


_DOCUMENT_TYPES = [
    DocumentType.RESIDENT_ID,
    DocumentType.HK_MACAO_PERMIT,
    DocumentType.TAIWAN_PERMIT,
    DocumentType.FOREIGN_PR_ID,
    DocumentType.PASSPORT,
]

# The gate's lookups are written in SQL once. Built by the ORM on every scan, this lookup took
# longer to compile than the database took to run it, and the gate answers every few seconds
# at every checkpoint. `r`, `b`, `c`: the person, their building and its compound. The zones
# holding the home are those with the resident's grid, building or compound as a member;
# sealed beats controlled beats precaution (strictness), then the latest designated.
_HOME_ZONES = """
    (SELECT z.regime || ' ' || z.kind FROM zones_riskzone z
       JOIN zones_zonemember m ON m.zone_id = z.id
      WHERE z.status = 'active' AND m.code IN (r.area_code, b.code, c.code)
      ORDER BY z.strictness DESC, z.designated_at DESC, z.id DESC LIMIT 1) AS home_zone,
    EXISTS (SELECT 1 FROM zones_riskzone z
       JOIN zones_zonemember m ON m.zone_id = z.id
      WHERE z.id = %s AND z.status = 'active'
        AND m.code IN (r.area_code, b.code, c.code)) AS lives_in_zone"""
_HOME_JOINS = """
    LEFT JOIN geo_household h ON h.id = r.household_id
    LEFT JOIN geo_building b ON b.id = h.building_id
    LEFT JOIN geo_compound c ON c.id = b.compound_id"""
_RESIDENT_SQL = (
    f"SELECT r.id, r.name, {_HOME_ZONES} FROM people_resident r {_HOME_JOINS} "  # noqa: S608 - constants only
    "WHERE {where} ORDER BY r.id LIMIT 1"
)
_PASS_SQL = (
    "SELECT p.id, p.zone_id, p.resident_id, p.purpose, p.revoked_at, p.valid_from, "  # noqa: S608 - constants only
    f"p.valid_until, p.plate, p.holder, {_HOME_ZONES} FROM zones_pass p "
    f"LEFT JOIN people_resident r ON r.id = p.resident_id {_HOME_JOINS} WHERE p.id = %s"
)


def _with_home(found, scanned: Scanned) -> Scanned:
    if found.home_zone:
        scanned.home_regime, _sep, scanned.home_kind = found.home_zone.partition(" ")
    scanned.lives_in_zone = bool(found.lives_in_zone)
    return scanned


def _first(rows) -> object | None:
    return next(iter(rows), None)


def read_scan(raw: str, *, zone_id: int | None = None) -> Scanned:
    """What a scanner read: a pass, a sampling code, or an identity document number (the
    first document type it is valid as), with the zones holding the person's home: one
    query by pass number, resident id or blind index. `zone_id` is the checkpoint's zone."""
    text = (raw or "").strip()
    zone_id = zone_id or 0
    if text.upper().startswith(PASS_PREFIX + "."):
        try:
            pk = pass_id_from_code(PASS_PREFIX + text[len(PASS_PREFIX) :])
        except RuleViolation:
            return Scanned(failure="pass_forged")
        found = _first(Pass.objects.raw(_PASS_SQL, [zone_id, pk]))
        if found is None:
            return Scanned(failure="pass_forged")
        return _with_home(found, Scanned(pass_=found))
    if text.startswith(SAMPLING_PREFIX + "."):
        try:
            pk = resident_id_from_code(text)
        except RuleViolation:
            return Scanned(failure="unknown_code")
        sql = _RESIDENT_SQL.format(where="r.id = %s")
        resident = _first(Resident.objects.raw(sql, [zone_id, pk]))
        if resident is None:
            return Scanned(failure="unknown_code")
        return _with_home(resident, Scanned(resident=resident))
    indexes = []
    if not re.search(r"\d", text):
        return Scanned(failure="unknown_code")  # every document number has digits
    for doc_type in _DOCUMENT_TYPES:
        try:
            doc = validate_document(doc_type, text)
        except RuleViolation:
            continue
        indexes.append(document_index(doc.type, doc.number))
    if not indexes:
        return Scanned(failure="unknown_code")
    sql = _RESIDENT_SQL.format(where=f"r.document_index IN ({', '.join(['%s'] * len(indexes))})")
    resident = _first(Resident.objects.raw(sql, [zone_id, *indexes]))
    return _with_home(resident, Scanned(resident=resident)) if resident else Scanned()


@dataclass
class Decision:
    decision: str
    rule: str
    zone_kind: str
    regime: str
    message: str
    direction: str
    subject: str = ""
    pass_number: str = ""
    passage_id: int | None = None


def _pass_failure(p: Pass, checkpoint: Checkpoint, now: dt.datetime) -> str:
    if p.revoked_at:
        return "pass_revoked"
    if p.zone_id != checkpoint.zone_id:
        return "pass_other_zone"
    if now < p.valid_from:
        return "pass_not_yet_valid"
    if now >= p.valid_until:
        return "pass_expired"
    return ""


def decide_passage(
    *,
    checkpoint: Checkpoint,
    code: str,
    direction: str,
    actor,
    now: dt.datetime | None = None,
) -> Decision:
    """Allow or deny one passage at the checkpoint, log it, and name the rule that decided.

    Two queries: the scan's lookup (with the zones holding the person's home) and the log row.
    """
    if direction not in Direction.values:
        raise _bad("direction", "choice", _("The direction is in or out."))
    now = now or timezone.now()
    zone = checkpoint.zone
    scanned = read_scan(code, zone_id=zone.pk)
    p, resident = scanned.pass_, scanned.resident
    purpose = None
    rule = scanned.failure
    if p is not None:
        rule = _pass_failure(p, checkpoint, now)
        purpose = p.purpose
    person_regime, lives_in_zone, person_kind = None, False, ""
    if scanned.resident_id is not None:
        person_regime, person_kind = scanned.home_regime, scanned.home_kind
        lives_in_zone = scanned.lives_in_zone
    elif p is None:
        # An unknown person at the gate is treated as coming from inside when going out.
        person_regime, person_kind = zone.regime, zone.kind
    if rule:
        decision = "deny"
    elif zone.status != ZoneStatus.ACTIVE:
        decision, rule = "allow", "zone_lifted"
    else:
        decision, rule = decide(
            direction=direction,
            person_regime=person_regime,
            checkpoint_regime=zone.regime,
            lives_in_zone=lives_in_zone,
            pass_purpose=purpose,
        )
    deciding_kind = (person_kind or zone.kind) if direction == Direction.OUT else zone.kind
    deciding_regime = (person_regime or zone.regime) if direction == Direction.OUT else zone.regime
    if p is not None:
        subject = p.plate or p.holder
    elif resident is not None:
        subject = mask_name(resident.name)
    else:
        subject = ""
    passage = Passage.objects.create(
        checkpoint=checkpoint,
        at=now,
        direction=direction,
        decision=decision,
        rule=rule,
        zone_kind=deciding_kind,
        pass_used=p,
        resident_id=scanned.resident_id,
        subject=subject,
        by_name=actor.get_username(),
    )
    return Decision(
        decision=decision,
        rule=rule,
        zone_kind=deciding_kind,
        regime=deciding_regime,
        message=rule_text(rule),
        direction=direction,
        subject=subject,
        pass_number=p.number if p is not None else "",
        passage_id=passage.pk,
    )
