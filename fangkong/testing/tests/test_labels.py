"""Tube label sheets: what is printed scans back as the tube's barcode."""

import base64
import io
import re
import zlib

import pytest
from barcode.charsets import code128
from django.core.management import CommandError, call_command
from PIL import Image

from devtools.pdf import pdf_fonts
from fangkong.accounts.models import Role
from fangkong.core.models import AuditAction, AuditEntry
from fangkong.testing import labels
from fangkong.testing.models import Tube, TubeKind
from fangkong.testing.services.rounds import create_tubes


def decode_modules(bits: str) -> str:
    """The digits of a Code 128 set C symbol given as modules ('1' bar, '0' space)."""
    assert bits.endswith(code128.STOP + "11"), "no stop pattern"  # stop + termination bar
    values = [code128.CODES.index(bits[i : i + 11]) for i in range(0, len(bits) - 13, 11)]
    start, *data, check = values
    assert start == code128.START_CODES["C"]
    assert check == (start + sum(i * v for i, v in enumerate(data, start=1))) % 103
    return "".join(f"{v:02d}" for v in data)


def decode_code128(row: list[int], threshold: int = 128) -> str:
    """Read a Code 128 symbol from one row of grey pixels, as a scanner would."""
    dark = [p < threshold for p in row]
    first, last = dark.index(True), len(dark) - 1 - dark[::-1].index(True)
    runs, current, length = [], dark[first], 0
    for d in dark[first : last + 1]:
        if d == current:
            length += 1
        else:
            runs.append(length)
            current, length = d, 1
    runs.append(length)
    module = min(runs)
    return decode_modules(
        "".join(("1" if i % 2 == 0 else "0") * round(r / module) for i, r in enumerate(runs))
    )


def pdf_text(content: bytes) -> bytes:
    """The page content streams, undoing reportlab's ASCII85 and Flate encodings."""
    out = []
    for s in re.findall(rb"stream\r?\n(.*?)\s*endstream", content, re.S):
        s = s.strip()
        if s.endswith(b"~>"):
            s = base64.a85decode(s[:-2].replace(b"\n", b""))
        try:
            out.append(zlib.decompress(s))
        except zlib.error:
            out.append(s)
    return b"\n".join(out)


@pytest.fixture
def round_tubes(mass_round):
    return create_tubes(round=mass_round, count=31, capacity=10)


def test_every_png_label_scans_back_as_its_tube(round_tubes, mass_round):
    sheet = labels.labels_for(round_tubes, mass_round.name)
    image = Image.open(io.BytesIO(labels.render_png(sheet)))
    assert image.size == (2480, 3508) and round(image.info["dpi"][0]) == 300  # A4 at 300 dpi
    pixels = image.convert("L")
    for i, tube in enumerate(round_tubes[: labels.PER_SHEET]):
        x, y = labels._origin(i)
        geo = labels._layout(x, y, len(labels.modules(tube.barcode)))
        row_y = labels._px(geo["bars_y"] + labels.BAR_H / 2)
        left, right = labels._px(x), labels._px(x + labels.LABEL_W) - 1
        row = [pixels.getpixel((px, row_y)) for px in range(left, right)]
        assert decode_code128(row) == tube.barcode
    second = Image.open(io.BytesIO(labels.render_png(sheet, sheet=2))).convert("L")
    x, y = labels._origin(0)
    geo = labels._layout(x, y, 101)
    row_y = labels._px(geo["bars_y"] + labels.BAR_H / 2)
    row = [second.getpixel((px, row_y)) for px in range(0, labels._px(labels.LABEL_W))]
    assert decode_code128(row) == round_tubes[30].barcode


