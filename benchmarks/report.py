"""`make bench-report`: every HTTP benchmark at 1, 4, 16 and 64 connections, written up.

    python benchmarks/report.py [--seconds S] [--database sqlite|postgresql] [--no-pin]
                                [--output docs/benchmarks.md]

On SQLite, then on a PostgreSQL server of its own (benchmarks/harness.py: pinned unless
BENCH_PIN=0 or --no-pin), it serves our app and the bare Flask references under gunicorn -w 2
and loads each endpoint with wrk (--latency) at each connection count, one round each, the
targets alternating: the token endpoint beside bare "sign + read" and bare sign, the API call
beside bare "hello + read" and bare hello, the JWKS beside a bare JWKS, and the OAuth
Applications grid with 10,000 applications (htmx fragment, logged in through the real form).
It then writes docs/benchmarks.md (requests per second, p50, p99, memory per worker, the
machine, the ratios, the targets) and one chart per endpoint under docs/benchmarks/.
BENCH_SECONDS sets each round's length (default 6 s: about 10 minutes in all; 2 s for a smoke
run); BENCH_NOTE adds a line about the conditions to the report.
"""

import argparse
import json
import math
import os
import platform
import re
import sqlite3
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path

import harness
import requests
from api_bench import targets as api_targets
from token_bench import targets as token_targets

CONNECTIONS = [1, 4, 16, 64]
GRID_APPS = 10_000
P99_TARGET_MS = 100  # at 16 connections, token endpoint and API
RSS_TARGET_MB = 150  # per worker, after the load
DOC = harness.ROOT / "docs" / "benchmarks.md"

# (endpoint, our target's label, the references' labels in the order the ratios use them)
ENDPOINTS = {
    "token": ("POST /oauth2-token", ["bare sign + read", "bare RS256 sign"]),
    "api": ("GET /admin/api/me", ["bare hello + read", "bare hello"]),
    "jwks": ("GET /.well-known/jwks.json", ["bare JWKS"]),
    "grid": ("GET grid (10,000 apps)", []),
}


@dataclass(frozen=True)
class Row:
    database: str
    endpoint: str
    target: str
    connections: int
    rate: float
    p50_ms: float
    p99_ms: float
    errors: int


# --- Running -------------------------------------------------------------------------------


def seed_grid() -> None:
    """The grid benchmark's user and its 10,000 applications (benchmarks/grid_bench.py)."""
    import grid_bench

    grid_bench.seed(GRID_APPS)


def grid_session(stack: harness.Stack) -> str:
    """A logged-in session's Cookie header, through the real login form."""
    import grid_bench

    session = requests.Session()
    login_url = stack.url(stack.ours, "/admin/login")
    page = session.get(login_url, timeout=30).text
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    form = {"email": grid_bench.EMAIL, "password": grid_bench.PASSWORD, "csrf_token": token}
    answer = session.post(login_url, data=form, allow_redirects=False, timeout=30)
    if answer.status_code != 302:
        sys.exit(f"grid login failed: {answer.status_code}")
    cookie = "; ".join(f"{c.name}={c.value}" for c in session.cookies)
    check = requests.get(
        stack.url(stack.ours, "/admin/profile/applications"),
        headers={"Cookie": cookie, "HX-Request": "true"},
        timeout=60,
    )
    if check.status_code != 200 or 'id="apps-grid"' not in check.text:
        sys.exit(f"grid page not served: {check.status_code}")
    return cookie


def endpoint_targets(stack: harness.Stack) -> dict[str, list[harness.Target]]:
    jwks = harness.wrk_script(stack.workdir / "jwks.lua", "GET", {})
    grid = harness.wrk_script(
        stack.workdir / "grid.lua", "GET", {"Cookie": grid_session(stack), "HX-Request": "true"}
    )
    ours_grid = ENDPOINTS["grid"][0]
    return {
        "token": token_targets(stack),
        "api": api_targets(stack),
        "jwks": [
            harness.Target(
                ENDPOINTS["jwks"][0], stack.url(stack.ours, "/.well-known/jwks.json"), jwks
            ),
            harness.Target("bare JWKS", stack.url(stack.bare_jwt, "/jwks"), jwks),
        ],
        "grid": [
            harness.Target(ours_grid, stack.url(stack.ours, "/admin/profile/applications"), grid)
        ],
    }


