"""A community's resident ledger as staff keep it, generated: a title, a 填报 line, Chinese
headers (with a column we do not know, a second phone column and the grid), blank lines, a
totals row and a signature; names from Faker zh_CN, ID numbers with python-stdnum's check
digit. Each row's kind is known, so a test can say what the import must report."""

from __future__ import annotations

import datetime as dt
import io
import random
from collections import Counter
from dataclasses import dataclass, field

from faker import Faker
from openpyxl import Workbook
from stdnum.cn import ric

HEADERS = [
    "序号",
    "姓名",
    "性别",
    "民族",
    "身份证号码",
    "出生日期",
    "联系电话",
    "手机号",
    "小区",
    "楼栋",
    "单元",
    "房号",
    "人员类别",
    "所属网格",
    "备注",
]
COMPOUND = "瓦屋李新居"
VILLAGE = "大里村"
VILLAGE_HOUSE = "5号"  # stored as 大里村5号: one door, rooms 101–104 and 201–204
VILLAGE_ROOMS = [f"{f}0{r}" for f in (1, 2) for r in (1, 2, 3, 4)]
# Buildings of the compound as the ledger writes them: stored as 1号楼, 2号楼, 瓦屋李新居3号楼.
BUILDINGS = (1, 2, 3)
CATEGORIES = ["户籍", "户籍", "户籍", "流动", "独居老人", "残疾", "流动、残疾", "孕妇"]
TAG_OF = {"独居老人": {"elderly_alone"}, "残疾": {"disabled"}, "孕妇": {"pregnant"}}
# Row kinds and how often they occur (per 1,000 rows).
KINDS = {
    "ok": 880,
    "converted": 25,  # a first-generation 15-digit number
    "sex_mismatch": 20,  # 性别 says the other sex than the ID number
    "partial_birth": 20,  # 出生日期 written 1990.03; the ID number has the day
    "village": 20,  # the village house, 单元 left blank
    "unknown_building": 10,
    "many_reasons": 10,  # wrong check digit, a phone too short and an unknown sex word
    "duplicate": 15,  # an ID already on an earlier row, another name
}
REGIONS = ("410172", "410102", "410105", "410122")
REJECTED = {"unknown_building", "many_reasons", "duplicate"}


@dataclass
class Ledger:
    rows: list[list[object]]  # every sheet row below the header, data and not
    first_row: int  # sheet row of the first line below the header
    kinds: dict[int, str] = field(default_factory=dict)  # sheet row → kind of a person row
    documents: dict[int, str] = field(default_factory=dict)  # sheet row → ID as written
    skipped: int = 0

    def count(self, *kinds: str) -> int:
        return sum(1 for k in self.kinds.values() if k in kinds)

    def rows_of(self, kind: str) -> set[int]:
        return {row for row, k in self.kinds.items() if k == kind}

    def counts(self) -> Counter[str]:
        return Counter(self.kinds.values())


def _id(rng: random.Random, used: set[str], birth: dt.date, male: bool) -> str:
    while True:
        seq = rng.randrange(0, 500) * 2 + (1 if male else 0)
        # 410172 (High-tech Zone) is newer than stdnum's county table: only the check digit
        # and the birth date are stdnum's to check, as in fangkong.core.documents.
        body = f"{rng.choice(REGIONS)}{birth:%Y%m%d}{seq:03d}"
        number = body + ric.calc_check_digit(body + "0")
        if number not in used:
            used.add(number)
            assert ric.get_birth_date(number) == birth
            return number


def _first_generation(rng: random.Random, used: set[str], birth: dt.date, male: bool) -> str:
    while True:
        seq = rng.randrange(0, 500) * 2 + (1 if male else 0)
        old = f"410102{birth:%y%m%d}{seq:03d}"
        body = f"410102{birth:%Y%m%d}{seq:03d}"
        upgraded = body + ric.calc_check_digit(body + "0")
        if upgraded not in used:
            used.add(upgraded)
            return old


