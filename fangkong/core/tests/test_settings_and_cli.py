import base64
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.urls import reverse

ROOT = Path(__file__).resolve().parents[3]
FIELD_KEY = base64.b64encode(b"f" * 32).decode()
INDEX_KEY = base64.b64encode(b"i" * 32).decode()


def _run(code: str, **env) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("FANGKONG_")}
    environment.update(env)
    return subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=environment, capture_output=True, text=True
    )


def test_production_refuses_the_demo_keys(tmp_path):
    result = _run(
        "import fangkong.settings", FANGKONG_ENV="production", FANGKONG_DATA_DIR=str(tmp_path)
    )
    assert result.returncode != 0
    assert "FANGKONG_SECRET_KEY" in result.stderr and "FANGKONG_FIELD_KEY" in result.stderr


def test_production_starts_with_real_keys(tmp_path):
    result = _run(
        "import fangkong.settings as s; print(s.DEBUG, s.SESSION_COOKIE_SECURE)",
        FANGKONG_ENV="production",
        FANGKONG_SECRET_KEY="x" * 50,
        FANGKONG_FIELD_KEY=FIELD_KEY,
        FANGKONG_BLIND_INDEX_KEY=INDEX_KEY,
        FANGKONG_DATA_DIR=str(tmp_path),
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["False", "True"]


def test_database_url_selects_postgresql(tmp_path):
    result = _run(
        "import fangkong.settings as s; d = s.DATABASES['default']; print(d['ENGINE'], d['NAME'], d['PORT'])",
        FANGKONG_DATABASE_URL="postgresql://u:p@127.0.0.1:6543/fk",
        FANGKONG_DATA_DIR=str(tmp_path),
    )
    assert result.stdout.split() == ["fangkong.core.db.postgresql", "fk", "6543"]


def test_embedded_sqlite_uses_wal_a_bounded_log_file_and_a_new_database_8_kib_pages(tmp_path):
    result = _run(
        "import os; os.environ['DJANGO_SETTINGS_MODULE']='fangkong.settings'; import django; django.setup();"
        "from django.db import connection; c = connection.cursor(); c.execute('PRAGMA journal_mode');"
        "print(c.fetchone()[0]); c.execute('PRAGMA page_size'); print(c.fetchone()[0]);"
        "c.execute('PRAGMA journal_size_limit'); print(c.fetchone()[0])",
        FANGKONG_DATA_DIR=str(tmp_path),
    )
    assert result.stdout.split() == ["wal", "8192", str(64 * 2**20)], result.stderr
    assert (tmp_path / "fangkong.sqlite3").exists()


def test_cli_creates_and_migrates_a_new_database(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("FANGKONG_")}
    env["FANGKONG_DATA_DIR"] = str(tmp_path)
    result = subprocess.run(
        [sys.executable, "-m", "fangkong.cli", "showmigrations", "accounts"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    assert "[ ] 0001_initial" in result.stdout  # showmigrations itself does not migrate
    result = subprocess.run(
        [sys.executable, "-m", "fangkong.cli", "permissions", "--markdown"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    result = subprocess.run(
        [sys.executable, "-m", "fangkong.cli", "showmigrations", "accounts"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    assert "[X] 0001_initial" in result.stdout


@pytest.mark.django_db
def test_healthz(client):
    assert client.get(reverse("healthz")).json()["status"] == "ok"


def test_openapi_schema_is_served(client):
    schema = client.get("/api/openapi.json").json()
    assert "/api/v1/people/residents" in schema["paths"]


@pytest.mark.django_db
def test_cli_main_maps_import_and_export_to_their_commands(capsys):
    from fangkong.cli import ALIASES, main

    assert ALIASES == {"import": "import_data", "export": "export_data"}
    assert main(["permissions", "--markdown"]) == 0
    assert "# Permission matrix" in capsys.readouterr().out


@pytest.mark.django_db
def test_interface_is_chinese_whatever_the_browser_asks_until_the_user_switches(client):
    page = client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert 'lang="zh-hans"' in page.content.decode() and "用户名" in page.content.decode()
    client.post("/i18n/setlang/", {"language": "en", "next": "/accounts/login/"})
    page = client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="zh-CN")
    assert 'lang="en"' in page.content.decode() and "User name" in page.content.decode()
