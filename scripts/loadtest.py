"""`make loadtest`: a mixed load against gunicorn, on SQLite and on PostgreSQL + Redis.

Clients (threads, one connection each) send token requests, API calls and JWKS fetches; a few of
them drive the back-office through its real forms (login, CSRF): create an application, use it,
deactivate, activate, regenerate its secret, delete it. Checked throughout:

- no 5xx answer and no "database is locked" (in any answer or in gunicorn's log);
- every issued token verifies (RS256, iss, aud, exp) with a key fetched from /.well-known/jwks.json;
- every revocation acts on the next call: after deactivate, regenerate or delete, the old token is
  refused by the API and the old credentials get no token;
- memory: each worker's RSS at the start and at the end is reported.

Every client comes from 127.0.0.1, and the revocation checks fail authentication on purpose (the
old secret after a regeneration, say): with counters shared in Redis they would soon exceed the
per-IP limit and get 429 for everything. The load runs therefore raise the failed-authentication
limits (LOAD_SETTINGS); the throttle itself is proven by tests/production.

Exit status 1 when a check fails. PostgreSQL and Redis are our own instances in a temporary
directory unless --database-uri / --redis-uri name others. Loopback only.
"""

import argparse
import collections
import itertools
import random
import re
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import jwt
import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from scripts.cluster import (  # noqa: E402
    Gunicorn,
    PrivatePostgres,
    PrivateRedis,
    app_env,
    create_application,
    create_user,
    prepare_database,
    rss_mib,
)

ISSUER = "http://oauthsrv.test"
PASSWORD = "load-test-password-1"
LOCKED = "database is locked"
STABLE_APPS = 4
BACK_OFFICE_SHARE = 4  # one client in this many drives the back-office
LOAD_SETTINGS = {
    "OAUTH_CLIENT_FAILURES_PER_IP": 1_000_000,
    "OAUTH_CLIENT_FAILURES_PER_CLIENT_IP": 1_000,
}


@dataclass
class Tally:
    """What every client saw, merged under a lock."""

    counts: collections.Counter = field(default_factory=collections.Counter)
    server_errors: collections.Counter = field(default_factory=collections.Counter)
    failures: list[str] = field(default_factory=list)
    tokens_verified: int = 0
    revocations_checked: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def saw(self, kind: str, response: requests.Response) -> requests.Response:
        with self.lock:
            self.counts[kind] += 1
            if response.status_code >= 500:
                self.server_errors[f"{kind} {response.status_code}"] += 1
            if LOCKED in response.text:
                self.failures.append(f"{kind}: '{LOCKED}' in an answer")
        return response

    def fail(self, message: str) -> None:
        with self.lock:
            if len(self.failures) < 50:
                self.failures.append(message)


class Jwks:
    """Verifies tokens with the published keys, fetching the JWKS again for an unknown kid."""

    def __init__(self, url: str, tally: Tally):
        self.url, self.tally, self.keys, self.lock = url, tally, {}, threading.Lock()

    def fetch(self, session: requests.Session) -> None:
        response = self.tally.saw("jwks", session.get(self.url, timeout=30))
        if response.status_code == 200:
            keys = {k["kid"]: jwt.PyJWK(k).key for k in response.json()["keys"]}
            with self.lock:
                self.keys.update(keys)

    def verify(self, session: requests.Session, token: str) -> bool:
        kid = jwt.get_unverified_header(token).get("kid")
        if kid not in self.keys:
            self.fetch(session)
        try:
            jwt.decode(
                token, self.keys[kid], algorithms=["RS256"], issuer=ISSUER,
                audience=f"{ISSUER}/admin/api",
            )  # fmt: skip
        except (KeyError, jwt.PyJWTError) as error:
            self.tally.fail(f"token does not verify through the JWKS: {error!r}")
            return False
        with self.tally.lock:
            self.tally.tokens_verified += 1
        return True


class Client:
    """One connection's worth of traffic."""

    def __init__(self, base: str, tally: Tally, jwks: Jwks, apps: list[dict]):
        self.base, self.tally, self.jwks, self.apps = base, tally, jwks, apps
        self.http = requests.Session()

    def token(self, client_id: str, secret: str) -> requests.Response:
        data = {"grant_type": "client_credentials"}
        response = self.http.post(
            self.base + "/oauth2-token", data=data, auth=(client_id, secret), timeout=30
        )
        return self.tally.saw("token", response)

    def api(self, token: str) -> requests.Response:
        headers = {"Authorization": f"Bearer {token}"}
        response = self.http.get(self.base + "/admin/api/me", headers=headers, timeout=30)
        return self.tally.saw("api", response)

    def issue(self, client_id: str, secret: str) -> str | None:
        """A token for these credentials, verified through the JWKS."""
        response = self.token(client_id, secret)
        if response.status_code != 200:
            if response.status_code < 500:
                self.tally.fail(f"token for a live application: {response.status_code}")
            return None
        token = response.json()["access_token"]
        return token if self.jwks.verify(self.http, token) else None

    def machine_round(self) -> None:
        """A token, two API calls with it, now and then a JWKS fetch."""
        app = random.choice(self.apps)
        token = self.issue(app["client_id"], app["client_secret"])
        if token is None:
            return
        for _ in range(2):
            response = self.api(token)
            if response.status_code != 200 and response.status_code < 500:
                self.tally.fail(f"API call with a fresh token: {response.status_code}")
        if random.random() < 0.3:
            self.jwks.fetch(self.http)