def run_database(kind: str, tmp: Path, args, placement) -> tuple[list[Row], dict]:
    """Every endpoint at every connection count on one database; rows and RSS per server."""
    rows = []
    with harness.stack(kind, tmp, placement, seed=seed_grid) as stack:
        label = harness.database_label(stack.uri)
        groups = endpoint_targets(stack)
        harness.warm_up([t for targets in groups.values() for t in targets], placement)
        for connections in CONNECTIONS:
            for endpoint, targets in groups.items():
                for target in targets:
                    m = harness.run_wrk(target, args.seconds, connections, placement)
                    rows.append(
                        Row(label, endpoint, target.name, connections, m.rate, m.p50_ms,
                            m.p99_ms, m.errors)
                    )  # fmt: skip
                    print(
                        f"  {label:<10} {target.name:<28} c={connections:<3} {m.rate:8.1f} req/s"
                        f"  p50 {m.p50_ms:7.1f} ms  p99 {m.p99_ms:7.1f} ms  errors {m.errors}",
                        flush=True,
                    )
        memory = {server.name: server.worker_rss_mb() for server in stack.servers}
    return rows, {label: memory}


# --- The machine ---------------------------------------------------------------------------


def machine() -> dict[str, str]:
    cpuinfo = Path("/proc/cpuinfo").read_text()
    model = re.search(r"model name\s*:\s*(.+)", cpuinfo)
    mem_kb = int(re.search(r"MemTotal:\s+(\d+)", Path("/proc/meminfo").read_text()).group(1))
    postgres = subprocess.run(
        [harness.PG_BIN / "postgres", "--version"], capture_output=True, text=True
    ).stdout.strip()
    wrk = subprocess.run(["wrk", "-v"], capture_output=True, text=True)
    return {
        "CPU": model.group(1).strip() if model else platform.processor(),
        "cores": str(os.cpu_count()),
        "memory": f"{mem_kb / 1024 / 1024:.1f} GiB",
        "kernel": platform.release(),
        "Python": platform.python_version(),
        "gunicorn / Flask / SQLAlchemy / psycopg / Authlib": " / ".join(
            version(p) for p in ("gunicorn", "flask", "sqlalchemy", "psycopg", "authlib")
        ),
        "PostgreSQL": postgres.removeprefix("postgres (PostgreSQL) "),
        "SQLite": sqlite3.sqlite_version,
        "wrk": (wrk.stdout + wrk.stderr).split("[")[0].strip(),
        "load average at start": " ".join(Path("/proc/loadavg").read_text().split()[:3]),
    }


# --- Writing -------------------------------------------------------------------------------


def find(rows, database, target, connections) -> Row | None:
    for row in rows:
        if (row.database, row.target, row.connections) == (database, target, connections):
            return row
    return None


def fmt(value: float, digits: int = 1) -> str:
    return "–" if value is None or math.isnan(value) else f"{value:,.{digits}f}"


