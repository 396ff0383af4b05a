"""A bounded load client for the sample-registration API (loopback only).

Run as its own process:
`python -m bench.load_client CONFIG STATION_INDEX MODE SECONDS MAX_REQUESTS OUT [FIRST_TUBE [START]]`.
MODE is the batch size (20: one full pooled tube per request; 1: single samples); FIRST_TUBE
skips the station's tubes an earlier run filled. Every batch keeps its idempotency keys
across retries, so a server crash mid-request is answered by resending the same keys until
the server acknowledges them.

With START (a file path), the client builds its first batches, writes START.ready-N and
waits until START exists: every client then starts at the same moment, and none is still
building batches on the cores the others are being measured on.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import os
import socket
import sys
import time
import uuid
from pathlib import Path


class Closed(OSError):
    """The server ended the connection, or answered with something that is not HTTP."""


class Connection:
    """HTTP/1.1 with keep-alive over one socket, for prebuilt requests.

    http.client parses every response's headers with the email package: with four clients
    on the two cores the server also uses, that was a tenth of the machine's CPU during the
    load. Tablets run elsewhere; here the load generator should take as little as it can.
    """

    def __init__(self, host: str, port: int, timeout: float):
        self.address, self.timeout = (host, port), timeout
        self.sock: socket.socket | None = None
        self.buffer = b""

    def close(self) -> None:
        if self.sock is not None:
            self.sock.close()
        self.sock, self.buffer = None, b""

    def _recv(self) -> bytes:
        chunk = self.sock.recv(65536)
        if not chunk:
            raise Closed("connection closed by the server")
        return chunk

    def exchange(self, request: bytes) -> tuple[int, bytes]:
        """Send one request, return (status, body)."""
        if self.sock is None:
            self.sock = socket.create_connection(self.address, timeout=self.timeout)
            self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.sock.sendall(request)
        while b"\r\n\r\n" not in self.buffer:
            self.buffer += self._recv()
        head, self.buffer = self.buffer.split(b"\r\n\r\n", 1)
        lines = head.split(b"\r\n")
        parts = lines[0].split(b" ", 2)
        if len(parts) < 2 or not parts[0].startswith(b"HTTP/1.") or not parts[1].isdigit():
            raise Closed(f"not an HTTP response: {lines[0][:60]!r}")
        headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(b":")
            headers[name.strip().lower()] = value.strip().lower()
        if headers.get(b"transfer-encoding") == b"chunked":
            body = self._chunked()
        else:
            length = int(headers.get(b"content-length", b"0"))
            while len(self.buffer) < length:
                self.buffer += self._recv()
            body, self.buffer = self.buffer[:length], self.buffer[length:]
        if headers.get(b"connection") == b"close":
            self.close()
        return int(parts[1]), body

    def _chunked(self) -> bytes:
        body = b""
        while True:
            while b"\r\n" not in self.buffer:
                self.buffer += self._recv()
            size_line, self.buffer = self.buffer.split(b"\r\n", 1)
            size = int(size_line.split(b";")[0], 16)
            while len(self.buffer) < size + 2:
                self.buffer += self._recv()
            body += self.buffer[:size]
            self.buffer = self.buffer[size + 2 :]
            if size == 0:
                return body


def main() -> None:
    config_path, station_index, mode, seconds, max_requests, out = sys.argv[1:7]
    first_tube = int(sys.argv[7]) if len(sys.argv) > 7 else 0
    start = sys.argv[8] if len(sys.argv) > 8 else None
    with open(config_path, encoding="utf-8") as fh:
        cfg = json.loads(fh.read())
    station = cfg["stations"][int(station_index)]
    batch_size, limit = int(mode), int(max_requests)
    docs = cfg["documents"]
    host, port = cfg["host"], cfg["port"]
    head = (
        "POST /api/v1/testing/samples HTTP/1.1\r\n"
        f"Host: {host}:{port}\r\n"
        f"Authorization: Bearer {station['token']}\r\n"
        "Content-Type: application/json\r\n"
    ).encode()
    latencies, acked_keys, errors, retries, unavailable = [], [], 0, 0, 0
    first_sent = last_done = None  # wall clock: the load window, across client processes
    requests = accepted = 0

    def batches():
        """Request bodies, each batch with its own keys (kept across retries)."""
        doc_i = int(station_index) * 7919
        tz = dt.timezone(dt.timedelta(hours=8))
        # Each mode uses its own end of the tube list, so runs in a row never meet a sealed tube.
        tubes = station["tubes"][first_tube:]
        for tube in tubes if batch_size > 1 else reversed(tubes):
            for _ in range(cfg["capacity"] // batch_size):
                items = []
                for _ in range(batch_size):
                    items.append(
                        {
                            "idempotency_key": uuid.uuid4().hex,
                            "tube_barcode": tube,
                            "taken_at": dt.datetime.now(tz).isoformat(),
                            "document_number": docs[doc_i % len(docs)],
                        }
                    )
                    doc_i += 1
                body = json.dumps({"station": station["id"], "items": items}).encode()
                yield head + b"Content-Length: %d\r\n\r\n" % len(body) + body

    # Like a tablet's queue, the first few thousand batches are ready before the load starts:
    # the client's own work then takes less of the two cores the server also runs on.
    pending = batches()
    ready = list(itertools.islice(pending, 4000))
    if start:
        Path(f"{start}.ready-{station_index}").touch()
        while not os.path.exists(start):
            time.sleep(0.002)
    conn = Connection(host, port, timeout=30)
    deadline = time.monotonic() + float(seconds)
    for request in itertools.chain(ready, pending):
        if requests >= limit or time.monotonic() >= deadline:
            break
        while True:  # resend the same keys until acknowledged
            t = time.perf_counter()
            if first_sent is None:
                first_sent = time.time()
            try:
                status, data = conn.exchange(request)
            except (OSError, ValueError):  # Closed, refused, reset, timed out, garbled
                conn.close()
                retries += 1
                time.sleep(0.2)
                if time.monotonic() > deadline + 60:
                    break
                continue
            if status >= 500:
                retries += 1
                unavailable += status == 503  # the database is away: the server said so
                time.sleep(0.2)
                continue
            latencies.append((time.perf_counter() - t) * 1000)
            last_done = time.time()
            break
        requests += 1
        if status == 200:
            result = json.loads(data)
            ok = [i["idempotency_key"] for i in result["items"] if i["status"] == "accepted"]
            accepted += len(ok)
            acked_keys.extend(ok)
        else:
            errors += 1
    with open(out, "w", encoding="utf-8") as fh:
        json.dump(
            {
                "latencies_ms": latencies,
                "accepted": accepted,
                "requests": requests,
                "errors": errors,
                "retries": retries,
                "unavailable": unavailable,
                "acked_keys": acked_keys,
                "first_sent": first_sent,
                "last_done": last_done,
            },
            fh,
        )


if __name__ == "__main__":
    main()
