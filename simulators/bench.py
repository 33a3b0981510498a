"""Measure generation speed (meter-steps/s) and, given a broker, backfill throughput (readings/s).

    python -m simulators.bench --sites 5000 --meter-scale 3.5 --steps 8
    python -m simulators.bench --sites 200 --days 7 --host 127.0.0.1 --port 1883

A measurement, not a test: figures depend on the machine and what else runs on it.
"""

from __future__ import annotations

import argparse
import time
import uuid

from core.settings import MqttSettings
from core.timebase import DAY
from simulators.encoding import StepEncoder
from simulators.generator import generate
from simulators.portfolio import build_portfolio
from simulators.publisher import run_simulation

#: Local midnight of Monday 1 June 2026 in Shanghai: an ordinary working week.
_START = 1780243200


def generation_speed(sites: int, meter_scale: float, steps: int, seed: int = 1) -> dict[str, float]:
    """Meter-steps per second for columns, columns + JSON encoding, and Reading objects."""
    began = time.perf_counter()
    portfolio = build_portfolio(sites, seed, meter_scale=meter_scale)
    build_s = time.perf_counter() - began
    gen = generate(portfolio, _START, _START + DAY, seed=seed)
    n = len(gen.meters)
    gen.next_step()  # warm caches (sun times, weather) as a long run would have them
    timings = {}
    for name, work in (
        ("columns", lambda: gen.next_step()),
        ("columns+batch JSON", lambda e=StepEncoder(gen, True, "bench"): e.encode(gen.next_step())),  # noqa: B008 - one encoder, built here
        ("Reading objects", lambda: next(gen)),
    ):
        t = time.perf_counter()
        for _ in range(steps):
            work()
        timings[name] = n * steps / (time.perf_counter() - t)
    return {"meters": n, "build_s": build_s, **timings}


def backfill(host: str, port: int, sites: int, days: float, meter_scale: float, batch: bool) -> dict[str, float]:
    """Publish ``days`` for ``sites`` at QoS 1 as fast as the broker acknowledges."""
    settings = MqttSettings(host=host, port=port, topic_prefix=f"bench/{uuid.uuid4().hex[:8]}")
    portfolio = build_portfolio(sites, 1, meter_scale=meter_scale)
    result = run_simulation(settings, portfolio, _START, days, waste=[], seed=1, batch=batch, progress=False)
    return {
        "readings": result.readings_published,
        "messages": result.messages_published,
        "seconds": result.elapsed_s,
        "readings_per_s": result.readings_published / result.elapsed_s,
        "messages_per_s": result.messages_published / result.elapsed_s,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sites", type=int, default=5000)
    parser.add_argument("--meter-scale", type=float, default=3.5)
    parser.add_argument("--steps", type=int, default=8, help="steps timed for generation speed")
    parser.add_argument("--host", help="broker host; with --port, also measure a backfill")
    parser.add_argument("--port", type=int, default=1883)
    parser.add_argument("--days", type=float, default=1.0, help="days published by the backfill")
    parser.add_argument("--per-meter", action="store_true", help="backfill with one message per reading")
    args = parser.parse_args()
    if args.host:
        r = backfill(args.host, args.port, args.sites, args.days, args.meter_scale, not args.per_meter)
        print(
            f"backfill: {r['readings']:,} readings in {r['messages']:,} messages, {r['seconds']:.1f} s: "
            f"{r['readings_per_s']:,.0f} readings/s, {r['messages_per_s']:,.0f} messages/s"
        )
        return
    g = generation_speed(args.sites, args.meter_scale, args.steps)
    print(f"{args.sites} sites, {g['meters']:,} meters, built in {g['build_s']:.1f} s")
    for name in ("columns", "columns+batch JSON", "Reading objects"):
        print(f"  {name:20s} {g[name]:>12,.0f} meter-steps/s  ({1e6 / g[name]:.2f} us per meter-step)")


if __name__ == "__main__":
    main()
