"""The request-kind catalogue: its schema, validation and loading (data in catalogue/*.yaml)."""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from typing import Annotated, Literal

import yaml
from django.utils.translation import get_language
from pydantic import BaseModel, ConfigDict, Field, model_validator

from .catalogue import CATALOGUE_DIR

CRITICAL = 4  # the priority that runs on a kind's critical clocks and heads the queue


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Text(_Model):
    zh: Annotated[str, Field(min_length=1)]
    en: Annotated[str, Field(min_length=1)]

    def __str__(self) -> str:
        return self.en if (get_language() or "").startswith("en") else self.zh


class Limit(_Model):
    amount: Annotated[int, Field(ge=1, le=10_000)]
    unit: Literal["minutes", "hours"]

    @property
    def delta(self) -> dt.timedelta:
        return dt.timedelta(**{self.unit: self.amount})


class Clocks(_Model):
    acknowledge: Limit
    fulfil: Limit

    @model_validator(mode="after")
    def _acknowledge_first(self) -> Clocks:
        if self.acknowledge.delta > self.fulfil.delta:
            raise ValueError("a request cannot be due for acknowledgement after fulfilment")
        return self


class Kind(_Model):
    code: str = ""
    name: Text
    clinical: bool
    rank: Annotated[int, Field(ge=1, le=9)]
    acknowledge: Limit
    fulfil: Limit
    critical: Clocks
    basis: Annotated[str, Field(min_length=1)]

    @model_validator(mode="after")
    def _clocks_in_order(self) -> Kind:
        Clocks(acknowledge=self.acknowledge, fulfil=self.fulfil)
        if self.critical.fulfil.delta > self.fulfil.delta:
            raise ValueError(f"{self.code or 'a kind'}: critical clocks must be shorter")
        return self

    def clocks(self, priority: int) -> Clocks:
        if priority >= CRITICAL:
            return self.critical
        return Clocks(acknowledge=self.acknowledge, fulfil=self.fulfil)

    def queue_rank(self, priority: int) -> int:
        """0 for a critical request of any kind, else the kind's rank: lower is served first."""
        return 0 if priority >= CRITICAL else self.rank


class Catalogue(_Model):
    version: str
    kinds: dict[str, Kind]

    @model_validator(mode="after")
    def _name_kinds(self) -> Catalogue:
        for code, kind in self.kinds.items():
            object.__setattr__(kind, "code", code)
        clinical = [k.rank for k in self.kinds.values() if k.clinical]
        other = [k.rank for k in self.kinds.values() if not k.clinical]
        if clinical and other and max(clinical) >= min(other):
            raise ValueError("every clinical kind must rank before every other kind")
        return self

    def kind(self, code: str) -> Kind | None:
        return self.kinds.get(code)


@lru_cache(maxsize=2)
def request_catalogue(name: str = "request-kinds") -> Catalogue:
    data = yaml.safe_load((CATALOGUE_DIR / f"{name}.yaml").read_text(encoding="utf-8"))
    return Catalogue.model_validate(data)
