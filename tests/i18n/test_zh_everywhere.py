"""The interface speaks Chinese everywhere: every page each demo account can reach, every
export it can download and every message it is shown, after the 13 June replay has filled the
demo district, has no English sentence in it when the language is zh-Hans."""

from __future__ import annotations

import io
import pprint
import re
from collections import Counter, deque
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import openpyxl
import pytest
from django.test import Client

pytestmark = pytest.mark.django_db

# Words that are names, not English: the product, accounts, standards and units.
ALLOWED = {
    "fangkong",
    "english",  # the language switch names the other language in its own tongue
    "open311",
    "api",
    "id",
    "sms",
    "csv",
    "pdf",
    "png",
    "json",
    "excel",
    "geojson",
    "fhir",
    "bundle",  # FHIR's resource name, as the standard spells it
    "ct",
    "ok",
    "igg",
    "igm",
    "orf1ab",
    "ctrl",  # a key's name, as printed on it
}
ENGLISH = re.compile(r"[A-Za-z][a-z]+(?:[ ,'’-]+[A-Za-z][a-z]+)+|\b[A-Z][a-z]{3,}\b")
URL = re.compile(r"(https?://|/)\S+")
SKIP_TAGS = {"script", "style", "code", "pre", "textarea"}
# Pages that change things on GET are never linked; these are downloads or not pages.
NOT_PAGES = ("/static/", "/admin/", "/api/", "/i18n/", "/jsi18n/", "/accounts/logout")
# A table of people (it has a document or phone column) calls their names 姓名, not 名称.
PEOPLE_TABLE = re.compile(r"<th>(证件|电话|手机号)</th>")
# An area code reaches a page only as a hint: inside <code> next to the name it codes, or in a
# link's href or a form's value, or in a picker's <option> label next to the name (typing the code
# finds the place). In any other visible text (a table cell, a heading, a link's text) it is a
# raw code standing where a name should be; so is a table cell holding nothing but the <code>,
# unless its column is the code column (headed 编码) beside the name's.
AREA_CODE = re.compile(r"(?<![\w-])\d{6}(?:-\d{3})+(?:-[0-9A-Za-z]{1,8})?(?![\w-])")
MAX_PAGES_PER_ACCOUNT = 400
PER_SHAPE = 2  # /residents/7/ and /residents/8/ are the same page; two of each shape are enough


