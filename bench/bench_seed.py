"""Demo generation: residents per second and peak memory of `seed_demo` on the current database.

Peak memory is sampled from a thread while seeding (psutil), so it is the peak of this run,
not of whatever the process did before; `ru_maxrss` is reported beside it as a cross-check.
"""

from __future__ import annotations

import resource
import threading
import time


def _sample_rss(stop: threading.Event, peak: list[int], interval: float = 0.05) -> None:
    import psutil

    process = psutil.Process()
    while not stop.is_set():
        peak[0] = max(peak[0], process.memory_info().rss)
        stop.wait(interval)


def bench_generation(n: int, seed: int = 613) -> dict:
    """Seed `n` residents (replacing any demo district) and measure speed and memory."""
    from fangkong.demo.seed import seed_demo

    stop, peak = threading.Event(), [0]
    sampler = threading.Thread(target=_sample_rss, args=(stop, peak), daemon=True)
    sampler.start()
    started = time.perf_counter()
    try:
        result = seed_demo(residents=n, seed=seed, progress=False, replace=True)
    finally:
        seconds = time.perf_counter() - started
        stop.set()
        sampler.join()
    return {
        "residents": result.residents,
        "residents_per_s": result.residents / seconds if seconds else 0.0,
        "peak_rss_mb": peak[0] / 2**20,
        "max_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,  # KiB on Linux
        "seconds": seconds,
    }
