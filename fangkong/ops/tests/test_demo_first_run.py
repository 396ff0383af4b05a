"""`fangkong demo` as a newcomer runs it: our own lines, in Chinese, and our own error pages."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
CJK = re.compile(r"[\u4e00-\u9fff]")
TABLE = re.compile(r"^[\s┏┃┡│└━╇┳┩┗┛┻┷┯┠┨─┼┬┴]")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str) -> tuple[int, str]:
    request = urllib.request.Request(url, headers={"Accept-Language": "zh-hans"})  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - loopback
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def _wait_until_up(base: str, process: subprocess.Popen) -> None:
    for _ in range(600):  # the first run migrates and seeds a new database
        if process.poll() is not None:
            raise AssertionError(process.communicate()[0])
        try:
            if _get(base + "healthz")[0] == 200:
                return
        except OSError:
            pass
        time.sleep(0.5)
    raise AssertionError("the demo server did not come up")


def test_demo_prints_only_its_own_chinese_lines_and_shows_its_own_404(tmp_path):
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FANGKONG_", "DJANGO_"))}
    env["FANGKONG_DATA_DIR"] = str(tmp_path)
    command = ["demo", "--residents", "300", "--quiet", "--port", str(port)]
    process = subprocess.Popen(
        [sys.executable, "-m", "fangkong.cli", *command],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base = f"http://127.0.0.1:{port}/"
    try:
        _wait_until_up(base, process)
        status, page = _get(base + "no-such-page/")
        static_status, _ = _get(base + "static/fangkong/app.css")
    finally:
        process.send_signal(signal.SIGINT)
        output = process.communicate(timeout=60)[0]

    assert status == 404
    assert "页面不存在" in page and "Django" not in page and "URLconf" not in page
    assert static_status == 200  # the demo runs without DEBUG; static files still load
    lines = [line for line in output.splitlines() if line.strip() and not TABLE.match(line)]
    assert [line for line in lines if not CJK.search(line)] == [], output
    assert output.count("Ctrl+C") == 1, output
    assert f"服务已在 http://127.0.0.1:{port}/ 运行（按 Ctrl+C 停止）" in lines
    assert "Django version" not in output and "CONTROL-C" not in output
