"""The WSGI entry of both apps: requests under the machine mounts go to the machine app, all
others to the back-office.

Werkzeug's DispatcherMiddleware is the model (a mapping of mount points, nothing clever), except
that the machine app sees the full, unchanged path: its URL map, url_for and the issuer are
written with the prefixes (`/admin/api/me`, not `/me` under a SCRIPT_NAME of `/admin/api`).
"""

# Where machines call us with credentials of their own: the token endpoints, discovery and the
# two APIs. A mount covers itself and everything under it: `/api` and `/api/…`, not `/apix`;
# `/oauth2-token/introspect`, not `/oauth2-tokens`. This is the one place that says which
# requests are machine requests; neither app asks again. The health probes (oauthsrv.health) are
# polled by load balancers: no session, no cookie, no-store, like every machine answer.
MACHINE_MOUNTS = ("/oauth2-token", "/.well-known", "/admin/api", "/api", "/healthz", "/readyz")

_UNDER_MOUNTS = tuple(mount + "/" for mount in MACHINE_MOUNTS)
_MOUNTS = frozenset(MACHINE_MOUNTS)


def is_machine_path(path: str) -> bool:
    """Whether the dispatcher sends `path` (a WSGI PATH_INFO) to the machine app."""
    return path.startswith(_UNDER_MOUNTS) or path in _MOUNTS


class PathDispatcher:
    """A WSGI app choosing, by path, between the back-office and the machine app."""

    def __init__(self, backoffice, machine):
        self.backoffice = backoffice
        self.machine = machine

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        if path.startswith(_UNDER_MOUNTS) or path in _MOUNTS:
            return self.machine(environ, start_response)
        return self.backoffice(environ, start_response)
