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
import http.client
import itertools
import json
import os
import sys
import time
import uuid
from pathlib import Path


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
    headers = {"Authorization": f"Bearer {station['token']}", "Content-Type": "application/json"}
    latencies, acked_keys, errors, retries = [], [], 0, 0
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
                yield json.dumps({"station": station["id"], "items": items})

    # Like a tablet's queue, the first few thousand batches are ready before the load starts:
    # the client's own work then takes less of the two cores the server also runs on.
    pending = batches()
    ready = list(itertools.islice(pending, 4000))
    if start:
        Path(f"{start}.ready-{station_index}").touch()
        while not os.path.exists(start):
            time.sleep(0.002)
    conn = http.client.HTTPConnection(host, port, timeout=30)
    deadline = time.monotonic() + float(seconds)
    for body in itertools.chain(ready, pending):
        if requests >= limit or time.monotonic() >= deadline:
            break
        while True:  # resend the same keys until acknowledged
            t = time.perf_counter()
            if first_sent is None:
                first_sent = time.time()
            try:
                conn.request("POST", "/api/v1/testing/samples", body=body, headers=headers)
                response = conn.getresponse()
                data = response.read()
                status = response.status
                if response.will_close:  # the server ends the connection: reconnect quietly
                    conn.close()
            except (TimeoutError, OSError, http.client.HTTPException):
                conn.close()
                conn = http.client.HTTPConnection(host, port, timeout=30)
                retries += 1
                time.sleep(0.2)
                if time.monotonic() > deadline + 60:
                    break
                continue
            if status >= 500:
                retries += 1
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
                "acked_keys": acked_keys,
                "first_sent": first_sent,
                "last_done": last_done,
            },
            fh,
        )


if __name__ == "__main__":
    main()
