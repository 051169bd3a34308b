"""Cookies, proxies and the security headers every response carries, in both apps."""

from flask import Flask, Response, request
from flask.sessions import SecureCookieSessionInterface, SessionInterface
from werkzeug.middleware.proxy_fix import ProxyFix

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
SECURITY_HEADERS = (
    ("Content-Security-Policy", CONTENT_SECURITY_POLICY),
    ("X-Frame-Options", "DENY"),
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "same-origin"),
)
# On every answer over HTTPS (as seen through TRUSTED_PROXIES), from both apps (StrictTransport).
# No includeSubDomains: other hosts of the domain are not ours to decide for.
HSTS = ("Strict-Transport-Security", "max-age=31536000")
# Over HTTPS the session cookie takes this prefix: browsers then accept it only when Secure,
# with Path=/ and no Domain, so no sibling subdomain or plain-HTTP page can set or shadow it.
HOST_PREFIX = "__Host-"
NO_STORE = (("Cache-Control", "no-store"), ("Pragma", "no-cache"))
# What every answer of the machine app starts with (MachineResponse).
MACHINE_HEADERS = (*NO_STORE, *SECURITY_HEADERS)
_MACHINE_HEADER_NAMES = tuple(name.lower() for name, _ in MACHINE_HEADERS)


class CookieSessionInterface(SecureCookieSessionInterface):
    """The back-office session: over HTTPS (or with SESSION_COOKIE_SECURE) the cookie is Secure
    and named `__Host-<SESSION_COOKIE_NAME>`, with Path=/ and no Domain as the prefix requires."""

    def get_cookie_secure(self, app: Flask) -> bool:
        return bool(app.config["SESSION_COOKIE_SECURE"] or request.is_secure)

    def get_cookie_name(self, app: Flask) -> str:
        name = app.config["SESSION_COOKIE_NAME"]
        return HOST_PREFIX + name if self.get_cookie_secure(app) else name

    def get_cookie_domain(self, app: Flask) -> str | None:
        return None if self.get_cookie_secure(app) else super().get_cookie_domain(app)

    def get_cookie_path(self, app: Flask) -> str:
        return "/" if self.get_cookie_secure(app) else super().get_cookie_path(app)


class StrictTransport:
    """WSGI middleware: HSTS on every HTTPS answer of both apps, whoever built it (a view, an
    error handler, Werkzeug's own errors). Inside ProxyFix, so it sees the client's scheme."""

    def __init__(self, wsgi_app):
        self.wsgi_app = wsgi_app

    def __call__(self, environ, start_response):
        if environ.get("wsgi.url_scheme") != "https":
            return self.wsgi_app(environ, start_response)

        def start_with_hsts(status, headers, exc_info=None):
            if not any(name.lower() == "strict-transport-security" for name, _ in headers):
                headers = [*headers, HSTS]
            return start_response(status, headers, exc_info)

        return self.wsgi_app(environ, start_with_hsts)


class NoSessionInterface(SessionInterface):
    """The machine app's: every request gets Flask's null session and no cookie is ever read or
    written. A back-office cookie sent along is ignored, and no Set-Cookie can leave."""

    def open_session(self, app, request):
        return self.make_null_session(app)

    def save_session(self, app, session, response) -> None:
        """Never called for a null session (Flask checks); nothing to save anyway."""


class MachineResponse(Response):
    """The machine app's response class: never cached, with the security headers, whoever
    builds it (a view, jsonify, an error handler, Flask's automatic OPTIONS answer).

    A header given to the constructor replaces the default of the same name; a view that may be
    cached (discovery) sets its own Cache-Control afterwards (oauth.views.cacheable).
    """

    default_mimetype = "application/json"

    def __init__(self, response=None, status=None, headers=None, *args, **kwargs):
        super().__init__(response, status, _with_machine_headers(headers), *args, **kwargs)


def _with_machine_headers(headers) -> list:
    if not headers:
        return list(MACHINE_HEADERS)
    given = list(headers.items() if hasattr(headers, "items") else headers)
    names = {name.lower() for name, _ in given}
    defaults = [
        header
        for header, lower in zip(MACHINE_HEADERS, _MACHINE_HEADER_NAMES, strict=True)
        if lower not in names
    ]
    return [*defaults, *given]


def machine_response(body: str, status: int, content_type: str, headers=()) -> MachineResponse:
    """A machine answer with `body`, `status` and `headers` besides the defaults."""
    return MachineResponse(body, status=status, headers=headers, content_type=content_type)


def set_security_headers(response):
    """Only our own scripts and styles, no framing, no MIME sniffing (a view's own value wins)."""
    headers = response.headers
    present = {name.lower() for name, _ in headers.items()}
    for name, value in SECURITY_HEADERS:
        if name.lower() not in present:
            headers.add(name, value)
    return response


def init_backoffice(app) -> None:
    """Session cookies and the security headers on every back-office answer."""
    app.session_interface = CookieSessionInterface()
    app.after_request(set_security_headers)


def trust_proxies(app) -> None:
    """Trust X-Forwarded-* for the configured number of proxy hops, in front of both apps."""
    hops = int(app.config["TRUSTED_PROXIES"])
    if hops > 0:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)
