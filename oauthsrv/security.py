"""Cookies, proxies and the security headers every response carries."""

from flask import Response, request
from flask.sessions import NullSession, SecureCookieSessionInterface
from werkzeug.middleware.proxy_fix import ProxyFix

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)
SECURITY_HEADERS = (
    ("Content-Security-Policy", CONTENT_SECURITY_POLICY),
    ("X-Frame-Options", "DENY"),
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "same-origin"),
)
# Paths that machines call with credentials of their own (client secrets, Bearer tokens): the
# token endpoints, discovery and both APIs. They never read or write the back-office session.
# So do the health probes (health.py), polled by load balancers.
MACHINE_PREFIXES = ("/oauth2-token", "/.well-known/", "/api/", "/admin/api/")
MACHINE_PATHS = frozenset(("/api", "/admin/api", "/healthz", "/readyz"))


def is_machine_path(path: str) -> bool:
    """Whether a path serves machine-to-machine clients rather than browsers of the back-office."""
    return path.startswith(MACHINE_PREFIXES) or path in MACHINE_PATHS


class SessionInterface(SecureCookieSessionInterface):
    """Marks the session cookie Secure whenever the request came over HTTPS.

    Machine-to-machine paths get Flask's null session: a back-office cookie never authenticates
    an API call or a token request, no Set-Cookie can leave their answers, and they skip the
    cookie's signature check and serialization (a measurable part of these short requests).
    """

    def open_session(self, app, request):
        if is_machine_path(request.path):
            return self.make_null_session(app)
        return super().open_session(app, request)

    def save_session(self, app, session, response) -> None:
        if isinstance(session, NullSession):
            return
        super().save_session(app, session, response)

    def get_cookie_secure(self, app) -> bool:
        return bool(app.config["SESSION_COOKIE_SECURE"] or request.is_secure)


NO_STORE = (("Cache-Control", "no-store"), ("Pragma", "no-cache"))


class MachineResponse(Response):
    """An answer to a machine client, built with every header it needs (machine_response).

    The app-wide after-request hooks leave it as it is: on the token endpoint and the APIs,
    re-reading and re-setting its headers cost more than building them (~13 % of an API call,
    counted in instructions).
    """


def machine_response(body: str, status: int, content_type: str, headers=()) -> MachineResponse:
    """A response no cache keeps, with `headers` and the security headers set once."""
    header_list = [*NO_STORE, *headers, *SECURITY_HEADERS]
    return MachineResponse(body, status=status, headers=header_list, content_type=content_type)


def set_security_headers(response):
    """Only our own scripts and styles, no framing, no MIME sniffing (a view's own value wins)."""
    if isinstance(response, MachineResponse):
        return response  # built with them
    headers = response.headers
    present = {name.lower() for name, _ in headers.items()}
    for name, value in SECURITY_HEADERS:
        if name.lower() not in present:
            headers.add(name, value)
    return response


def init_app(app) -> None:
    """Trust X-Forwarded-* only for the configured number of proxy hops."""
    app.session_interface = SessionInterface()
    hops = int(app.config["TRUSTED_PROXIES"])
    if hops > 0:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)
    app.after_request(set_security_headers)
