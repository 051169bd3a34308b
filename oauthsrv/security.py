"""Cookies, proxies and the security headers every response carries, in both apps."""

from flask import Response, request
from flask.sessions import SecureCookieSessionInterface, SessionInterface
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
NO_STORE = (("Cache-Control", "no-store"), ("Pragma", "no-cache"))
# What every answer of the machine app starts with (MachineResponse).
MACHINE_HEADERS = (*NO_STORE, *SECURITY_HEADERS)
_MACHINE_HEADER_NAMES = tuple(name.lower() for name, _ in MACHINE_HEADERS)


class CookieSessionInterface(SecureCookieSessionInterface):
    """The back-office session: marks the cookie Secure whenever the request came over HTTPS."""

    def get_cookie_secure(self, app) -> bool:
        return bool(app.config["SESSION_COOKIE_SECURE"] or request.is_secure)


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
