"""A throwaway PostgreSQL cluster on loopback, started from Debian's binaries.

Used by the test suite and the benchmarks. PostgreSQL refuses to run as root, so when we
are root (CI is) the cluster runs as the `postgres` system user that Debian's package
creates. Nothing is left behind: the data directory lives in a temporary folder.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path


class PostgresUnavailable(RuntimeError):
    pass


def find_bindir() -> Path | None:
    explicit = os.environ.get("FANGKONG_PG_BINDIR")
    candidates = [explicit] if explicit else []
    candidates += sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True)
    pg_ctl = shutil.which("pg_ctl")
    if pg_ctl:
        candidates.append(str(Path(pg_ctl).resolve().parent))
    for c in candidates:
        if c and (Path(c) / "initdb").exists() and (Path(c) / "pg_ctl").exists():
            return Path(c)
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Cluster:
    bindir: Path
    root: Path
    port: int
    run_as: str | None

    @property
    def datadir(self) -> Path:
        return self.root / "data"

    def url(self, dbname: str = "fangkong") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{dbname}"

    def _run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        cmd = [str(self.bindir / args[0]), *args[1:]]
        if self.run_as:
            cmd = ["runuser", "-u", self.run_as, "--", *cmd]
        return subprocess.run(cmd, check=check, capture_output=True, text=True)

    def start(self, settings: dict[str, str] | None = None) -> Cluster:
        self.root.mkdir(parents=True, exist_ok=True)
        if self.run_as:
            pw = pwd.getpwnam(self.run_as)
            os.chown(self.root, pw.pw_uid, pw.pw_gid)
        self._run(
            "initdb",
            "-D",
            str(self.datadir),
            "-U",
            "postgres",
            "-A",
            "trust",
            "-E",
            "UTF8",
            "--no-sync",
            "--locale=C",
        )
        options = {
            "listen_addresses": "127.0.0.1",
            "port": str(self.port),
            "unix_socket_directories": str(self.root),
            "max_connections": "200",
            **(settings or {}),
        }
        self.options = " ".join(f"-c {k}={v}" for k, v in options.items())
        self._start_server()
        self._run("createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "fangkong")
        return self

    def _start_server(self) -> None:
        self._run(
            "pg_ctl",
            "-D",
            str(self.datadir),
            "-o",
            self.options,
            "-l",
            str(self.root / "log"),
            "-w",
            "-t",
            "60",
            "start",
        )
        deadline = time.monotonic() + 30
        while self._run(
            "pg_isready", "-h", "127.0.0.1", "-p", str(self.port), check=False
        ).returncode:
            if time.monotonic() > deadline:
                raise PostgresUnavailable((self.root / "log").read_text())
            time.sleep(0.2)

    def kill(self) -> None:
        """kill -9 the postmaster, as a crash would; its backends notice and exit.

        Backends busy in a query only notice at their next check: any still alive after a
        few seconds are killed too, since the server cannot start while they hold its memory.
        """
        import psutil

        pid = int((self.datadir / "postmaster.pid").read_text().split()[0])
        backends = psutil.Process(pid).children(recursive=True)
        os.kill(pid, signal.SIGKILL)
        _, alive = psutil.wait_procs(backends, timeout=10)
        for p in alive:
            with contextlib.suppress(psutil.NoSuchProcess):
                p.kill()
        psutil.wait_procs(alive, timeout=10)

    def restart(self) -> None:
        """Start the server again on the same data directory (crash recovery runs first)."""
        self._start_server()

    def stop(self) -> None:
        self._run("pg_ctl", "-D", str(self.datadir), "-m", "immediate", "-w", "stop", check=False)
        shutil.rmtree(self.root, ignore_errors=True)


def start_cluster(*, fast: bool = True) -> Cluster:
    """Start a new cluster; `fast` turns off fsync (tests only: durability is not measured)."""
    bindir = find_bindir()
    if bindir is None:
        raise PostgresUnavailable("no PostgreSQL server binaries (initdb, pg_ctl) were found")
    run_as = None
    if os.geteuid() == 0:
        try:
            pwd.getpwnam("postgres")
        except KeyError as exc:
            raise PostgresUnavailable("running as root and there is no 'postgres' user") from exc
        run_as = "postgres"
    root = Path(tempfile.mkdtemp(prefix="fangkong-pg-"))
    settings = (
        {"fsync": "off", "synchronous_commit": "off", "full_page_writes": "off"} if fast else {}
    )
    return Cluster(bindir, root, _free_port(), run_as).start(settings)
