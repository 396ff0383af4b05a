"""The synthetic district of the tracing benchmarks: who scans in where and when, over 14 days.

Drawn from what a real district looks like, not tuned to a figure:

- **Venues.** One venue code for every ~500 scans of the 14 days: 20,000 venues for the
  10 million scans of a district (shops, restaurants, offices, pharmacies, a few metro stations
  and markets); 200,000 for a city's 100 million.
- **Popularity.** Venue of rank r takes a share proportional to r^-0.8 (a Zipf-like law, as
  footfall is). At 10 million scans the busiest venue, a metro station, sees ~22,000 scans a
  day (a busy interchange's gate), the tenth ~3,500 (a big supermarket), the hundredth ~550,
  the thousandth ~90 and the last a handful: thousands, not millions, a day. (The former
  paretovariate(1.2) over N/1000 venues put 56 % of all scans, 400,000 a day, at one venue:
  no building in a district takes that.)
- **Hours.** Nine scans in ten fall between 07:00 and 22:00 local time, the rest at night.
- **People.** One resident for every 28 scans (two scans a day each): ~360,000 people at
  10 million, a district's population.
- **Cases.** A case scans like everyone else (30 visits, two a day: a mix of busy and
  ordinary places drawn from the same popularity), and commutes through the district's
  busiest venue, the metro station, twice in the 14 days.
"""

from __future__ import annotations

import bisect
import datetime as dt
import itertools
import random
import zoneinfo
from collections.abc import Iterator

HUB_KINDS = ("metro_station", "supermarket", "market")
KINDS = ("supermarket", "restaurant", "pharmacy", "market", "office", "metro_station")
ZIPF = 0.8
SCANS_PER_VENUE = 500
SCANS_PER_PERSON = 28
DAYTIME = range(7, 22)
NIGHT_ACCEPT = 0.16  # nine scans in ten by day: 15 hours at 1 against 9 at 0.16
SPAN = 14 * 86400 - 3600
PERSON_SCANS = 30


def id_number(seq: int) -> str:
    """A valid resident id, distinct for every `seq` below 25 million."""
    from fangkong.core.documents import check_character

    birth = dt.date(1940, 1, 1) + dt.timedelta(days=seq % 25000)
    body = f"410172{birth:%Y%m%d}{seq // 25000 % 1000:03d}"
    return body + check_character(body)


class City:
    """Venues and their popularity for `scans` scans ending at `now`."""

    def __init__(self, *, scans: int, now: dt.datetime, zone: str = "Asia/Shanghai"):
        self.now, self.zone = now, zoneinfo.ZoneInfo(zone)
        self.start = now - dt.timedelta(seconds=SPAN)
        self.venues = max(50, scans // SCANS_PER_VENUE)
        self.people = max(100, scans // SCANS_PER_PERSON)
        self.cum = list(itertools.accumulate((r + 1) ** -ZIPF for r in range(self.venues)))

    def kind(self, rank: int) -> str:
        return HUB_KINDS[rank % len(HUB_KINDS)] if rank < 10 else KINDS[rank % len(KINDS)]

    def venue(self, rng: random.Random) -> int:
        return bisect.bisect(self.cum, rng.random() * self.cum[-1])

    def moment(self, rng: random.Random) -> dt.datetime:
        while True:
            at = self.start + dt.timedelta(seconds=rng.randrange(SPAN))
            if at.astimezone(self.zone).hour in DAYTIME or rng.random() < NIGHT_ACCEPT:
                return at

    def row(self, source_id: str, rank: int, document: str, at: dt.datetime) -> tuple:
        return (
            source_id,
            f"V{rank:07d}",
            f"场所{rank}",
            self.kind(rank),
            "resident_id",
            document,
            at.isoformat(timespec="seconds"),
        )

    def scans(self, count: int, *, seed: int = 613) -> Iterator[tuple]:
        """`count` scans as the platform exports them (the importer's CSV_COLUMNS), made as they go."""
        rng = random.Random(seed)
        people = [id_number(i) for i in range(self.people)]
        for i in range(count):
            rank = self.venue(rng)
            yield self.row(f"s{i}", rank, people[rng.randrange(len(people))], self.moment(rng))

    def case(self, number: int) -> tuple[str, list[tuple]]:
        """Case `number`: their document and 30 visits, two a day, one in 15 at the busiest
        venue, the others where anyone goes; all by day."""
        rng = random.Random(10_000 + number)
        document = id_number(20_000_000 + number)
        rows = []
        for k in range(PERSON_SCANS):
            rank = 0 if k % 15 == 0 else self.venue(rng)
            at = self.now - dt.timedelta(hours=11 * k + 1, minutes=rng.randrange(60))
            while at.astimezone(self.zone).hour not in DAYTIME:
                at -= dt.timedelta(hours=3)
            rows.append(self.row(f"case{number}-{k}", rank, document, at.replace(microsecond=0)))
        return document, rows

    def day_bounds(self, day: dt.date) -> tuple[dt.datetime, dt.datetime]:
        start = dt.datetime.combine(day, dt.time(), tzinfo=self.zone)
        return start, start + dt.timedelta(days=1)

    def first_full_day(self) -> dt.date:
        return self.start.astimezone(self.zone).date() + dt.timedelta(days=1)


CHUNK = 50_000


def seed_raw(city: City, *, scans: int) -> int:
    """Write the city's scans straight into the scans table (COPY / executemany), without the
    import's checks and crypto: for measuring what reads them, when the import's own figure
    is not wanted. Documents get a stand-in blind index; only the cases' are real."""
    from django.db import connection, transaction

    from fangkong.tracing import scan_store
    from fangkong.tracing.models import Venue
    from fangkong.tracing.services.venues import default_venue_area

    area = default_venue_area()
    Venue.objects.bulk_create(
        [
            Venue(code=f"V{r:07d}", name=f"场所{r}", kind=city.kind(r), area_code=area)
            for r in range(city.venues)
        ],
        batch_size=5000,
    )
    ids = dict(Venue.objects.values_list("code", "id"))
    day = city.start.astimezone(city.zone).date()
    with transaction.atomic():
        scan_store.ensure_partitions(day + dt.timedelta(days=d) for d in range(16))
    cols = ", ".join(scan_store.COLUMNS)
    rows = city.scans(scans)
    written = 0
    while chunk := list(itertools.islice(rows, CHUNK)):
        with transaction.atomic(), connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                with cursor.cursor.copy(f"COPY tracing_venuescan ({cols}) FROM STDIN") as cp:
                    cp.write(
                        "".join(
                            f"{ids[r[1]]}\t{r[6]}\t{r[0]}\t{r[4]}\tc\tx{r[5]}\t{r[5][:3]}***\n"
                            for r in chunk
                        )
                    )
            else:
                connection.connection.executemany(
                    f"INSERT INTO tracing_venuescan ({cols}) VALUES (?, ?, ?, ?, ?, ?, ?)",  # noqa: S608
                    [
                        (
                            ids[r[1]],
                            scan_store.sqlite_time(dt.datetime.fromisoformat(r[6])),
                            r[0],
                            r[4],
                            "c",
                            "x" + r[5],
                            r[5][:3] + "***",
                        )
                        for r in chunk
                    ],
                )
        written += len(chunk)
    return written
