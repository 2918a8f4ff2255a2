"""``python -m shop_extensions.payouts.standin --port 12111``: the Stripe stand-in on its own (``make demo``)."""

from __future__ import annotations

import argparse
import json

from shop_extensions.payouts.standin.server import StandinServer, State


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=12111)
    parser.add_argument("--rate", type=float, default=25.0, help="requests per second before 429")
    parser.add_argument("--seed", type=int, default=0, help="seed of the injected faults")
    parser.add_argument("--webhooks", default="", help='JSON: {"platform": {"url": .., "secret": ..}, ...}')
    args = parser.parse_args()
    state = State(rate=args.rate, seed=args.seed)
    server = StandinServer((args.host, args.port), state)
    for endpoint, target in (json.loads(args.webhooks) if args.webhooks else {}).items():
        state.webhooks[endpoint] = (target["url"], target["secret"])
    print(f"Stripe stand-in on {state.public_url}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
