"""Checkpoints, their guards and duty log; passes; and the allow/deny decision at the gate.

A pass's QR code carries only `FKPS.<number>.<signature>`: no name, no document. A guard's
scanner sends whatever it read (a pass, a sampling code or an identity document number) and
gets allow or deny with the rule that decided; every check is logged, in and out.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

import segno
from django.conf import settings
from django.core import signing
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from fangkong.accounts.models import DeviceToken, Role, User
from fangkong.accounts.services import deny, require_permission
from fangkong.core.documents import DocumentType, normalise, validate_document
from fangkong.core.errors import RuleViolation
from fangkong.core.masking import mask_name
from fangkong.geo.models import Community, Place, PlaceKind
from fangkong.people.models import Resident
from fangkong.people.sampling_codes import PREFIX as SAMPLING_PREFIX
from fangkong.people.sampling_codes import resident_id_from_code
from fangkong.people.services import document_index

from ..models import (
    Checkpoint,
    Direction,
    DutyKind,
    DutyLogEntry,
    Pass,
    Passage,
    PassPurpose,
    PassSubject,
    RiskZone,
    ZoneStatus,
)
from ..rules import decide, rule_text

PASS_PREFIX = "FKPS"  # noqa: S105 - a QR prefix, not a secret
_PASS_SALT = "fangkong.zones.pass"  # noqa: S105 - a signing salt (namespace), not a key
MAX_PASS_DAYS = 30


def _bad(field: str, code: str, message) -> RuleViolation:
    return RuleViolation(field=field, code=code, message=message)


# ---------------------------------------------------------------------------------------------
# Checkpoints and guards


def _boundary_point(zone: RiskZone) -> dict | None:
    """A corner of the zone's shape (the southernmost vertex): where a gate would stand."""
    polygons = (zone.geometry or {}).get("coordinates") or []
    vertices = [pt for poly in polygons for ring in poly[:1] for pt in ring]
    if not vertices:
        return None
    lon, lat = min(vertices, key=lambda p: (p[1], p[0]))
    return {"type": "Point", "coordinates": [lon, lat]}


def _new_place(zone: RiskZone, name: str) -> Place:
    community_code = "-".join(zone.area_code.split("-")[:3])
    if community_code.count("-") != 2:
        first = zone.members.order_by("code").first()
        community_code = "-".join(first.area_code.split("-")[:3])
    community = Community.objects.get(code=community_code)
    taken = Place.objects.filter(code__startswith=community_code + "-P").aggregate(m=Max("code"))
    last = taken["m"]
    number = int(re.sub(r"\D", "", last.rsplit("-P", 1)[1]) or 0) + 1 if last else 1
    return Place.objects.create(
        code=f"{community_code}-P{number:02d}",
        name_zh=name,
        kind=PlaceKind.CHECKPOINT,
        community=community,
        area_code=community_code,
        geometry=_boundary_point(zone),
    )


def set_up_checkpoint(
    *, zone: RiskZone, user, place: Place | None = None, name: str = "", guards=()
) -> Checkpoint:
    """A checkpoint of the zone at a checkpoint place (a new place on the boundary if none)."""
    require_permission(
        actor=user,
        action="manage_zones",
        area_code=zone.area_code,
        object_type="risk_zone",
        object_id=zone.pk,
    )
    if not zone.is_active:
        raise _bad("zone", "ended", _("This zone has already ended."))
    name = (name or "").strip()
    if place is not None and place.kind != PlaceKind.CHECKPOINT:
        raise _bad("place", "kind", _("Checkpoints stand at places of kind checkpoint."))
    if place is None and not name:
        raise _bad("name", "required", _("Name the new checkpoint or pick a checkpoint place."))
    with transaction.atomic():
        place = place or _new_place(zone, name)
        checkpoint, _created = Checkpoint.objects.get_or_create(
            zone=zone,
            place=place,
            defaults={"name": name or place.name_zh, "area_code": place.area_code},
        )
        for guard in guards:
            assign_guard(checkpoint=checkpoint, guard=guard, user=user)
    return checkpoint


def assign_guard(*, checkpoint: Checkpoint, guard: User, user) -> None:
    require_permission(
        actor=user,
        action="manage_zones",
        area_code=checkpoint.area_code,
        object_type="checkpoint",
        object_id=checkpoint.pk,
    )
    if guard.role != Role.CHECKPOINT_GUARD:
        raise _bad("guard", "role", _("Only checkpoint guards can be put on a checkpoint."))
    checkpoint.guards.add(guard)


def authorise_guard(*, checkpoint: Checkpoint, actor) -> None:
    """A guard of this checkpoint, or a guard device whose area holds it; refusals audited."""
    require_permission(
        actor=actor,
        action="guard_checkpoint",
        area_code=checkpoint.area_code,
        object_type="checkpoint",
        object_id=checkpoint.pk,
    )
    if not isinstance(actor, DeviceToken) and not checkpoint.guards.filter(pk=actor.pk).exists():
        deny(
            actor=actor,
            action="guard_checkpoint",
            area_code=checkpoint.area_code,
            object_type="checkpoint",
            object_id=checkpoint.pk,
        )


