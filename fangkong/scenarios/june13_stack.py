"""The 13 June replay through the real stack, and the system's share of the alarm.

`run_june13_stack` replays the day as `run_june13` does, except that the people are
registered the way the sampling tablets register them — every station's client posting its
queue to `POST /api/v1/testing/samples` of a running server, all stations at once — and the
lab's results, the presumptive positive of 03:04 among them, arrive through
`POST /api/v1/lab/results` as a lab information system sends them. What is neither (tubes
printed, tubes sealed and boxed, couriers, the commander's decisions) goes through the
services on the scenario's clock, as in the small replay.

The server writes in its own transactions, so this replay cannot be all or nothing: it commits
as it goes, like the systems it stands for. Every idempotency key and box code carries the
replay's run id, so it can be run again on the same database.

The system share: the seconds of system work from the presumptive positive being accepted to
the response the command centre can act on, with nobody's thinking or typing counted —
the lab's result accepted, the pool's members listed, their single-tube retest orders written,
their households told and the incident opened (one request: the server does all of it before
it answers); the standstill zone designated (its schedule and the grid workers' daily tasks);
its notice drafted; door-knocking tasks created for the zone's round.
"""

from __future__ import annotations

import datetime as dt
import http.client
import json
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from itertools import groupby
from urllib.parse import urlsplit

from django.conf import settings
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from fangkong.accounts.models import DeviceToken
from fangkong.accounts.services import create_device_token, require_permission
from fangkong.lab.services.results import ResultIn
from fangkong.people.sampling_codes import sampling_code_for
from fangkong.testing.models import Sample, Station, Tube
from fangkong.testing.services.doorknock import generate_doorknock_tasks
from fangkong.testing.services.registration import MAX_BATCH
from fangkong.testing.services.rounds import create_tubes

from .june13 import DAY, DEFAULT_SCALE, Replay, _June13
from .june13_cast import find_places
from .kit import MINUTE, Clock, Pipeline, ReplayError, chunks

SEED_SCALE = 1.0  # `--scale seed`: the newspaper's figures, 6,799 people in 360 tubes
RESULT_ROWS = 500  # rows per lab request, as a LIS sends a plate or two at a time
ATTEMPTS = 5  # a request that fails in transit is sent again with the same keys


# ---------------------------------------------------------------------------------------------
# HTTP, as the devices speak it


class StackClient:
    """Requests to a server on loopback; one connection per thread, kept alive."""

    def __init__(self, base_url: str):
        parts = urlsplit(base_url)
        if parts.hostname not in ("127.0.0.1", "localhost"):
            raise ValueError("the replay only ever talks to a server on loopback")
        self.host, self.port = parts.hostname, parts.port or 80
        self.requests = 0

    def post(self, path: str, body, *, token: str, key: str | None = None) -> tuple[int, dict]:
        """POST JSON; a connection error or a 5xx is retried with the same body and keys."""
        data = json.dumps(body, ensure_ascii=False).encode()
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        if key:
            headers["Idempotency-Key"] = key
        for attempt in range(ATTEMPTS):
            conn = http.client.HTTPConnection(self.host, self.port, timeout=300)
            try:
                conn.request("POST", path, body=data, headers=headers)
                answer = conn.getresponse()
                status, payload = answer.status, answer.read()
            except OSError:
                status, payload = 0, b""
            finally:
                conn.close()
            self.requests += 1
            if 0 < status < 500:
                return status, json.loads(payload or b"{}")
            time.sleep(0.2 * (attempt + 1))
        raise ReplayError(
            field="server",
            code="unavailable",
            message=_("The server did not answer %(path)s.") % {"path": path},
        )


@dataclass
class Queue:
    """One station's people, as its tablet queues them: (resident, tube, taken at)."""

    station: Station
    actor: DeviceToken
    rows: list[tuple[int, Tube, dt.datetime]]
    transit: dt.timedelta