class _Text(HTMLParser):
    """The visible text and the links of a page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.links: list[str] = []
        self.text: list[str] = []
        self.data: list[str] = []  # the text nodes only (no attributes)
        self.bare_cells: list[str] = []  # table cells that hold nothing but a <code>d area code
        self._cell: list[list[str]] | None = None
        self._option = 0  # inside an <option>
        self._headers: dict[int, str] = {}  # the current table's column headers
        self._column = -1  # a cell's [plain text, <code> text]
        self._skipping: str | None = None  # the tag whose subtree is skipped
        self._depth = 0

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "tr":
            self._column = -1
        if tag in ("td", "th"):
            self._column += 1
            self._cell = [[], []]
        self._option += tag == "option"
        if self._skipping:
            self._depth += tag == self._skipping
            return
        # A part marked lang="en" is English on purpose (the bilingual bulletin's second half).
        if tag in SKIP_TAGS or (attrs.get("lang") or "").startswith("en"):
            self._skipping, self._depth = tag, 1
            return
        if tag == "a" and attrs.get("href"):
            self.links.append(attrs["href"])
        for name in ("title", "placeholder", "aria-label", "alt"):
            if attrs.get(name):
                self.text.append(attrs[name])
        if tag == "input" and attrs.get("type") in ("submit", "button") and attrs.get("value"):
            self.text.append(attrs["value"])

    def handle_endtag(self, tag):
        self._option -= tag == "option" and self._option > 0
        if tag in ("td", "th") and self._cell is not None:
            plain, coded = ("".join(part).strip() for part in self._cell)
            if tag == "th":
                self._headers[self._column] = plain
            elif (
                not plain
                and AREA_CODE.fullmatch(coded)
                and self._headers.get(self._column) != "编码"
            ):
                self.bare_cells.append(coded)
            self._cell = None
        if tag == "table":
            self._headers = {}
        if self._skipping == tag:
            self._depth -= 1
            if self._depth == 0:
                self._skipping = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell[self._skipping == "code"].append(data)
        if not self._skipping and data.strip():
            self.text.append(data.strip())
            if not self._option:
                self.data.append(data.strip())


def english_in(texts) -> list[str]:
    found = []
    for text in texts:
        for match in ENGLISH.finditer(URL.sub(" ", text)):
            words = {w.lower() for w in re.findall(r"[A-Za-z0-9]+", match.group())}
            if words - ALLOWED - USERNAMES:
                found.append(match.group())
    return found


USERNAMES: set[str] = set()


@pytest.fixture
def demo_district(settings):
    from fangkong.demo.accounts import DEMO_ACCOUNTS, ensure_demo_accounts
    from fangkong.demo.seed import seed_demo
    from fangkong.ops.management.commands.scenario import run_scenario

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    seed_demo(residents=1_500, seed=613, progress=False)
    ensure_demo_accounts()
    run_scenario("june13", scale=None, username="commander", day=None)
    USERNAMES.update(a.username for a in DEMO_ACCOUNTS)
    return [a.username for a in DEMO_ACCOUNTS if a.username != "reporter"]


def _shape(url: str) -> str:
    parts = urlsplit(url)
    keys = sorted(re.findall(r"([^&=?]+)=", parts.query))
    return re.sub(r"\d+", "N", parts.path) + "?" + "&".join(keys)


def _crawl(client: Client, start: str) -> dict[str, list[str]]:
    seen, queue, problems = {start}, deque([start]), {}
    shapes: Counter[str] = Counter()
    while queue and len(seen) <= MAX_PAGES_PER_ACCOUNT:
        url = queue.popleft()
        response = client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans")
        if response.status_code in (301, 302):
            target = urljoin(url, response["Location"])
            if target not in seen and urlsplit(target).netloc in ("", "testserver"):
                seen.add(target)
                queue.append(target)
            continue
        if response.status_code != 200:
            continue
        kind = response.get("Content-Type", "")
        body = b"".join(response.streaming_content) if response.streaming else response.content
        if "html" in kind:
            parser = _Text()
            page = body.decode()
            parser.feed(page)
            english = english_in(parser.text)
            if PEOPLE_TABLE.search(page) and "<th>名称</th>" in page:
                english.append("名称 for a person's name (姓名)")
            english += [f"bare area code {c}" for t in parser.data for c in AREA_CODE.findall(t)]
            english += [f"area code without its name {c}" for c in parser.bare_cells]
            for href in parser.links:
                parts = urlsplit(urljoin(url, href))
                if parts.netloc not in ("", "testserver"):
                    continue
                path = parts.path
                target = path + (f"?{parts.query}" if parts.query else "")
                # ?lang=en asks for a document's English version on purpose.
                if path.startswith(NOT_PAGES) or target in seen or "lang=en" in parts.query:
                    continue
                shapes[_shape(target)] += 1
                if shapes[_shape(target)] > PER_SHAPE:
                    continue
                seen.add(target)
                queue.append(target)
        elif "spreadsheetml" in kind:
            book = openpyxl.load_workbook(io.BytesIO(body), read_only=True)
            cells = [book.sheetnames[0]]
            for sheet in book.worksheets:
                for row in sheet.iter_rows(max_row=3, values_only=True):
                    cells += [c for c in row if isinstance(c, str)]
            english = english_in(cells)
        elif "csv" in kind:
            head = body.decode("utf-8-sig", "replace").splitlines()[:1]
            english = english_in(head)
        else:
            continue
        if english:
            problems[url] = sorted(set(english))[:8]
    return problems


def test_every_page_and_export_a_demo_account_reaches_is_chinese(demo_district):
    from fangkong.accounts.models import User

    problems = {}
    for username in demo_district:
        client = Client()
        client.force_login(User.objects.get(username=username))
        for url, english in _crawl(client, "/").items():
            problems.setdefault(url, english)
    assert problems == {}, "English in zh-Hans:\n" + pprint.pformat(problems, width=100)
