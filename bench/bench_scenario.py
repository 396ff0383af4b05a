"""The 13 June replay's system share: the seconds of system work from the presumptive positive
accepted to the members listed, retest orders, households told, zone designated, notice
drafted and door-knocking tasks created.

Measured on the same fresh database through the real stack (`fangkong serve
--production` on loopback, station clients posting samples and the lab posting results over
HTTP; the replay run twice, the second measured), then in process, in one transaction (the
baseline). The ratio is the real stack's cost.
"""

from __future__ import annotations

import os
import secrets


def bench_june13(*, residents: int, scale: float) -> dict:
    from fangkong.accounts.models import Role
    from fangkong.accounts.services import create_user
    from fangkong.demo.seed import seed_demo
    from fangkong.geo.models import District
    from fangkong.ops.local_server import LocalServer
    from fangkong.scenarios.june13_stack import run_june13_stack, run_june13_timed

    seed_demo(residents=residents, seed=613, progress=False)
    # Production refuses the demo accounts and their public passwords: a commander of its own.
    user = create_user(
        username="bench-commander",
        password=secrets.token_urlsafe(24),
        role=Role.DISTRICT_COMMANDER,
        scope_code=District.objects.get().code,
        display_name="指挥长",
    )
    server = LocalServer(production=True, log=os.environ.get("FANGKONG_BENCH_SERVER_LOG"))
    with server as url:
        # The first alarm after a start pays for loading code and catalogues, in the server
        # and here; the figure is the second day's, as a server that has been up a while.
        first = run_june13_stack(user=user, base_url=url, scale=scale)
        replay = run_june13_stack(user=user, base_url=url, scale=scale)
    baseline = run_june13_timed(user=user, scale=scale)
    return {
        "residents": residents,
        "scale": scale,
        "in_process": baseline,
        "stack": replay.system_share,
        "stack_first": first.system_share,
        "figures": replay.figures(),
        "replay_s": replay.seconds,
    }