@dataclass
class StackPipeline(Pipeline):
    """The replay's pipeline with registration and results over HTTP.

    With `defer` on, `sample` queues a station's people and `flush` sends every queue at
    once, one client per station; otherwise a station's people are sent at once.
    """

    client: StackClient | None = None
    tokens: dict[int, str] = field(default_factory=dict)  # device token id → clear token
    defer: bool = False
    queued: list[Queue] = field(default_factory=list)
    clients: int = 0
    _requests: int = 0

    def sample(
        self,
        *,
        station: Station,
        actor,
        people,
        tubes: int,
        start: dt.datetime,
        end: dt.datetime,
        capacity: int | None = None,
        transit: dt.timedelta = dt.timedelta(minutes=50),
    ) -> list[Tube]:
        if not people:
            return []
        made = create_tubes(round=station.round, count=tubes, capacity=capacity, user=actor)
        self.queued.append(Queue(station, actor, self.plan_rows(people, made, start, end), transit))
        if not self.defer:
            self.flush()
        return made

    def flush(self) -> None:
        queued, self.queued = self.queued, []
        if not queued:
            return
        self.clients = max(self.clients, len(queued))
        # The clients only speak HTTP: the database is the server's, and this thread's.
        with ThreadPoolExecutor(max_workers=len(queued)) as pool:
            list(pool.map(self._post_queue, queued))
        for q in queued:
            for first in range(0, len(q.rows), MAX_BATCH):
                last = q.rows[min(first + MAX_BATCH, len(q.rows)) - 1]
                self.seal_and_send(
                    station=q.station,
                    actor=q.actor,
                    rows=q.rows,
                    first=first,
                    now=last[2] + MINUTE,
                    transit=q.transit,
                )

    def _post_queue(self, q: Queue) -> None:
        """A tablet posts a tube's people as the tube fills."""
        token = self.tokens[q.actor.pk]
        for _tube, group in groupby(q.rows, key=lambda row: row[1].pk):
            items = [
                {
                    "idempotency_key": f"{self.run}:{q.station.round_id}:{rid}",
                    "tube_barcode": tube.barcode,
                    "taken_at": at.isoformat(),
                    "sampling_code": sampling_code_for(rid),
                }
                for rid, tube, at in group
            ]
            status, answer = self.client.post(
                "/api/v1/testing/samples", {"station": q.station.pk, "items": items}, token=token
            )
            refused = [i for i in answer.get("items", []) if i["status"] != "accepted"]
            if status != 200 or refused:
                first = refused[0] if refused else answer
                raise ReplayError(
                    field=first.get("field") or "items",
                    code=first.get("code") or "refused",
                    message=first.get("message") or _("A sample was refused."),
                )

    def report(self, items: list[ResultIn], *, at: dt.datetime) -> None:
        """Post results as the lab's system does, refusing nothing."""
        token = self.tokens[self.lab_actor.pk]
        for batch in chunks(items, RESULT_ROWS):
            self._requests += 1
            rows = [
                {
                    "tube_barcode": i.tube_barcode,
                    "result": i.result,
                    "ct_orf1ab": i.ct_orf1ab,
                    "ct_n": i.ct_n,
                    "reported_at": (i.reported_at or at).isoformat(),
                }
                for i in batch
            ]
            key = f"{self.run}:results:{self._requests}"
            status, answer = self.client.post("/api/v1/lab/results", rows, token=token, key=key)
            refused = [r for r in answer.get("rows", []) if r["status"] not in _RESULT_OK]
            if status != 200 or refused:
                first = refused[0] if refused else answer
                raise ReplayError(
                    field=first.get("field") or "results",
                    code=first.get("code") or "refused",
                    message=first.get("message") or _("A result was refused."),
                )


_RESULT_OK = ("accepted", "unchanged")


# ---------------------------------------------------------------------------------------------
# The replay, timed


class _Timed(_June13):
    """The replay with the system's share of the alarm timed, and the response's system
    steps the small replay leaves to people (the notice, the door-knocking tasks) made."""

    share: dict[str, float]

    def setup(self) -> None:
        self.share = {}
        super().setup()

    def timed(self, key: str, step: Callable[[], object]) -> None:
        started = time.perf_counter()
        step()
        self.share[key] = self.share.get(key, 0.0) + time.perf_counter() - started

    def alarm(self) -> None:
        self.timed("positive_to_households_told_s", super().alarm)

    def standstill(self) -> None:
        super().standstill()
        self.timed("door_knocking_tasks_s", self.door_knocking_tasks)

    def designate(self) -> None:
        self.timed("zone_designated_s", super().designate)

    def draft_notice(self) -> None:
        # The drill's notice (Morning's): marked 演练 and numbered in the drill series.
        self.timed("notice_drafted_s", super().draft_notice)

    def door_knocking_tasks(self) -> None:
        self.zone_round = self.zone.schedule.select_related("round").get(day=1).round
        generate_doorknock_tasks(round=self.zone_round, user=self.user, now=self.at(3, 40))

    def lift(self) -> None:
        # Everyone inside is sampled by now: refreshing the tasks closes every building's, so
        # the bulletin counts the door-knocking done, not the list of 03:40.
        generate_doorknock_tasks(round=self.zone_round, user=self.user, now=self.at(16, 50))
        super().lift()

    def system_share(self) -> dict[str, float]:
        share = {k: round(v, 3) for k, v in self.share.items()}
        return {"total_s": round(sum(self.share.values()), 3), **share}


