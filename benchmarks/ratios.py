"""`make bench`: our hot endpoints as a share of the bare references, on SQLite and PostgreSQL.

Each benchmark loads three targets in alternating rounds on the same database: our endpoint, the
bare reference that does the one read ours must do ("+ read", benchmarks/bare_read.py), and the
bare reference without it. It prints each target's mean rate and rounds, then our share of each
reference's rate (ratio of the means over all rounds) against the target share for "+ read".
Exit status 1 when any response was an error.
"""

import argparse
import os
from collections.abc import Callable
from dataclasses import dataclass

import harness


@dataclass(frozen=True)
class Benchmark:
    """Our endpoint and its two references; `targets(stack)` gives their Targets in that order."""

    name: str
    target: float  # the share of the "+ read" reference's rate ours should reach
    targets: Callable[["harness.Stack"], list["harness.Target"]]


@dataclass(frozen=True)
class Outcome:
    database: str
    benchmark: Benchmark
    results: dict[str, list[harness.Measurement]]

    def rates(self) -> list[float]:
        """Mean rates of ours, the "+ read" reference and the bare one."""
        return [harness.mean_rate(rounds) for rounds in self.results.values()]

    def shares(self) -> tuple[float, float]:
        ours, read, bare = self.rates()
        return ours / read, ours / bare


def run(benchmarks, kinds, args, placement) -> list[Outcome]:
    outcomes = []
    with harness.workdir("ratios") as tmp:
        for kind in kinds:
            subdir = tmp / kind
            subdir.mkdir()
            os.chmod(subdir, 0o711)
            with harness.stack(kind, subdir, placement, args.database_uri) as stack:
                label = harness.database_label(stack.uri)
                for benchmark in benchmarks:
                    targets = benchmark.targets(stack)
                    harness.warm_up(targets, placement)
                    results = harness.alternate(
                        targets, args.rounds, args.seconds, args.connections, placement
                    )
                    outcome = Outcome(label, benchmark, results)
                    print_outcome(outcome)
                    outcomes.append(outcome)
    return outcomes


def print_outcome(outcome: Outcome) -> None:
    print(f"{outcome.database}: {outcome.benchmark.name}")
    for name, rounds in outcome.results.items():
        per_round = ", ".join(f"{m.rate:.0f}" for m in rounds)
        errors = sum(m.errors for m in rounds)
        rate = harness.mean_rate(rounds)
        print(f"  {name:<24} {rate:8.1f} req/s  (rounds: {per_round})  errors: {errors}")
    names = list(outcome.results)
    to_read, to_bare = outcome.shares()
    verdict = "meets" if to_read >= outcome.benchmark.target else "BELOW"
    print(
        f"  {names[0]} / {names[1]}: {to_read:.1%} ({verdict} the "
        f"{outcome.benchmark.target:.0%} target); / {names[2]}: {to_bare:.1%}",
        flush=True,
    )


def print_summary(outcomes: list[Outcome], placement: harness.Placement) -> None:
    print(f"\nSummary ({placement.describe()}):")
    print(f"  {'database':<11} {'endpoint':<20} {'vs + read':>10} {'target':>7} {'vs bare':>8}")
    for outcome in outcomes:
        to_read, to_bare = outcome.shares()
        print(
            f"  {outcome.database:<11} {outcome.benchmark.name:<20} {to_read:>10.1%}"
            f" {outcome.benchmark.target:>7.0%} {to_bare:>8.1%}"
        )


def parse(doc: str, seconds: float, rounds: int):
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument(
        "--database",
        action="append",
        choices=["sqlite", "postgresql"],
        help="repeatable; default: both (PostgreSQL: a server the harness starts itself)",
    )
    parser.add_argument("--database-uri", help="an existing database to use instead (lent)")
    parser.add_argument(
        "--seconds",
        type=float,
        default=harness.env_float("BENCH_SECONDS", seconds),
        help=f"length of each round (BENCH_SECONDS, default {seconds:g})",
    )
    parser.add_argument(
        "--rounds",
        type=int,
        default=int(harness.env_float("BENCH_ROUNDS", rounds)),
        help=f"alternating rounds per target (BENCH_ROUNDS, default {rounds})",
    )
    parser.add_argument("--connections", type=int, default=4, help="wrk connections (4)")
    parser.add_argument(
        "--pin",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="pin app / wrk+database to CPU 0 / 1 (default: BENCH_PIN, else pinned)",
    )
    return parser.parse_args()


def main(doc: str, benchmarks: list[Benchmark], seconds: float = 5, rounds: int = 5) -> int:
    args = parse(doc, seconds, rounds)
    placement = harness.Placement.from_env(args.pin)
    if args.database_uri:
        kinds = ["external"]
    else:
        kinds = args.database or ["sqlite", "postgresql"]
    print(
        f"gunicorn -w {harness.WORKERS} on every side; wrk 1 thread, {args.connections} "
        f"connections; {args.rounds} alternating rounds x {args.seconds:g} s; "
        f"{placement.describe()}",
        flush=True,
    )
    outcomes = run(benchmarks, kinds, args, placement)
    print_summary(outcomes, placement)
    return 1 if any(harness.errors(outcome.results) for outcome in outcomes) else 0
