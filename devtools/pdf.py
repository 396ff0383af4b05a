"""Which fonts a PDF uses and whether each is embedded: `pdffonts` (poppler-utils) when it is
installed, else the PDF's own font dictionaries (enough for reportlab's uncompressed ones)."""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from pathlib import Path

_OBJECT = re.compile(rb"(\d+) 0 obj(.*?)endobj", re.S)
_REF = rb"/%s\s+(\d+) 0 R"


def _with_pdffonts(pdf: bytes, tool: str) -> dict[str, bool]:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "doc.pdf"
        path.write_bytes(pdf)
        out = subprocess.run([tool, str(path)], capture_output=True, text=True, check=True)
    fonts = {}
    for line in out.stdout.splitlines()[2:]:
        # name type [type…] encoding emb sub uni object ID: `emb` is the fifth field from the end.
        fields = line.split()
        fonts[fields[0]] = fields[-5] == "yes"
    return fonts


def _parsed(pdf: bytes) -> dict[str, bool]:
    objects = {int(n): body for n, body in _OBJECT.findall(pdf)}

    def ref(body: bytes, key: bytes) -> bytes:
        m = re.search(_REF % key, body)
        return objects.get(int(m.group(1)), b"") if m else b""

    fonts = {}
    for body in objects.values():
        if not re.search(rb"/Type\s*/Font\b", body) or b"/DescendantFonts" in body:
            continue
        name = re.search(rb"/BaseFont\s*/([^\s/>\]]+)", body)
        descriptor = ref(body, b"FontDescriptor")
        if not name:
            continue
        embedded = bool(re.search(rb"/FontFile[23]?\s+\d+ 0 R", descriptor))
        fonts[name.group(1).decode()] = embedded
    return fonts


def pdf_fonts(pdf: bytes) -> dict[str, bool]:
    """{font name: embedded?} of every font the PDF names."""
    tool = shutil.which("pdffonts")
    return _with_pdffonts(pdf, tool) if tool else _parsed(pdf)