def log_duty(
    *,
    checkpoint: Checkpoint,
    actor,
    kind: str,
    note: str = "",
    quantity: int | None = None,
    counterpart: str = "",
    now: dt.datetime | None = None,
) -> DutyLogEntry:
    authorise_guard(checkpoint=checkpoint, actor=actor)
    if kind not in DutyKind.values:
        raise _bad("kind", "choice", _("Unknown duty log entry."))
    if kind == DutyKind.SUPPLY_HANDOVER and not quantity:
        raise _bad("quantity", "required", _("How many packages were handed over?"))
    return DutyLogEntry.objects.create(
        checkpoint=checkpoint,
        kind=kind,
        at=now or timezone.now(),
        by=actor if isinstance(actor, User) else None,
        by_name=actor.get_username(),
        note=(note or "").strip()[:300],
        quantity=quantity,
        counterpart=(counterpart or "").strip()[:100],
    )


# ---------------------------------------------------------------------------------------------
# Passes


def _signer() -> signing.Signer:
    return signing.Signer(key=settings.SIGNING_KEY, salt=_PASS_SALT, sep=".")


def pass_code(p: Pass) -> str:
    return f"{PASS_PREFIX}.{_signer().sign(str(p.pk))}"


def pass_qr_svg(p: Pass) -> str:
    return segno.make(pass_code(p), error="m").svg_inline(scale=4)


def pass_id_from_code(code: str) -> int:
    try:
        return int(_signer().unsign(code[len(PASS_PREFIX) + 1 :]))
    except (signing.BadSignature, ValueError):
        raise _bad("code", "pass_forged", _("The pass is forged or damaged.")) from None


def issue_pass(
    *,
    zone: RiskZone,
    user,
    subject: str,
    purpose: str,
    valid_from: dt.datetime,
    valid_until: dt.datetime,
    resident: Resident | None = None,
    holder_name: str = "",
    plate: str = "",
    note: str = "",
) -> Pass:
    """A pass for a person (a resident, or staff by name) or a vehicle (by plate)."""
    require_permission(
        actor=user,
        action="issue_passes",
        area_code=zone.area_code,
        object_type="risk_zone",
        object_id=zone.pk,
    )
    if not zone.is_active:
        raise _bad("zone", "ended", _("This zone has already ended."))
    if subject not in PassSubject.values:
        raise _bad("subject", "choice", _("A pass is for a person or a vehicle."))
    if purpose not in PassPurpose.values:
        raise _bad("purpose", "choice", _("Unknown purpose."))
    if valid_until <= valid_from:
        raise _bad("valid_until", "order", _("The pass must end after it starts."))
    if valid_until - valid_from > dt.timedelta(days=MAX_PASS_DAYS):
        raise _bad("valid_until", "too_long", _("A pass is valid for 30 days at most."))
    plate = normalise(plate or "")
    if subject == PassSubject.VEHICLE and not re.fullmatch(r"[\w]{5,10}", plate):
        raise _bad("plate", "required", _("A vehicle pass needs the plate number."))
    holder = mask_name(resident.name) if resident is not None else mask_name(holder_name.strip())
    if subject == PassSubject.PERSON and not holder:
        raise _bad(
            "holder_name", "required", _("Whose pass is it? Pick a resident or give a name.")
        )
    return Pass.objects.create(
        zone=zone,
        subject=subject,
        purpose=purpose,
        resident=resident,
        holder=holder,
        plate=plate if subject == PassSubject.VEHICLE else "",
        valid_from=valid_from,
        valid_until=valid_until,
        issued_by=user if isinstance(user, User) else None,
        issued_by_name=user.get_username(),
        note=(note or "").strip()[:200],
        area_code=zone.area_code,
    )


def revoke_pass(*, pass_: Pass, user, reason: str, now: dt.datetime | None = None) -> Pass:
    require_permission(
        actor=user,
        action="issue_passes",
        area_code=pass_.area_code,
        object_type="pass",
        object_id=pass_.pk,
    )
    if pass_.revoked_at:
        raise _bad("pass", "revoked", _("The pass is already revoked."))
    if not (reason or "").strip():
        raise _bad("reason", "required", _("Say why: the reason is recorded."))
    pass_.revoked_at = now or timezone.now()
    pass_.revoked_by_name = user.get_username()
    pass_.revoke_reason = reason.strip()[:200]
    pass_.save(update_fields=["revoked_at", "revoked_by_name", "revoke_reason", "updated_at"])
    return pass_


# ---------------------------------------------------------------------------------------------
# The gate: what was scanned, and allow or deny


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
