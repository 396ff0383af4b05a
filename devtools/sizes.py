"""List modules over 400 lines and functions over 80 lines in fangkong/.

Migrations and tests are left out. Files named in ``devtools/sizes_allow.txt`` (one path a line,
``#`` comments) are being split elsewhere and are skipped with every function inside them;
the list should only ever shrink. Exits 1 when anything else is too long.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "fangkong"
ALLOW_LIST = Path(__file__).resolve().parent / "sizes_allow.txt"
MAX_MODULE_LINES = 400
MAX_FUNCTION_LINES = 80


def read_allow_list(path: Path = ALLOW_LIST) -> set[str]:
    if not path.exists():
        return set()
    lines = (line.split("#", 1)[0].strip() for line in path.read_text().splitlines())
    return {line for line in lines if line}


def checked_files(package: Path = PACKAGE) -> list[Path]:
    return sorted(
        path
        for path in package.rglob("*.py")
        if "migrations" not in path.parts and "tests" not in path.parts
    )


def oversize(path: Path, *, root: Path = ROOT) -> list[str]:
    """The findings for one file, each as ``path:line: what``."""
    source = path.read_text(encoding="utf-8")
    rel = path.relative_to(root).as_posix()
    findings = []
    lines = len(source.splitlines())
    if lines > MAX_MODULE_LINES:
        findings.append(f"{rel}:1: module has {lines} lines (max {MAX_MODULE_LINES})")
    for node in ast.walk(ast.parse(source, filename=rel)):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            start = min([node.lineno, *(d.lineno for d in node.decorator_list)])
            length = node.end_lineno - start + 1
            if length > MAX_FUNCTION_LINES:
                findings.append(
                    f"{rel}:{node.lineno}: function {node.name} has {length} lines"
                    f" (max {MAX_FUNCTION_LINES})"
                )
    return findings


def main() -> int:
    allowed = read_allow_list()
    findings = []
    for path in checked_files():
        if path.relative_to(ROOT).as_posix() in allowed:
            continue
        findings.extend(oversize(path))
    for finding in findings:
        print(finding)
    stale = sorted(p for p in allowed if not (ROOT / p).exists())
    for path in stale:
        print(f"{ALLOW_LIST.relative_to(ROOT)}: {path} no longer exists; drop it from the list")
    return 1 if findings or stale else 0


if __name__ == "__main__":
    sys.exit(main())
