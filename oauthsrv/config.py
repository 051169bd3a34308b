"""Configuration defaults and the order in which they are overridden.

Load order (later wins): the defaults below, ``instance/config.yml``, environment variables
``OAUTHSRV_<KEY>``, then the mapping a test passes to ``create_app``.
"""

import os
import secrets
from pathlib import Path

import yaml

PROJECT_ROOT = Path(__file__).resolve().parent.parent
INSTANCE_PATH = PROJECT_ROOT / "instance"

DEFAULTS = {
    # Embedded default: SQLite in instance/. Operators point this at PostgreSQL.
    "SQLALCHEMY_DATABASE_URI": f"sqlite:///{INSTANCE_PATH / 'oauthsrv.db'}",
    # Generated into instance/secret_key on first start when left empty.
    "SECRET_KEY": None,
    # Signing keys for access tokens, relative to the project root unless absolute.
    "OAUTH_PRIVATE_KEY_PATH": "var/oauth_private.key",
    "OAUTH_PUBLIC_KEY_PATH": "var/oauth_public.key",
    "OAUTH_ACCESS_TOKEN_TTL": 3600,
    # How often (seconds) a process looks whether the key files changed (another process ran
    # `oauth keys generate` or `rotate`, or a file went missing); its own changes count at once.
    "OAUTH_KEYS_RECHECK_SECONDS": 1,
    # Issuer of access tokens and of the metadata: the public URL of this server, e.g.
    # https://auth.example.com. Never taken from the Host header: a server started outside
    # debug mode refuses to serve without it (require_issuer); empty elsewhere (CLI commands,
    # `flask run --debug`) means DEV_ISSUER.
    "OAUTH_ISSUER": "",
    # Pepper for the keyed hash of client secrets; empty means derived from SECRET_KEY.
    "OAUTH_SECRET_PEPPER": "",
    # private_key_jwt (docs/client_credentials.md): JWKS URLs are fetched over HTTPS only; this
    # also allows plain HTTP to a loopback address (tests, local development).
    "OAUTH_ALLOW_HTTP_JWKS_URLS": False,
    # Seconds a JWKS URL may take to answer (connect and the whole body; at most 64 KiB).
    "OAUTH_JWKS_TIMEOUT": 3,
    # Seconds fetched keys are used before the URL is asked again.
    "OAUTH_JWKS_CACHE_SECONDS": 300,
    # At least this many seconds between two fetches of one URL, even on an unknown kid.
    "OAUTH_JWKS_MIN_REFETCH_SECONDS": 10,
    # Where used assertion ids (jti) are remembered until they expire: empty for the database
    # (shared by every worker and host), or a Redis URL ("redis://127.0.0.1:6379/0").
    "OAUTH_ASSERTION_JTI_STORE": "",
    # Origins allowed to call the token endpoint from a browser (CORS).
    "OAUTH_CORS_ORIGINS": [],
    # Failed client authentications (token, introspection, revocation) allowed in the window
    # per (client id, IP) and per IP before that IP gets 429; never counted per client id alone.
    "OAUTH_CLIENT_FAILURES_PER_CLIENT_IP": 10,
    "OAUTH_CLIENT_FAILURES_PER_IP": 30,
    "OAUTH_CLIENT_THROTTLE_WINDOW": 60,
    # Counters for throttling (oauthsrv.throttle): empty for THROTTLE_FILE, shared by the
    # workers of this host; "redis://127.0.0.1:6379/0" shared by every host (THROTTLE_FILE
    # while Redis is down); "memory://" this process only.
    "RATELIMIT_STORAGE_URI": "",
    # The host's counters: a SQLite file (relative to the project root unless absolute).
    "THROTTLE_FILE": "instance/throttle.sqlite",
    # How many reverse-proxy hops to trust for X-Forwarded-For (0: use the socket address).
    "TRUSTED_PROXIES": 0,
    # Failed logins allowed per window before the account or the IP is throttled.
    "LOGIN_FAILURES_PER_ACCOUNT": 5,
    "LOGIN_FAILURES_PER_IP": 20,
    "LOGIN_THROTTLE_WINDOW": 900,
    # Mail: with no MAIL_SERVER, messages go to the log and instance/mail/.
    "MAIL_SERVER": "",
    "MAIL_PORT": 25,
    "MAIL_USE_TLS": False,
    "MAIL_USE_SSL": False,
    "MAIL_USERNAME": None,
    "MAIL_PASSWORD": None,
    "MAIL_DEFAULT_SENDER": "oauthsrv@localhost",
    # Public root of links in emails and previews. Empty: OAUTH_ISSUER, else (dev server on a
    # loopback address only) the URL the request came to, so it follows the port; production
    # sets OAUTH_ISSUER or BASE_URL (notifications.events.public_base_url).
    "BASE_URL": "",
    # The storefront customers use; the customer email's main button leads there when set.
    "STOREFRONT_URL": "",
    # No-SMTP mode: where messages are written as .eml files (relative to the project root).
    "MAIL_FILE_DIRECTORY": "instance/mail",
    # Seconds to wait for the SMTP server; Flask-Mail alone would wait forever.
    "MAIL_TIMEOUT": 10,
    # Outbox retries: first delay in seconds, doubled after each failure up to the maximum.
    "MAIL_OUTBOX_BACKOFF": 60,
    "MAIL_OUTBOX_BACKOFF_MAX": 3600,
    # How often (seconds, per process) a request checks for due retries, and how many it sends.
    "MAIL_OUTBOX_POLL_INTERVAL": 30,
    "MAIL_OUTBOX_BATCH": 10,
    # Seconds a sender holds a claimed message; after that another sender may take it over.
    "MAIL_OUTBOX_LEASE": 600,
    "APPS_PER_PAGE": 25,
    # Administration: rows per page of the Users, Organizations and audit grids.
    "ADMIN_PER_PAGE": 25,
    "AUDIT_PER_PAGE": 50,
    # Audit events older than this many days are deleted by `flask --app wsgi oauth cleanup`.
    "AUDIT_RETENTION_DAYS": 90,
    # Audit events are written after the response, in batches of this many rows, or once the
    # oldest unwritten one is this many seconds old (0: after every response that recorded one).
    "AUDIT_BATCH_SIZE": 50,
    "AUDIT_FLUSH_SECONDS": 2,
    # Default page[size] of API collections (/admin/api/users, …); clients may ask up to 100.
    "API_PAGE_SIZE": 25,
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "SQLALCHEMY_TRACK_MODIFICATIONS": False,
    "WTF_CSRF_TIME_LIMIT": None,
    "MAX_CONTENT_LENGTH": 64 * 1024,
}