def _address(rng: random.Random, kind: str) -> tuple[str, str, str | None, str]:
    if kind == "village":
        return VILLAGE, VILLAGE_HOUSE, None, rng.choice(VILLAGE_ROOMS)
    number = rng.choice(BUILDINGS)
    building = rng.choice((f"{number}号楼", str(number), f"{number}栋"))
    if kind == "unknown_building":
        building = "9号楼"
    room = f"{rng.randint(1, 6)}0{rng.randint(1, 2)}"
    return COMPOUND, building, str(rng.randint(1, 2)), room


def generate_ledger(n: int, *, seed: int = 14, header_row: int = 3) -> Ledger:
    """`n` person rows, a blank line every 97 rows, then a totals row and a signature."""
    rng = random.Random(seed)
    fake = Faker("zh_CN")
    fake.seed_instance(seed)
    used: set[str] = set()
    ledger = Ledger(rows=[], first_row=header_row + 1)
    written: list[str] = []
    kinds, weights = list(KINDS), list(KINDS.values())
    for i in range(n):
        if i and i % 97 == 0:
            ledger.rows.append([None] * len(HEADERS))
        kind = rng.choices(kinds, weights)[0] if written else "ok"
        male = rng.random() < 0.5
        name = fake.name_male() if male else fake.name_female()
        birth = dt.date(1940, 1, 1) + dt.timedelta(days=rng.randrange(0, 365 * 60))
        number = (
            _first_generation(rng, used, birth, male)
            if kind == "converted"
            else _id(rng, used, birth, male)
        )
        sex = "男" if male else "女"
        birth_cell: object = birth.isoformat() if i % 3 else dt.datetime(*birth.timetuple()[:3])
        phone: object = f"1{rng.choice('3578')}{rng.randrange(10**9):09d}"
        category = rng.choice(CATEGORIES if not male else CATEGORIES[:-1])
        if kind == "sex_mismatch":
            sex = "女" if male else "男"
            category = "户籍"
        elif kind == "partial_birth":
            birth_cell = f"{birth:%Y.%m}"
        elif kind == "many_reasons":
            number = number[:-1] + ("0" if number[-1] != "0" else "1")
            phone, sex = "12345", "未知"
        elif kind == "duplicate":
            number = rng.choice(written)
        compound, building, entrance, room = _address(rng, kind)
        row_number = ledger.first_row + len(ledger.rows)
        ledger.kinds[row_number] = kind
        ledger.documents[row_number] = number
        if kind in ("ok", "village"):
            written.append(number)
        ledger.rows.append(
            [
                i + 1,
                name,
                sex,
                "汉族",
                number,
                birth_cell,
                phone,
                f"1{rng.choice('3578')}{rng.randrange(10**9):09d}",  # 手机号: a second phone
                compound,
                building,
                entrance,
                room,
                category,
                "第一网格",
                "",
            ]
        )
    ledger.rows.append([None] * len(HEADERS))
    ledger.rows.append(
        ["合计", None, None, None, None, None, None, None, None, None, None, None, f"共{n}人"]
    )
    ledger.rows.append(["填表人：王五"])
    ledger.skipped = 2
    return ledger


def shuffled(headers: list[str], rows: list[list[object]], seed: int = 41):
    """The same ledger with its columns in another order."""
    order = list(range(len(headers)))
    random.Random(seed).shuffle(order)

    def move(row: list[object]) -> list[object]:
        row = list(row) + [None] * (len(headers) - len(row))
        return [row[i] for i in order]

    return move(headers), [move(r) for r in rows]


def workbook_bytes(headers: list[str], rows: list[list[object]]) -> bytes:
    """The ledger as an .xlsx: title (merged), 填报 line, headers, rows."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "花名册"
    sheet.append(["瓦屋李社区居民信息台账（2026年12月）"])
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(headers))
    sheet.append(["填报单位：瓦屋李社区居委会", None, None, None, None, "填报日期：2026年12月1日"])
    sheet.append(headers)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