def test_pdf_has_a_page_per_thirty_labels_with_numbers_and_bars(round_tubes, mass_round):
    content = labels.render_pdf(labels.labels_for(round_tubes, mass_round.name))
    assert content.startswith(b"%PDF")
    assert len(re.findall(rb"/Type /Page\b(?!s)", content)) == 2
    text = pdf_text(content)
    fonts = pdf_fonts(content)
    assert fonts and all(fonts.values()), fonts  # every font embedded: no STSong, no Helvetica
    # The first label's bars, read back from the drawing, decode to the first tube.
    rects = [
        tuple(float(v) for v in m)
        for m in re.findall(rb"([\d.]+) ([\d.]+) ([\d.]+) ([\d.]+) re f", text)
    ]
    assert len(rects) == 31 * 28  # 28 bars in a 12-digit Code 128
    module = labels.MODULE * 72 / 25.4
    origin = rects[0][0]
    bits = ["0"] * 101
    for x, _y, width, _h in rects[:28]:
        begin = round((x - origin) / module)
        for j in range(begin, begin + round(width / module)):
            bits[j] = "1"
    assert decode_modules("".join(bits)) == round_tubes[0].barcode


def test_labels_say_how_the_tube_is_used():
    single = Tube(barcode="000000000018", capacity=1)
    pool = Tube(barcode="000000000018", capacity=20)
    environment = Tube(barcode="000000000018", kind=TubeKind.ENVIRONMENT, swab_points=10)
    notes = [labels.pool_note(t) for t in (single, pool, environment)]
    assert len(set(notes)) == 3 and "20" in notes[1] and "10" in notes[2]


def test_cli_creates_tubes_and_writes_their_labels(mass_round, tmp_path):
    out = io.StringIO()
    call_command(
        "tubes",
        "create",
        "--round",
        str(mass_round.pk),
        "--count",
        "35",
        "--capacity",
        "10",
        "--labels",
        str(tmp_path / "labels.pdf"),
        stdout=out,
    )
    tubes = list(Tube.objects.filter(round=mass_round).order_by("barcode"))
    assert len(tubes) == 35 and {t.capacity for t in tubes} == {10}
    assert tubes[0].barcode in out.getvalue() and tubes[-1].barcode in out.getvalue()
    pdf = (tmp_path / "labels.pdf").read_bytes()
    assert len(re.findall(rb"/Type /Page\b(?!s)", pdf)) == 2
    call_command(
        "tubes",
        "create",
        "--round",
        str(mass_round.pk),
        "--count",
        "8",
        "--environment",
        "--swab-points",
        "10",
        "--labels",
        str(tmp_path / "env.png"),
        stdout=io.StringIO(),
    )
    environment = Tube.objects.filter(round=mass_round, kind=TubeKind.ENVIRONMENT)
    assert environment.count() == 8 and {t.swab_points for t in environment} == {10}
    assert Image.open(tmp_path / "env.png").size == (2480, 3508)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--count", "3", "--environment"], "点位"),  # the CLI speaks Chinese by default
        (["--count", "0"], "10,000"),
        (["--count", "3", "--labels", "x.docx"], ".pdf"),
    ],
)
def test_cli_refuses_what_create_tubes_refuses(mass_round, args, message):
    with pytest.raises(CommandError) as exc:
        call_command("tubes", "create", "--round", str(mass_round.pk), *args, stdout=io.StringIO())
    assert message in str(exc.value)
    assert not Tube.objects.exists()


def test_cli_refuses_an_unknown_round(db):
    with pytest.raises(CommandError):
        call_command("tubes", "create", "--round", "999", "--count", "1", stdout=io.StringIO())


def test_label_sheets_download_for_staff_of_the_rounds_area(
    client, round_tubes, mass_round, commander, make_user
):
    client.force_login(commander)
    pdf = client.get(f"/testing/lab/labels/{mass_round.pk}.pdf")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    png = client.get(f"/testing/lab/labels/{mass_round.pk}.png?sheet=2")
    assert png.status_code == 200 and png["Content-Type"] == "image/png"
    assert client.get(f"/testing/lab/labels/{mass_round.pk}.png?sheet=3").status_code == 404
    part = client.get(f"/testing/lab/labels/{mass_round.pk}.pdf?start=31&count=1")
    assert len(re.findall(rb"/Type /Page\b(?!s)", part.content)) == 1
    grid_worker = make_user(Role.GRID_WORKER, "410172-001-001-001")
    client.force_login(grid_worker)
    assert client.get(f"/testing/lab/labels/{mass_round.pk}.pdf").status_code == 403
    assert AuditEntry.objects.filter(action=AuditAction.PERMISSION_DENIED).exists()
