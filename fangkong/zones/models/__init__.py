"""Risk zones: protocol presets (data), zones and their members, schedules, evaluations,
checkpoints, guards and passes, passages, and the official notices.

Invariants the database can hold are constraints: one row per preset version, one member per
node and zone, one round per zone and day, one passage decision per row, one notice number
per district and year. Django finds an app's models here, so every module's are named below.
"""

from .checkpoints import (
    Checkpoint,
    Direction,
    DutyKind,
    DutyLogEntry,
    Pass,
    Passage,
    PassPurpose,
    PassSubject,
)
from .notices import (
    Notice,
    NoticeKind,
)
from .zones import (
    MemberType,
    ProtocolPreset,
    Regime,
    RiskZone,
    ZoneChange,
    ZoneEvaluation,
    ZoneKind,
    ZoneMember,
    ZoneRound,
    ZoneStatus,
)

__all__ = [
    "Checkpoint",
    "Direction",
    "DutyKind",
    "DutyLogEntry",
    "MemberType",
    "Notice",
    "NoticeKind",
    "Pass",
    "PassPurpose",
    "PassSubject",
    "Passage",
    "ProtocolPreset",
    "Regime",
    "RiskZone",
    "ZoneChange",
    "ZoneEvaluation",
    "ZoneKind",
    "ZoneMember",
    "ZoneRound",
    "ZoneStatus",
]
