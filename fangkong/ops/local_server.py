"""A Fangkong server on loopback in its own process: `fangkong serve` (Django's threaded
server) or, with `production`, `fangkong serve --production` (gunicorn, as the README runs it).

Used where something must talk to the system the way tablets and lab systems do, over HTTP:
`fangkong scenario run june13 --stack`, and the benchmarks' load and crash runs. The server
gets the caller's environment (same database, same keys) unless `env` replaces it.
"""

from __future__ import annotations

import http.client
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LocalServer:
    """Start with `start()` (returns once the workers answer /healthz) or as a context
    manager (yields the base URL); the process group is ended on `stop()`."""

    def __init__(
        self,
        env: dict | None = None,
        port: int | None = None,
        workers: int | None = None,
        *,
        production: bool = False,
        threads: int | None = None,
        log: str | None = None,
    ):
        self.env = dict(os.environ) if env is None else env
        self.port = port or free_port()
        self.workers, self.threads, self.production = workers, threads, production
        self.log, self.proc = log, None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def command(self) -> list[str]:
        cmd = [sys.executable, "-m", "fangkong.cli", "serve", "--bind", f"127.0.0.1:{self.port}"]
        if self.production:
            cmd.append("--production")
            if self.workers:
                cmd += ["--workers", str(self.workers)]
            if self.threads:
                cmd += ["--threads", str(self.threads)]
        return cmd

    def start(self) -> LocalServer:
        log = open(self.log or os.devnull, "ab")  # noqa: SIM115 - the child keeps it open
        self.proc = subprocess.Popen(
            self.command(), cwd=ROOT, env=self.env, stdout=log, stderr=log, start_new_session=True
        )
        log.close()
        deadline = time.monotonic() + 60
        ready = 0
        while time.monotonic() < deadline:
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
                conn.request("GET", "/healthz")
                if conn.getresponse().status == 200:
                    ready += 1
                    if ready >= 3 * (self.workers or 2):  # every worker has answered, likely
                        return self
                    continue
            except OSError:
                if self.proc.poll() is not None:
                    raise RuntimeError("the server exited at start") from None
            time.sleep(0.1)
        self.kill()
        raise RuntimeError("the server did not start")

    def kill(self) -> None:
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill()

    def __enter__(self) -> str:
        self.start()
        return self.url

    def __exit__(self, *exc) -> None:
        self.stop()
