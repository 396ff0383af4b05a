"""`make lint`'s size check: modules over 400 lines and functions over 80 are named, and the
project has none outside the short allow-list of files being split."""

from pathlib import Path

from devtools import sizes


def _write(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_a_long_function_is_named_with_its_line_and_length(tmp_path):
    body = [f"    x{i} = {i}" for i in range(80)]
    path = _write(tmp_path / "m.py", ["import os", "", "", "@staticmethod", "def long():", *body])
    assert sizes.oversize(path, root=tmp_path) == ["m.py:5: function long has 82 lines (max 80)"]


def test_a_function_of_80_lines_and_a_module_of_400_pass(tmp_path):
    body = [f"    x{i} = {i}" for i in range(79)]
    lines = ["def fits():", *body]
    lines += [f"y{i} = {i}" for i in range(400 - len(lines))]
    assert sizes.oversize(_write(tmp_path / "m.py", lines), root=tmp_path) == []


def test_a_long_module_is_named(tmp_path):
    path = _write(tmp_path / "m.py", [f"y{i} = {i}" for i in range(401)])
    assert sizes.oversize(path, root=tmp_path) == ["m.py:1: module has 401 lines (max 400)"]


def test_the_allow_list_reads_paths_and_skips_comments(tmp_path):
    allow = _write(tmp_path / "allow.txt", ["# split elsewhere", "fangkong/a.py  # soon", ""])
    assert sizes.read_allow_list(allow) == {"fangkong/a.py"}


def test_the_project_is_within_the_limits(capsys):
    assert sizes.main() == 0, capsys.readouterr().out
