"""In-process cost of a token request by client secret against one by private_key_jwt.

    .venv/bin/python benchmarks/client_auth_bench.py [requests] [--profile] [--jti-store URL]

POST /oauth2-token through Flask's test client (no network, one thread), on a SQLite file in a
temporary directory with throwaway signing keys. Three applications: one on its client secret
(HTTP Basic), two on private_key_jwt with a pasted public key (RSA 2048 signing RS256, EC P-256
signing ES256). Every assertion is signed before the clock starts (each needs its own jti), so
only the server's work is timed: the key is cached after the first request, as in production.
Prints requests/s and µs per request (best of 5 runs) and each method's cost against the
secret's (target: within 25 %). --profile adds cProfile's top functions of the RS256 path;
--jti-store redis://… keeps used jtis in that Redis instead of the database.

The machine is shared, so wall-clock figures wander; instructions do not. With KIND set
("secret", "RS256" or "ES256") the script posts that kind's requests inside itertools.starmap
only, for callgrind to count (instructions per request = Ir / requests):

    KIND=RS256 valgrind --tool=callgrind --toggle-collect=starmap_next \
        .venv/bin/python benchmarks/client_auth_bench.py 100
"""

import itertools
import os
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET = 1.25
RUNS = 5


def build(workdir: Path):
    """The app, and what each kind of request posts (headers, a body per request)."""
    sys.path.insert(0, str(ROOT))
    from flask_migrate import upgrade
    from joserfc.jwk import ECKey, RSAKey

    from oauthsrv import create_app
    from oauthsrv.models.oauth import PRIVATE_KEY_JWT
    from oauthsrv.services import accounts, applications, keys

    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{workdir / 'bench.db'}",
            "SECRET_KEY": "bench",
            "OAUTH_PRIVATE_KEY_PATH": str(workdir / "private.key"),
            "OAUTH_PUBLIC_KEY_PATH": str(workdir / "public.key"),
            "OAUTH_ISSUER": "http://localhost",
            "MAIL_FILE_DIRECTORY": str(workdir / "mail"),
            # The benchmark fails on purpose never; a throttled address would skew nothing.
            "OAUTH_CLIENT_FAILURES_PER_IP": 10**9,
            "OAUTH_ASSERTION_JTI_STORE": option("--jti-store") or "",
        }
    )
    with app.app_context():
        upgrade()
        keys.generate_keys()
        accounts.create_organization("Bench")
        owner = accounts.create_user("bench@example.com", "x" * 12, "Bench", ["Bench"])
        organization = owner.organizations[0]
        secret_app, secret = applications.create_application(
            owner, organization, "Secret", created_by="bench"
        )
        signed = {}
        for name, key, alg in (
            ("RS256", RSAKey.generate_key(2048), "RS256"),
            ("ES256", ECKey.generate_key("P-256"), "ES256"),
        ):
            auth = applications.ClientAuth(PRIVATE_KEY_JWT, key.as_pem(private=False).decode())
            application, _ = applications.create_application(
                owner, organization, name, created_by="bench", client_auth=auth
            )
            signed[name] = (application.client_id, key, alg)
        return app, (secret_app.client_id, secret), signed


def secret_bodies(credentials, count: int):
    import base64

    client_id, secret = credentials
    basic = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    headers = {"Authorization": f"Basic {basic}"}
    return headers, [{"grant_type": "client_credentials"}] * count


def assertion_bodies(signed, count: int):
    from joserfc import jwt

    client_id, key, alg = signed
    now = int(time.time())
    bodies = []
    for _ in range(count):
        claims = {
            "iss": client_id,
            "sub": client_id,
            "aud": "http://localhost/oauth2-token",
            "iat": now,
            "exp": now + 3600,
            "jti": uuid.uuid4().hex,
        }
        bodies.append(
            {
                "grant_type": "client_credentials",
                "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
                "client_assertion": jwt.encode({"alg": alg}, claims, key, algorithms=[alg]),
            }
        )
    return {}, bodies


def run(client, headers, bodies) -> float:
    """Seconds for posting every body once; each must get a token."""
    started = time.perf_counter()
    for body in bodies:
        response = client.post("/oauth2-token", data=body, headers=headers)
        if response.status_code != 200:
            text = response.get_data(as_text=True)
            raise SystemExit(f"unexpected {response.status_code}: {text}")
    return time.perf_counter() - started


def option(name: str) -> str | None:
    """The value after `name` on the command line, if given."""
    arguments = sys.argv[1:]
    return arguments[arguments.index(name) + 1] if name in arguments[:-1] else None


def counted(client, make, count: int) -> None:
    """Post `count` requests inside itertools.starmap (what callgrind collects), after 20."""
    headers, bodies = make()
    run(client, headers, bodies[:20])
    headers, bodies = make()

    def post(body):
        response = client.post("/oauth2-token", data=body, headers=headers)
        if response.status_code != 200:
            raise SystemExit(f"unexpected {response.status_code}")

    for _ in itertools.starmap(post, ((body,) for body in bodies[:count])):
        pass


def main() -> int:
    count = int(next((arg for arg in sys.argv[1:] if arg.isdigit()), 300))
    kind = os.environ.get("KIND")
    with tempfile.TemporaryDirectory() as workdir:
        app, credentials, signed = build(Path(workdir))
        client = app.test_client()
        with app.app_context():
            kinds = {"client secret (Basic)": lambda: secret_bodies(credentials, count)}
            for name, values in signed.items():
                kinds[f"private_key_jwt {name}"] = lambda values=values: assertion_bodies(
                    values, count
                )
            if kind:
                name = "client secret (Basic)" if kind == "secret" else f"private_key_jwt {kind}"
                counted(client, kinds[name], count)
                return 0
            # Warm-up: imports (rfc7523, joserfc), the key cache, prepared statements.
            for make in kinds.values():
                headers, bodies = make()
                run(client, headers, bodies[:20])
            best = {}
            for name, make in kinds.items():
                samples = []
                for _ in range(RUNS):
                    headers, bodies = make()
                    samples.append(run(client, headers, bodies) / count)
                best[name] = min(samples)
            store = option("--jti-store") or "database"
            print(
                f"POST /oauth2-token, {count} requests x {RUNS} runs (best), SQLite, test client,"
                f" jti store: {store}"
            )
            reference = best["client secret (Basic)"]
            for name, seconds in best.items():
                ratio = seconds / reference
                verdict = (
                    ""
                    if name.startswith("client")
                    else ("  within 25 %" if ratio <= TARGET else "  OVER 25 %")
                )
                print(
                    f"  {name:24} {1 / seconds:8.0f} req/s  {seconds * 1e6:7.0f} µs/request"
                    f"  x{ratio:.2f}{verdict}"
                )
            if "--profile" in sys.argv:
                profile(client, signed["RS256"], count)
    return 0


def profile(client, signed, count: int) -> None:
    import cProfile
    import pstats

    headers, bodies = assertion_bodies(signed, count)
    profiler = cProfile.Profile()
    profiler.runcall(run, client, headers, bodies)
    pstats.Stats(profiler).sort_stats("cumulative").print_stats(45)


if __name__ == "__main__":
    sys.exit(main())