class BackOffice(Client):
    """A user at the back-office: every change goes through the real forms with CSRF."""

    def __init__(self, *args, email: str):
        super().__init__(*args)
        self.email = email
        self.csrf = ""

    def login(self) -> None:
        page = self.tally.saw("back-office", self.http.get(self.base + "/admin/login", timeout=30))
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page.text)
        data = {"email": self.email, "password": PASSWORD, "csrf_token": token and token.group(1)}
        self.tally.saw(
            "back-office", self.http.post(self.base + "/admin/login", data=data, timeout=30)
        )
        profile = self.tally.saw("back-office", self.http.get(self.base + "/admin/profile"))
        match = re.search(r'"X-CSRFToken": "([^"]+)"', profile.text)
        if match is None:
            raise RuntimeError(f"no CSRF token after login ({profile.status_code})")
        self.csrf = match.group(1)

    def post(self, path: str, data: dict | None = None) -> requests.Response:
        headers = {"X-CSRFToken": self.csrf, "HX-Request": "true"}
        url = f"{self.base}/admin/profile/applications{path}"
        return self.tally.saw("back-office", self.http.post(url, data, headers=headers, timeout=30))

    def app_id(self, name: str) -> int | None:
        url = f"{self.base}/admin/profile/applications"
        response = self.tally.saw(
            "back-office",
            self.http.get(url, params={"name": name}, headers={"HX-Request": "true"}, timeout=30),
        )
        match = re.search(r"/applications/(\d+)/deactivate", response.text)
        return int(match.group(1)) if match else None

    def revoked(self, what: str, token: str, client_id: str, secret: str) -> None:
        """The very next calls with the old token and the old credentials are refused."""
        api_status = self.api(token).status_code
        token_status = self.token(client_id, secret).status_code
        with self.tally.lock:
            self.tally.revocations_checked += 1
        if api_status != 401 or token_status != 401:
            self.tally.fail(f"after {what}: API {api_status}, token {token_status} (want 401s)")

    def cycle(self) -> None:
        """Create, use, deactivate, activate, regenerate, delete one application."""
        name = f"load {uuid.uuid4().hex[:12]}"
        created = self.post("/new", {"name": name, "is_active": "y"})
        credentials = dict(re.findall(r'id="(client-id|client-secret)" type="text" value="([^"]+)"',
                                      created.text))  # fmt: skip
        app_id = self.app_id(name)
        if created.status_code != 200 or len(credentials) != 2 or app_id is None:
            if created.status_code < 500:
                self.tally.fail(f"create application: {created.status_code}")
            return
        client_id, secret = credentials["client-id"], credentials["client-secret"]
        # Deactivate: the token and the credentials die; activate: new tokens work again.
        if not self.revoke_with("deactivate", f"/{app_id}/deactivate", client_id, secret):
            return
        if self.expect_ok("activate", self.post(f"/{app_id}/activate")) is None:
            return
        # Regenerate: the old secret and its token die; the new secret works. Then delete.
        secret = self.revoke_with("regenerate", f"/{app_id}/regenerate-secret", client_id, secret)
        if secret:
            self.revoke_with("delete", f"/{app_id}/delete", client_id, secret)

    def expect_ok(self, what: str, answer: requests.Response) -> requests.Response | None:
        if answer.status_code == 200:
            return answer
        if answer.status_code < 500:
            self.tally.fail(f"{what}: {answer.status_code}")
        return None

    def revoke_with(self, what: str, path: str, client_id: str, secret: str) -> str | None:
        """Get a token, make the change, check the next calls; the secret that works after."""
        token = self.issue(client_id, secret)
        if token is None:
            return None
        if self.api(token).status_code != 200:
            self.tally.fail(f"before {what}: a fresh token is refused by the API")
        answer = self.expect_ok(what, self.post(path))
        if answer is None:
            return None
        self.revoked(what, token, client_id, secret)
        new_secret = re.search(r'id="client-secret" type="text" value="([^"]+)"', answer.text)
        return new_secret.group(1) if new_secret else secret