class _Stack(_Timed):
    def __init__(self, *, client: StackClient, **kwargs):
        super().__init__(**kwargs)
        self.client = client
        self.clear_tokens: dict[int, str] = {}  # the devices' tokens, as they hold them

    def token(self, name: str, role: str, scope: str) -> DeviceToken:
        token, clear = create_device_token(
            name=f"{name}({self.run_id})", role=role, scope_code=scope, created_by=self.user
        )
        self.clear_tokens[token.pk] = clear
        return token

    def setup(self) -> None:
        super().setup()
        self.pipe = StackPipeline(
            run=self.run_id,
            lab=self.pipe.lab,
            lab_actor=self.pipe.lab_actor,
            client=self.client,
            tokens=self.clear_tokens,
        )

    def sample_units(self) -> None:
        self.pipe.defer = True
        try:
            super().sample_units()
        finally:
            self.pipe.defer = False


@dataclass
class StackReplay(Replay):
    system_share: dict = field(default_factory=dict)
    stack: dict = field(default_factory=dict)

    def figures(self) -> dict:
        """The day's figures the newspaper gives, counted from the rows."""
        bulletin = [r for r in self.rounds if r.round_id in self.round_ids]
        return {
            "people": sum(r.people for r in bulletin),
            "tubes": sum(r.tubes for r in bulletin),
            "pool_size": max((r.pool_size for r in bulletin), default=0),
            "environment_tubes": sum(r.environment_tubes for r in bulletin),
            "environment_points": sum(r.environment_points for r in bulletin),
            "community_tests_by_noon": self.stack.get("community_tests_by_noon", 0),
        }

    def as_json(self) -> dict:
        return {
            **super().as_json(),
            "figures": self.figures(),
            "system_share": self.system_share,
            "stack": self.stack,
        }


def _authorise(user) -> None:
    places = find_places()
    require_permission(
        actor=user,
        action="manage_incidents",
        area_code=places.district.code,
        object_type="scenario",
        object_id="june13",
    )


def run_june13_stack(
    *, user, base_url: str, scale: float = DEFAULT_SCALE, day: dt.date = DAY
) -> StackReplay:
    """Replay 13 June 2022 through the server at `base_url` (loopback), as `user`."""
    if not 0 < scale <= 1:
        raise ReplayError(
            field="scale", code="range", message=_("The scale lies above 0 and at most 1.")
        )
    _authorise(user)
    client = StackClient(base_url)
    started = time.perf_counter()
    with translation.override(settings.LANGUAGE_CODE):
        driver = _Stack(
            client=client, user=user, scale=scale, clock=Clock(day), places=find_places()
        )
        replay = driver.run()
    stack = {
        "server": base_url,
        "station_clients": driver.pipe.clients,
        "requests": client.requests,
        "samples": Sample.objects.filter(round_id__in=[r.round_id for r in replay.rounds]).count(),
        "community_tests_by_noon": driver.community_tests,
    }
    out = StackReplay(**vars(replay), system_share=driver.system_share(), stack=stack)
    out.seconds = time.perf_counter() - started
    return out


def run_june13_timed(*, user, scale: float = DEFAULT_SCALE, day: dt.date = DAY) -> dict:
    """The small replay in one transaction, in process, with the same system steps timed:
    the baseline the real stack's share is read against."""
    _authorise(user)
    with translation.override(settings.LANGUAGE_CODE), transaction.atomic():
        driver = _Timed(user=user, scale=scale, clock=Clock(day), places=find_places())
        driver.run()
    return driver.system_share()
