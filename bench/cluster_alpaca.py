"""alpaca-py's TradingStream through the load balancer while the host it is on dies.

    .venv/bin/python bench/cluster_alpaca.py      # as root; starts and removes its own cluster

Starts `bench/cluster.py`'s cluster, seeds a trader, and runs the official SDK's `TradingStream`
(`url_override` to the load balancer's `/stream`) with `TradingClient` placing orders through the
balancer. It kills every process of the app host the stream's websocket is on (the one whose
daphne holds it: found by its established connections), places orders again, and prints which
`new` updates arrived: Alpaca's protocol has no replay, so updates sent while the stream was away
are read back with `get_orders` (the bot's way), and the script says which came live and which
from REST.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from cluster import APP_PORT, PYTHON, ROOT, Cluster, missing_requirements, run


def _stream_host(cluster: Cluster) -> str | None:
    """The app host with an established connection from lb on the app port (the websocket,
    the only long-lived one once the HTTP client is idle)."""
    for app in cluster.apps:
        out = run(*cluster.in_ns(app, "ss", "-Htn", "state", "established",
                                 f"( sport = :{APP_PORT} )"), check=False).stdout  # fmt: skip
        if cluster.addr("lb") in out:
            return app
    return None


def main() -> int:
    why = missing_requirements()
    if why:
        sys.exit(why)
    from alpaca.trading.client import TradingClient
    from alpaca.trading.enums import OrderSide, QueryOrderStatus, TimeInForce
    from alpaca.trading.requests import GetOrdersRequest, LimitOrderRequest
    from alpaca.trading.stream import TradingStream

    cluster = Cluster(env={"API_RATE_LIMIT": "off"})
    try:
        cluster.up()
        seed = subprocess.run(
            [PYTHON, str(ROOT / "bench" / "api_orders.py"), "--seed-only", "1", "--symbols", "1"],
            cwd=ROOT, env=cluster.app_env(), capture_output=True, text=True, check=True,
        )  # fmt: skip
        key, secret = json.loads(seed.stdout.splitlines()[-1])[0]
        seen: list[str] = []

        async def on_update(update) -> None:
            seen.append(str(update.order.client_order_id))

        stream = TradingStream(
            key, secret, paper=True, url_override=f"ws://{cluster.addr('lb')}/stream"
        )
        stream.subscribe_trade_updates(on_update)
        threading.Thread(target=stream.run, daemon=True).start()
        trading = TradingClient(key, secret, paper=True, url_override=f"{cluster.url}/api")

        def place(coid: str) -> None:
            for _ in range(20):
                try:
                    trading.submit_order(LimitOrderRequest(
                        symbol="BNCAA", qty=1, side=OrderSide.BUY, limit_price=99.5,
                        time_in_force=TimeInForce.GTC, client_order_id=coid))  # fmt: skip
                    return
                except Exception as exc:  # a 503 while the host goes: resend, same id
                    if "duplicate" in str(exc):
                        return
                    time.sleep(0.5)

        time.sleep(3)
        place("before-1")
        time.sleep(2)
        host = _stream_host(cluster)
        print(f"stream on {host}; before the kill the stream saw {seen}")
        cluster.kill_host(host or "app1")
        killed_at = time.monotonic()
        for n in range(1, 6):
            place(f"after-{n}")
            time.sleep(1)
        time.sleep(5)
        after = [c for c in seen if c.startswith("after-")]
        listed = {
            str(o.client_order_id)
            for o in trading.get_orders(GetOrdersRequest(status=QueryOrderStatus.ALL, limit=50))
        }
        print(f"after the kill ({time.monotonic() - killed_at:.0f} s): live on the stream "
              f"{after}; from get_orders {sorted(c for c in listed if c.startswith('after-'))}")  # fmt: skip
        print(f"stream now on {_stream_host(cluster)}")
        stream.stop()
        return 0 if len(after) >= 1 else 1
    finally:
        cluster.down()


if __name__ == "__main__":
    sys.exit(main())