def run_clients(
    base: str, apps: list[dict], owners: list[str], connections: int, seconds: float, on_warm
):
    tally = Tally()
    jwks = Jwks(base + "/.well-known/jwks.json", tally)
    owner_cycle = itertools.cycle(owners)
    clients: list[Client] = []
    for number in range(connections):
        if number % BACK_OFFICE_SHARE == BACK_OFFICE_SHARE - 1:
            clients.append(BackOffice(base, tally, jwks, apps, email=next(owner_cycle)))
        else:
            clients.append(Client(base, tally, jwks, apps))
    deadline = time.monotonic() + seconds

    def work(client: Client) -> None:
        try:
            if isinstance(client, BackOffice):
                client.login()
            while time.monotonic() < deadline:
                client.cycle() if isinstance(client, BackOffice) else client.machine_round()
        except (requests.RequestException, RuntimeError, ValueError) as error:
            tally.fail(f"client stopped: {error!r}")

    threads = [threading.Thread(target=work, args=(client,)) for client in clients]
    for thread in threads:
        thread.start()
    time.sleep(min(10, seconds / 6))
    on_warm()  # every worker has served by now: its memory after imports and first requests
    for thread in threads:
        thread.join()
    return tally


def seed(env: dict, back_office_users: int) -> tuple[list[dict], list[str]]:
    """A user per back-office client and STABLE_APPS applications for the machine clients."""
    owners = [f"load{number}@load.example" for number in range(back_office_users)]
    for email in owners:
        create_user(env, email, PASSWORD, "Load")
    apps = [create_application(env, owners[0], f"stable {n}") for n in range(STABLE_APPS)]
    return apps, owners


def run(label: str, env: dict, args, workdir: Path) -> bool:
    """One load run against a fresh gunicorn; prints the report; whether every check passed."""
    prepare_database(env)
    back_office_users = max(1, args.connections // BACK_OFFICE_SHARE)
    apps, owners = seed(env, back_office_users)
    server = Gunicorn(env, args.workers, workdir / f"gunicorn-{label}.log").start()
    try:
        rss_start = {pid: rss_mib(pid) for pid in server.worker_pids()}
        rss_warm = {}
        started = time.monotonic()
        tally = run_clients(
            server.url, apps, owners, args.connections, args.duration,
            lambda: rss_warm.update({pid: rss_mib(pid) for pid in server.worker_pids()}),
        )  # fmt: skip
        elapsed = time.monotonic() - started
        rss_end = {pid: rss_mib(pid) for pid in server.worker_pids()}
    finally:
        server.stop()
    log = server.log_text()
    if LOCKED in log:
        tally.fail(f"'{LOCKED}' in gunicorn's log ({log.count(LOCKED)} times)")
    report(label, args, tally, elapsed, (rss_start, rss_warm, rss_end))
    return not tally.failures and not tally.server_errors


def report(label, args, tally: Tally, elapsed: float, rss: tuple[dict, dict, dict]) -> None:
    total = sum(tally.counts.values())
    print(f"\n== {label}: {args.connections} connections, {args.workers} workers, {elapsed:.0f} s")
    for kind, count in sorted(tally.counts.items()):
        print(f"  {kind:<12} {count:7d} requests  {count / elapsed:7.1f}/s")
    print(f"  total        {total:7d} requests  {total / elapsed:7.1f}/s")
    print(f"  5xx answers: {sum(tally.server_errors.values())} {dict(tally.server_errors)}")
    print(f"  tokens verified through the JWKS: {tally.tokens_verified}")
    print(f"  revocations checked on the next call: {tally.revocations_checked}")
    print("  RSS per worker (MiB): at start, after warm-up, at the end")
    for pid in sorted(set().union(*rss)):
        start, warm, end = (f"{r[pid]:.1f}" if r.get(pid) else "-" for r in rss)
        print(f"  worker {pid}: {start:>6} {warm:>6} {end:>6}")
    for failure in tally.failures[:20]:
        print(f"  FAIL {failure}")
    print(f"  {'PASS' if not tally.failures and not tally.server_errors else 'FAIL'}")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=60, help="seconds per run (60)")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--only", choices=["sqlite", "postgresql"], help="one run only")
    parser.add_argument("--database-uri", help="a PostgreSQL to use instead of our own")
    parser.add_argument("--redis-uri", help="a Redis to use instead of our own")
    args = parser.parse_args(argv)
    results = []
    with tempfile.TemporaryDirectory(prefix="oauthsrv-load-") as tmp:
        workdir = Path(tmp)
        if args.only in (None, "sqlite"):
            env = app_env(workdir / "sqlite", f"sqlite:///{workdir / 'load.db'}", **LOAD_SETTINGS)
            results.append(run("SQLite", env, args, workdir))
        if args.only in (None, "postgresql"):
            results.append(run_postgresql(args, workdir))
    return 0 if all(results) else 1


def run_postgresql(args, workdir: Path) -> bool:
    postgres = None if args.database_uri else PrivatePostgres().init()
    redis = None if args.redis_uri else PrivateRedis().start()
    try:
        uri = args.database_uri or postgres.uri
        env = app_env(workdir / "pg", uri, args.redis_uri or redis.uri, **LOAD_SETTINGS)
        return run("PostgreSQL + Redis", env, args, workdir)
    finally:
        if redis:
            redis.stop()
        if postgres:
            postgres.destroy()


if __name__ == "__main__":
    sys.exit(main())
