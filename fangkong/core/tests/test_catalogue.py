"""The zh-Hans catalogue is complete: every string the code and templates use is translated."""

import shutil
import subprocess
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2]
PO = PACKAGE / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"
JS_PO = PO.with_name("djangojs.po")


def _untranslated(po: Path) -> str:
    result = subprocess.run(
        ["msgattrib", "--untranslated", "--no-obsolete", "--no-wrap", str(po)],
        capture_output=True,
        text=True,
        check=True,
    )
    fuzzy = subprocess.run(
        ["msgattrib", "--only-fuzzy", "--no-obsolete", "--no-wrap", str(po)],
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout + fuzzy.stdout


def test_committed_catalogue_has_no_untranslated_or_fuzzy_entries():
    assert PO.exists()
    assert _untranslated(PO) == ""
    if JS_PO.exists():
        assert _untranslated(JS_PO) == ""


def test_every_string_in_the_code_is_in_the_catalogue(tmp_path):
    """Re-extract into a copy of the package: anything new comes out untranslated."""
    copy = tmp_path / "fangkong"
    shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__", "static", "*.mo"))
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "django",
            "makemessages",
            "-l",
            "zh_Hans",
            "--no-obsolete",
            "--ignore",
            "*/tests/*",
            "--ignore",
            "migrations/*",
        ],
        cwd=copy,
        capture_output=True,
        text=True,
        env={
            "DJANGO_SETTINGS_MODULE": "fangkong.settings",
            "PATH": "/usr/bin:/bin",
            "PYTHONPATH": str(PACKAGE.parent),
            "FANGKONG_DATA_DIR": str(tmp_path / "var"),
        },
    )
    assert result.returncode == 0, result.stderr
    missing = _untranslated(copy / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po")
    assert missing == "", (
        "untranslated strings (run `make messages-update` and translate):\n" + missing
    )
