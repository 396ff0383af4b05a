"""`fangkong serve`: the production server and the settings it refuses."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

ROOT = Path(__file__).resolve().parents[3]


def test_serve_production_execs_gunicorn_with_keepalive_and_preload(monkeypatch, settings):
    """The production server command, as the README gives it (exec is the boundary)."""
    seen = {}

    def fake_exec(path, argv):
        seen["path"], seen["argv"] = path, argv

    monkeypatch.setattr(os, "execv", fake_exec)
    settings.DEBUG = False
    call_command("serve", "--production", "--bind", "127.0.0.1:9999", "--workers", "3")
    argv = seen["argv"]
    assert seen["path"].endswith("gunicorn") and "fangkong.wsgi:application" in argv
    assert argv[argv.index("--bind") + 1] == "127.0.0.1:9999"
    assert argv[argv.index("--workers") + 1] == "3"
    assert argv[argv.index("--worker-class") + 1] == "gthread"
    assert "--preload" in argv and "--keep-alive" in argv
    call_command("serve", "--production")  # defaults: a worker per core, two threads each
    argv = seen["argv"]
    assert argv[argv.index("--workers") + 1] == str(max(2, os.cpu_count() or 1))
    assert argv[argv.index("--threads") + 1] == "2"


def test_serve_production_refuses_debug_and_names_fangkong_env(monkeypatch, settings):
    seen = {}
    monkeypatch.setattr(os, "execv", lambda path, argv: seen.setdefault("argv", argv))
    settings.DEBUG = True
    settings.LANGUAGE_CODE = "zh-hans"
    with pytest.raises(CommandError, match="FANGKONG_ENV") as refused:
        call_command("serve", "--production")
    assert "调试" in str(refused.value)
    assert "argv" not in seen  # gunicorn was never started


def test_fangkong_serve_production_exits_non_zero_in_development(tmp_path):
    """The command as an operator types it, without FANGKONG_ENV (DEBUG is on by default)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("FANGKONG_")}
    env["FANGKONG_DATA_DIR"] = str(tmp_path)
    result = subprocess.run(
        [sys.executable, "-m", "fangkong.cli", "serve", "--production", "--port", "1"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "FANGKONG_ENV" in result.stderr and "调试" in result.stderr
