"""Server time of the OAuth Applications grid fragment with 10,000 applications for one user.

Usage: python benchmarks/grid_bench.py [--apps 10000] [--runs 60] [--database-uri URI]

Seeds a throwaway database (SQLite in a temporary directory unless --database-uri names an empty
one), logs in through the real form and times the htmx grid requests in-process, so the figures
are the server's work (routing, query, template) without network noise. Prints median and p95.
"""

import argparse
import secrets
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from flask_migrate import upgrade  # noqa: E402
from sqlalchemy import insert  # noqa: E402

from oauthsrv import create_app  # noqa: E402
from oauthsrv.extensions import db  # noqa: E402
from oauthsrv.models import OAuthApplication  # noqa: E402
from oauthsrv.models.base import utcnow  # noqa: E402
from oauthsrv.services import accounts, keys  # noqa: E402
from oauthsrv.services.applications import hash_client_secret  # noqa: E402

EMAIL, PASSWORD = "bench@example.com", "bench-password-1"
TARGET_MS = 50
SCENARIOS = [
    ("unfiltered, first page", ""),
    ("name filter 'sync'", "?name=sync"),
    ("status filter inactive", "?status=inactive"),
    ("unfiltered, last page", "?page=400"),
    ("sorted by name", "?sort=name&direction=asc"),
    ("organization filter", "?organization={org_id}"),
]


def seed(count: int) -> tuple[int, int]:
    """One user in two organizations and `count` applications, in one bulk insert."""
    accounts.create_organization("Bench Corp")
    user = accounts.create_user(EMAIL, PASSWORD, "Bench User", ["Bench Corp", "Other Org"])
    orgs = user.organizations
    secret_hash = hash_client_secret(secrets.token_urlsafe(32))  # hashing 10,000 times buys nothing
    start = utcnow() - timedelta(days=365)
    rows = [
        {
            "name": f"{'Sync' if n % 10 == 0 else 'Integration'} {n:05d}",
            "client_id": secrets.token_urlsafe(24),
            "client_secret_hash": secret_hash,
            "kind": "backend",
            "owner_user_id": user.id,
            "organization_id": orgs[n % 2].id,
            "is_active": n % 4 != 0,
            "scopes": "profile:read",
            "generation": 1,
            "last_used_at": start + timedelta(hours=n) if n % 3 == 0 else None,
            "created_at": start + timedelta(minutes=n),
            "updated_at": start + timedelta(minutes=n),
        }
        for n in range(count)
    ]
    db.session.execute(insert(OAuthApplication), rows)
    db.session.commit()
    return user.id, orgs[0].id


def time_requests(client, url: str, runs: int) -> list[float]:
    """Milliseconds per request, after a few warm-up requests."""
    headers = {"HX-Request": "true"}
    for _ in range(5):
        assert client.get(url, headers=headers).status_code == 200
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        response = client.get(url, headers=headers)
        timings.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200 and 'id="apps-grid"' in response.get_data(as_text=True)
    return timings


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20, method="inclusive")[18]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--apps", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=60)
    parser.add_argument("--database-uri", help="an empty database (default: temporary SQLite)")
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="grid-bench-"))
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": args.database_uri or f"sqlite:///{workdir / 'bench.db'}",
            "SECRET_KEY": "bench",
            "OAUTH_ISSUER": "http://localhost",  # a server does not start without one
            "WTF_CSRF_ENABLED": False,
            "OAUTH_PRIVATE_KEY_PATH": str(workdir / "private.key"),
            "OAUTH_PUBLIC_KEY_PATH": str(workdir / "public.key"),
        }
    )
    with app.app_context():
        upgrade()
        keys.generate_keys()
        started = time.perf_counter()
        _, org_id = seed(args.apps)
        print(f"seeded {args.apps:,} applications in {time.perf_counter() - started:.2f} s")
        print(f"database: {db.engine.dialect.name}")
    client = app.test_client()
    login = client.post("/admin/login", data={"email": EMAIL, "password": PASSWORD})
    assert login.status_code == 302, "login failed"
    print(f"{'scenario':<26} {'median ms':>10} {'p95 ms':>8}")
    slow = []
    for label, query in SCENARIOS:
        timings = time_requests(
            client, "/admin/profile/applications" + query.format(org_id=org_id), args.runs
        )
        median = statistics.median(timings)
        print(f"{label:<26} {median:>10.1f} {p95(timings):>8.1f}")
        if median >= TARGET_MS:
            slow.append(label)
    verdict = "met" if not slow else "MISSED: " + ", ".join(slow)
    print(f"target: median under {TARGET_MS} ms: {verdict}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