# The issuer when none is configured, where that is allowed: the dev server's default address.
DEV_ISSUER = "http://127.0.0.1:5000"
ISSUER_REQUIRED = (
    "OAUTH_ISSUER is not set: refusing to serve. Set OAUTHSRV_OAUTH_ISSUER (or OAUTH_ISSUER in "
    "instance/config.yml) to this server's public URL, e.g. https://auth.example.com; the "
    "issuer is never taken from the Host header."
)

PATH_KEYS = (
    "OAUTH_PRIVATE_KEY_PATH",
    "OAUTH_PUBLIC_KEY_PATH",
    "MAIL_FILE_DIRECTORY",
    "THROTTLE_FILE",
)


def load_config(app, test_config=None):
    """Apply defaults, instance/config.yml, OAUTHSRV_* variables and the test mapping."""
    app.config.from_mapping(DEFAULTS)
    yaml_path = Path(app.instance_path) / "config.yml"
    if yaml_path.exists():
        app.config.from_mapping(read_yaml(yaml_path))
    app.config.from_prefixed_env("OAUTHSRV")
    if test_config:
        app.config.from_mapping(test_config)
    resolve_paths(app.config)
    if not app.config["SECRET_KEY"]:
        app.config["SECRET_KEY"] = instance_secret_key(Path(app.instance_path))


def read_yaml(path: Path) -> dict:
    """Read the flat upper-case settings of a YAML file (empty file: nothing)."""
    data = yaml.safe_load(path.read_text()) or {}
    if not isinstance(data, dict):
        raise RuntimeError(f"{path} must hold a mapping of settings")
    return {key: value for key, value in data.items() if key.isupper()}


def resolve_paths(config) -> None:
    """Resolve file paths against the project root, never the working directory."""
    for key in PATH_KEYS:
        config[key] = str(PROJECT_ROOT / config[key])
    uri = config["SQLALCHEMY_DATABASE_URI"]
    prefix = "sqlite:///"
    if uri.startswith(prefix) and not uri.startswith(prefix + "/") and ":memory:" not in uri:
        config["SQLALCHEMY_DATABASE_URI"] = prefix + str(PROJECT_ROOT / uri[len(prefix) :])


def instance_secret_key(instance_path: Path) -> str:
    """Return the secret key kept in instance/secret_key, creating it (mode 0600) once."""
    path = instance_path / "secret_key"
    if path.exists():
        return path.read_text().strip()
    instance_path.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(key)
    return key


def starting_a_server() -> bool:
    """A WSGI server (no Click context) or `flask run`; not `flask --help`, `oauth keys …`."""
    import click  # Flask's own dependency, already imported by Flask

    context = click.get_current_context(silent=True)
    return context is None or context.command.name == "run"


def require_issuer(app) -> None:
    """A server outside debug mode does not start without OAUTH_ISSUER (one line, exit 1), as
    Keycloak's production mode refuses to start without a hostname. CLI commands run without."""
    if not app.config["OAUTH_ISSUER"] and not app.debug and starting_a_server():
        raise SystemExit(ISSUER_REQUIRED)