def chart(endpoint: str, rows: list[Row], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ours, references = ENDPOINTS[endpoint]
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.2))
    colours = dict(zip([ours, *references], ["#c0392b", "#2c7fb8", "#7f8c8d"], strict=False))
    for database, style in (("SQLite", "-"), ("PostgreSQL", "--")):
        for target, colour in colours.items():
            points = [r for r in rows if r.database == database and r.target == target]
            if not points:
                continue
            xs = [r.connections for r in points]
            label = f"{target} ({database})"
            kw = {"color": colour, "linestyle": style, "marker": "o", "label": label}
            left.plot(xs, [r.rate for r in points], **kw)
            right.plot(xs, [r.p99_ms for r in points], **kw)
    for axis, ylabel in ((left, "requests per second"), (right, "p99 latency (ms)")):
        axis.set_xscale("log", base=2)
        axis.set_xticks(CONNECTIONS, [str(c) for c in CONNECTIONS])
        axis.set_xlabel("wrk connections")
        axis.set_ylabel(ylabel)
        axis.grid(True, alpha=0.3)
    left.set_ylim(bottom=0)
    right.set_yscale("log")
    if endpoint in ("token", "api"):
        right.axhline(P99_TARGET_MS, color="black", linewidth=0.8, linestyle=":")
        right.annotate(f"target {P99_TARGET_MS} ms at 16", (16, P99_TARGET_MS), fontsize=8)
    left.legend(fontsize=7)
    fig.suptitle(f"{ours}: gunicorn -w {harness.WORKERS}, wrk 1 thread")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def write_doc(results: dict, output: Path) -> None:
    rows = [Row(**row) for row in results["rows"]]
    memory, info = results["memory"], results["machine"]
    placement = harness.Placement(results["pinned"])
    started = datetime.fromisoformat(results["started"])
    databases = [d for d in ("SQLite", "PostgreSQL") if d in memory]
    images = output.parent / "benchmarks"
    images.mkdir(parents=True, exist_ok=True)
    out = [
        "# Benchmark report",
        "",
        f"Written by `make bench-report` (benchmarks/report.py) on {started:%Y-%m-%d %H:%M} UTC "
        f"in {results['minutes']:.1f} minutes. Regenerate it with `make bench-report`; a smoke "
        "run with `BENCH_SECONDS=2 make bench-report`. For the ratios over several alternating "
        "rounds (the figures issue 10's targets are judged by), run `make bench`.",
        "",
        "## How it ran",
        "",
        f"- Every server is gunicorn with {harness.WORKERS} sync workers: our app as production "
        "starts it (`gunicorn wsgi:app`, settings through `OAUTHSRV_*`) and the bare Flask "
        'references (benchmarks/bare_jwt_app.py, benchmarks/bare_hello_app.py); the "+ read" '
        "references do the one prepared `SELECT` of the client row that ours must do "
        "(benchmarks/bare_read.py).",
        f"- Placement: {placement.describe()}. PostgreSQL is a server the harness started "
        "itself (initdb in a temporary directory, default settings); SQLite a file beside it.",
        f"- Load: wrk, 1 thread, `--latency`, {results['seconds']:g} s per point, at "
        f"{', '.join(map(str, CONNECTIONS))} connections; at each connection count the targets "
        "take turns. Figures are 2xx responses per second; p50 and p99 from wrk's latency "
        "distribution (requests still open when a point ends are not counted, so a p99 close to "
        "the point's length means the servers were saturated). Memory is each worker's RSS "
        "after all the load.",
        "- The grid is `GET /admin/profile/applications` as htmx asks for it (`HX-Request`), "
        f"logged in through the form, for a user with {GRID_APPS:,} applications.",
    ]
    if results["note"]:
        out.append(f"- Conditions: {results['note']}")
    out += ["", "## Machine", "", "| | |", "|---|---|"]
    out += [f"| {key} | {value} |" for key, value in info.items()]
    out += ["", "## Targets", "", "| target | database | measured | verdict |", "|---|---|---|---|"]
    for database in databases:
        for endpoint in ("token", "api"):
            ours = ENDPOINTS[endpoint][0]
            row = find(rows, database, ours, 16)
            value = row.p99_ms if row else float("nan")
            ok = value < P99_TARGET_MS
            out.append(
                f"| p99 < {P99_TARGET_MS} ms at 16 connections, {ours} | {database} | "
                f"{fmt(value)} ms | {'met' if ok else '**missed**'} |"
            )
        worst = max(memory[database]["ours"], default=float("nan"))
        ok = worst < RSS_TARGET_MB
        out.append(
            f"| memory per worker < {RSS_TARGET_MB} MB after the load | {database} | "
            f"{fmt(worst)} MB (largest worker) | {'met' if ok else '**missed**'} |"
        )
    errors = sum(r.errors for r in rows)
    out += ["", f"Error responses (non-2xx and socket errors) over all runs: {errors}."]
    out += [
        "",
        "## Ratios to the references",
        "",
        "Our rate as a share of each reference's rate at the same connection count, same "
        "database, measured side by side.",
        "",
    ]
    header = "| endpoint | reference | database | " + " | ".join(f"c={c}" for c in CONNECTIONS)
    out += [header + " |", "|---|---|---|" + "---:|" * len(CONNECTIONS)]
    for ours, references in ENDPOINTS.values():
        for reference in references:
            for database in databases:
                cells = []
                for c in CONNECTIONS:
                    mine, theirs = find(rows, database, ours, c), find(rows, database, reference, c)
                    share = mine.rate / theirs.rate if mine and theirs and theirs.rate else None
                    cells.append(f"{share:.0%}" if share is not None else "–")
                out.append(f"| {ours} | {reference} | {database} | " + " | ".join(cells) + " |")
    for endpoint, (ours, references) in ENDPOINTS.items():
        image = images / f"{endpoint}.png"
        chart(endpoint, rows, image)
        out += ["", f"## {ours}", "", f"![{ours}: requests per second and p99 against "
                f"connections]({image.relative_to(output.parent)})", ""]  # fmt: skip
        out += [
            "| database | server | connections | req/s | p50 ms | p99 ms | errors |",
            "|---|---|---:|---:|---:|---:|---:|",
        ]
        for database in databases:
            for target in [ours, *references]:
                for c in CONNECTIONS:
                    row = find(rows, database, target, c)
                    if row:
                        out.append(
                            f"| {database} | {target} | {c} | {fmt(row.rate)} | "
                            f"{fmt(row.p50_ms)} | {fmt(row.p99_ms)} | {row.errors} |"
                        )
    out += ["", "## Memory per worker (RSS after the load, MB)", ""]
    out += ["| database | our app | bare JWT app | bare hello app |", "|---|---|---|---|"]
    for database in databases:
        cells = [
            ", ".join(fmt(mb) for mb in memory[database][name])
            for name in ("ours", "bare_jwt", "bare_hello")
        ]
        out.append(f"| {database} | " + " | ".join(cells) + " |")
    output.write_text("\n".join(out) + "\n")


