"""The case-kind catalogue: its schema, validation and loading (data in catalogue/*.yaml)."""

from __future__ import annotations

from functools import lru_cache
from typing import Annotated, Literal

import yaml
from django.utils.translation import get_language
from pydantic import BaseModel, ConfigDict, Field, model_validator

from .catalogue import CATALOGUE_DIR

Unit = Literal["days", "working_days", "hours", "minutes"]
Stage = Literal[
    "reported", "accepted", "filed", "voided", "dispatched", "handling", "fed_back", "checked"
]
Source = Literal[
    "grid_patrol", "hotline", "open311", "petition_office", "joint_meeting", "river_patrol"
]
Datatype = Literal["string", "number", "datetime", "text", "singlevaluelist", "multivaluelist"]
Positive = Annotated[int, Field(ge=1, le=1000)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class Text(_Model):
    zh: Annotated[str, Field(min_length=1)]
    en: Annotated[str, Field(min_length=1)]

    def __str__(self) -> str:
        return self.en if (get_language() or "").startswith("en") else self.zh


class Extension(_Model):
    amount: Positive
    unit: Unit


class Clock(_Model):
    stage: Annotated[str, Field(pattern=r"^[a-z_]+$")]
    amount: Positive
    unit: Unit
    start: Annotated[str, Field(alias="from")]
    runs: tuple[Stage, ...] = ()
    extension: Extension | None = None
    basis: Annotated[str, Field(min_length=1)]


class AttributeValue(_Model):
    key: Annotated[str, Field(min_length=1)]
    name: Text


class Attribute(_Model):
    code: Annotated[str, Field(pattern=r"^[a-z_]+$")]
    datatype: Datatype
    required: bool = False
    description: Text
    values: tuple[AttributeValue, ...] = ()


class Open311Service(_Model):
    code: Annotated[str, Field(pattern=r"^[a-z0-9-]+$")]
    group: Text
    keywords: tuple[str, ...] = ()
    description: Text
    attributes: tuple[Attribute, ...] = ()


class Kind(_Model):
    code: str = ""
    name: Text
    sources: tuple[Source, ...]
    clocks: Annotated[tuple[Clock, ...], Field(min_length=1)]
    open311: Open311Service | None = None

    @model_validator(mode="after")
    def _clocks_chain(self) -> Kind:
        seen: set[str] = set()
        running: set[str] = set()
        for clock in self.clocks:
            if clock.start not in {"received", "accepted", *seen}:
                raise ValueError(f"clock {clock.stage!r} starts from unknown {clock.start!r}")
            if running & set(clock.runs):
                raise ValueError(f"two clocks run in the same stage ({clock.stage!r})")
            seen.add(clock.stage)
            running.update(clock.runs)
        return self

    def clock(self, stage: str) -> Clock | None:
        return next((c for c in self.clocks if c.stage == stage), None)

    def running_clock(self, workflow_stage: str) -> Clock | None:
        """The clock that sets the case's deadline while it is in `workflow_stage`."""
        return next((c for c in self.clocks if workflow_stage in c.runs), None)


class Catalogue(_Model):
    version: str
    kinds: dict[str, Kind]

    @model_validator(mode="after")
    def _name_kinds(self) -> Catalogue:
        for code, kind in self.kinds.items():
            object.__setattr__(kind, "code", code)
        return self

    def kind(self, code: str) -> Kind | None:
        return self.kinds.get(code)

    def open311_services(self) -> list[Kind]:
        return [k for k in self.kinds.values() if k.open311 is not None]

    def by_service_code(self, service_code: str) -> Kind | None:
        return next((k for k in self.open311_services() if k.open311.code == service_code), None)


@lru_cache(maxsize=2)
def case_catalogue(name: str = "case-kinds") -> Catalogue:
    data = yaml.safe_load((CATALOGUE_DIR / f"{name}.yaml").read_text(encoding="utf-8"))
    return Catalogue.model_validate(data)
