"""``python -m tasklane_stack demo|run|stop|bench|bench-storm|chaos``."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="tasklane_stack")
    sub = parser.add_subparsers(dest="command", required=True)
    demo = sub.add_parser("demo", help="chat with the assistant (embedded mode)")
    demo.add_argument("--data-dir", type=Path, default=Path(".tasklane/demo"))
    sub.add_parser("run", help="start the services and the simulator as processes")
    sub.add_parser("stop", help="stop what `run` started")
    bench = sub.add_parser("bench", help="benchmark a running stack")
    bench.add_argument("--messages", type=int, default=2000)
    bench.add_argument("--concurrency", type=int, default=32)
    bench.add_argument("--rate", type=float, default=None, help="offered load in messages/s (open loop)")
    bench.add_argument("--output", type=Path, default=Path("docs/performance.md"))
    bench.add_argument(
        "--sender-limits",
        default="80,1000",
        help="throughput limits (msg/s) to measure the sender at, comma-separated; empty to skip",
    )
    bench.add_argument("--sender-messages", type=int, default=2000)
    bench.add_argument(
        "--agent-users", type=int, default=20, help="simulated users of the offline-engine part; 0 skips it"
    )
    bench.add_argument(
        "--agent-only", action="store_true", help="only the offline-engine part (needs no running stack)"
    )
    storm = sub.add_parser("bench-storm", help="sender recovery after a Graph API storm (running stack)")
    storm.add_argument("--messages", type=int, default=1000)
    storm.add_argument("--storm-s", type=float, default=30.0)
    storm.add_argument("--output", type=Path, default=None, help="append the row to this markdown file")
    analytics = sub.add_parser("bench-analytics", help="the analytics store at size (its own database)")
    analytics.add_argument("--events", type=int, default=10_000_000)
    analytics.add_argument("--rounds", type=int, default=30, help="timed rounds of the series queries")
    analytics.add_argument("--turns", type=int, default=6000, help="conversation turns through the consumer")
    analytics.add_argument("--output", type=Path, default=Path("docs/performance.md"))
    analytics.add_argument("--no-output", action="store_true", help="print the figures, append no row")
    analytics.add_argument("--reuse", action="store_true", help="keep the database an earlier run seeded")
    chaos = sub.add_parser("chaos", help="faults (or a soak) against a running stack")
    chaos.add_argument("--messages", type=int, default=1000, help="messages per fault")
    chaos.add_argument("--faults", default="", help="comma-separated fault names; empty: all")
    chaos.add_argument("--rate", type=float, default=None, help="offered msg/s (20 a fault, 8 a soak)")
    chaos.add_argument("--down", type=float, default=3.0, help="seconds a service or server is down")
    chaos.add_argument("--storm", type=float, default=30.0, help="seconds a Graph API storm lasts")
    chaos.add_argument("--soak", type=float, default=None, help="soak for this many seconds instead")
    chaos.add_argument("--idle", type=float, default=None, help="idle seconds sampled after a soak")
    chaos.add_argument("--output", type=Path, default=Path("docs/reliability.md"))
    args = parser.parse_args(argv)

    if args.command == "demo":
        from tasklane_stack.demo import run_demo

        return asyncio.run(run_demo(args.data_dir))
    if args.command == "run":
        from tasklane_stack.processes import start_all

        return start_all()
    if args.command == "stop":
        from tasklane_stack.processes import stop_all

        return stop_all()
    if args.command == "bench-analytics":
        from tasklane_stack.bench_analytics import run_analytics_bench

        return asyncio.run(
            run_analytics_bench(
                args.events,
                args.rounds,
                args.turns,
                None if args.no_output else args.output,
                reuse=args.reuse,
            )
        )
    if args.command == "bench-storm":
        from tasklane_stack.bench_storm import run_storm_bench

        return asyncio.run(run_storm_bench(args.messages, args.storm_s, args.output))
    if args.command == "chaos":
        return _chaos(args)
    from tasklane_stack.bench import run_bench
    from tasklane_stack.bench_agent import run_agent_bench
    from tasklane_stack.bench_sender import run_sender_bench

    code = asyncio.run(run_agent_bench(args.agent_users, args.output)) if args.agent_users else 0
    if args.agent_only:
        return code
    code = max(code, asyncio.run(run_bench(args.messages, args.concurrency, args.output, args.rate)))
    limits = [int(x) for x in args.sender_limits.split(",") if x.strip()]
    if limits:
        code = max(code, asyncio.run(run_sender_bench(args.sender_messages, limits, args.output)))
    return code


def _chaos(args: argparse.Namespace) -> int:
    if args.soak is not None:
        from tasklane_stack.chaos.soak import SoakOptions, run_soak

        idle = args.idle if args.idle is not None else min(300.0, max(60.0, args.soak / 3))
        options = SoakOptions(seconds=args.soak, rate=args.rate or 8.0, idle_s=idle)
        return asyncio.run(run_soak(options, args.output))
    from tasklane_stack.chaos.faults import select
    from tasklane_stack.chaos.runner import Options
    from tasklane_stack.chaos.suite import run_suite

    try:
        faults = select(args.faults)
    except ValueError as exc:
        print(exc)
        return 1
    chaos_options = Options(
        messages=args.messages, rate=args.rate or 20.0, down_s=args.down, storm_s=args.storm
    )
    return asyncio.run(run_suite(chaos_options, faults, args.output))


if __name__ == "__main__":
    sys.exit(main())