def measure(args, placement) -> dict:
    """Run everything; the figures and the conditions, as saved beside the charts."""
    started, clock = datetime.now(UTC), time.monotonic()
    info = machine()
    print(f"bench-report: {args.seconds:g} s per point; {placement.describe()}", flush=True)
    rows, memory = [], {}
    with harness.workdir("report") as tmp:
        for kind in args.database or ["sqlite", "postgresql"]:
            subdir = tmp / kind
            subdir.mkdir()
            os.chmod(subdir, 0o711)
            more_rows, more_memory = run_database(kind, subdir, args, placement)
            rows += more_rows
            memory.update(more_memory)
    return {
        "started": started.isoformat(),
        "minutes": (time.monotonic() - clock) / 60,
        "seconds": args.seconds,
        "pinned": placement.pinned,
        "note": os.environ.get("BENCH_NOTE", ""),
        "machine": info,
        "memory": memory,
        "rows": [asdict(row) for row in rows],
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--seconds", type=float, default=harness.env_float("BENCH_SECONDS", 6),
        help="length of each point (BENCH_SECONDS, default 6)",
    )  # fmt: skip
    parser.add_argument("--database", action="append", choices=["sqlite", "postgresql"])
    parser.add_argument("--pin", action=argparse.BooleanOptionalAction, default=None)
    parser.add_argument("--output", type=Path, default=DOC)
    parser.add_argument("--from-json", type=Path, help="rewrite the report from saved figures")
    args = parser.parse_args()
    if args.from_json:
        results = json.loads(args.from_json.read_text())
    else:
        results = measure(args, harness.Placement.from_env(args.pin))
        saved = args.output.parent / "benchmarks" / "results.json"
        saved.parent.mkdir(parents=True, exist_ok=True)
        saved.write_text(json.dumps(results, indent=1) + "\n")
    write_doc(results, args.output)
    print(f"wrote {args.output} and its charts")
    return 1 if any(row["errors"] for row in results["rows"]) else 0


if __name__ == "__main__":
    sys.exit(main())
