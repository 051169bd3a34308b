"""In-process cost of Authlib's ready-made pieces against ours, on the hot paths (docs/tokens.md).

    .venv/bin/python scripts/authlib_pieces.py [rounds]
    PIECE=all valgrind --tool=callgrind --toggle-collect=starmap_next \
        --dump-before=binascii_crc_hqx .venv/bin/python scripts/authlib_pieces.py 50

Prints µs per call (best of 7 runs of `rounds` calls, so other processes' load weighs least), or
with PIECE set (a name, or "all") runs each piece `rounds` times inside itertools.starmap, so
callgrind collecting only inside starmap_next counts exactly those calls, one profile dump per
piece in the order printed (instructions per call = Ir / rounds, independent of the load):
RS256 signing (PyJWT, ours, vs Authlib's RFC 9068 JWTBearerTokenGenerator over joserfc),
verification (ours, remembered and cold, vs Authlib's JWTBearerTokenValidator), Bearer
authentication of a request (bearer.authenticate vs Authlib's Flask ResourceProtector around the
same verification) and client authentication (our uniform check, registered with Authlib's
register_client_auth_method). SQLite file in a temporary directory, throwaway keys.
"""

import binascii
import itertools
import os
import sys
import tempfile
import timeit
from pathlib import Path

from authlib.integrations.flask_oauth2 import ResourceProtector
from authlib.oauth2.rfc6750 import BearerTokenValidator
from authlib.oauth2.rfc9068 import JWTBearerTokenGenerator, JWTBearerTokenValidator
from flask import request
from flask_migrate import upgrade
from joserfc.jwk import RSAKey

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from oauthsrv import create_app, machine_app_of  # noqa: E402
from oauthsrv.api import bearer  # noqa: E402
from oauthsrv.extensions import db  # noqa: E402
from oauthsrv.models.oauth import BACKEND  # noqa: E402
from oauthsrv.oauth import requests as oauth_requests  # noqa: E402
from oauthsrv.oauth.server import AUTH_METHODS, current_server  # noqa: E402
from oauthsrv.services import (  # noqa: E402
    accounts,
    applications,
    client_state,
    keys,
    token_minting,
    token_verification,
    tokens,
)

ROUNDS = int(sys.argv[1]) if len(sys.argv) > 1 else 300
PIECE = os.environ.get("PIECE")


class Figures(dict):
    """Measures a piece when it is asked for (all of them unless PIECE names one)."""

    def __setitem__(self, name, function):
        if PIECE is None:
            value = min(timeit.repeat(function, number=ROUNDS, repeat=7)) / ROUNDS * 1e6
            super().__setitem__(name, value)
        elif PIECE in (name, "all"):
            function()  # warm: caches filled, statements compiled
            list(itertools.starmap(function, itertools.repeat((), ROUNDS)))
            binascii.crc_hqx(b"", 0)  # --dump-before=binascii_crc_hqx: one profile per piece
            print("measured:", name, flush=True)


class Generator(JWTBearerTokenGenerator):
    """Authlib's RFC 9068 generator with our key, imported once (not per token)."""

    def __init__(self, issuer, key, extra):
        super().__init__(issuer)
        self.key, self.extra = key, extra

    def get_jwks(self):
        return self.key

    def get_audiences(self, client, user, scope):
        return self.extra["aud"]

    def get_extra_claims(self, client, grant_type, user, scope):
        return {"org_id": self.extra["org_id"], "gen": self.extra["gen"]}


class Validator(JWTBearerTokenValidator):
    def __init__(self, issuer, audience, key):
        super().__init__(issuer, audience)
        self.key = key

    def get_jwks(self):
        return self.key


class OurVerification(BearerTokenValidator):
    """ResourceProtector around our own verification (signature remembered, one read)."""

    def authenticate_token(self, token_string):
        issuer = tokens.current_issuer()
        return token_verification.verify_access_token(
            token_string, tokens.audience_for(BACKEND, issuer), with_owner=True, issuer=issuer
        )

    def validate_token(self, token, scopes, request):
        pass


def main() -> None:
    directory = Path(tempfile.mkdtemp())
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{directory / 'bench.db'}",
            "SECRET_KEY": "bench",
            "OAUTH_ISSUER": "http://localhost",  # a server does not start without one
            "OAUTH_PRIVATE_KEY_PATH": str(directory / "private.key"),
            "OAUTH_PUBLIC_KEY_PATH": str(directory / "public.key"),
            "MAIL_FILE_DIRECTORY": str(directory / "mail"),
        }
    )
    with app.app_context():
        upgrade()
        keys.generate_keys()
        owner = accounts.create_user("owner@example.com", "correct-horse-battery", "O", ["Acme"])
        application, secret = applications.create_application(
            owner, owner.organizations[0], "Bench", created_by="bench"
        )
        client_id = application.client_id
    machine = machine_app_of(app)
    base = "http://localhost"
    with machine.test_request_context("/oauth2-token", base_url=base):
        state = client_state.load_client_state(client_id)
        signing = keys.load_signing_key()
        scope = state.scopes
        issued = token_minting.issue_access_token(state, scope)["access_token"]
        audience = tokens.audience_for(BACKEND)
        claims = token_verification.decode_access_token(issued, audience)
        key = RSAKey.import_key(signing.private_key)
        public = RSAKey.import_key(keys.public_key_for(signing.kid))
        generator = Generator(base, key, claims)
        validator = Validator(base, audience, public)
        client = current_server().query_client(client_id)
        figures = Figures()
        figures["sign: ours (PyJWT)"] = lambda: token_minting.issue_access_token(state, scope)
        figures["sign: Authlib JWTBearerTokenGenerator"] = lambda: generator.access_token_generator(
            client, "client_credentials", None, scope
        )

        def cold():
            token_verification._verified_claims.cache_clear()
            return token_verification.decode_access_token(issued, audience)

        def authlib_verify():
            token = validator.authenticate_token(issued)
            validator.validate_token(token, ["profile:read"], None)

        decode = token_verification.decode_access_token
        figures["verify: ours, remembered"] = lambda: decode(issued, audience)
        figures["verify: ours, cold (PyJWT)"] = cold
        figures["verify: Authlib JWTBearerTokenValidator"] = authlib_verify
    headers = {"Authorization": f"Bearer {issued}"}
    protector = ResourceProtector()
    protector.register_token_validator(OurVerification())
    with machine.test_request_context("/admin/api/me", base_url=base, headers=headers):
        figures["bearer: ours (authenticate + read)"] = lambda: bearer.authenticate(BACKEND)
        figures["bearer: ResourceProtector (same check)"] = lambda: protector.acquire_token(
            ["profile:read"]
        )
        # The wrappers alone: the same verified token, without signature check or read.
        verified = bearer.authenticate(BACKEND)
        real = token_verification.verify_access_token
        fake = lambda *a, **k: verified  # noqa: E731
        bearer.verify_access_token = token_verification.verify_access_token = fake
        try:
            figures["bearer wrapper only: ours"] = lambda: bearer.authenticate(BACKEND)
            figures["bearer wrapper only: ResourceProtector"] = lambda: protector.acquire_token(
                ["profile:read"]
            )
        finally:
            bearer.verify_access_token = token_verification.verify_access_token = real
    body = {"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret}
    with machine.test_request_context("/oauth2-token", base_url=base, method="POST", data=body):
        server = current_server()

        oauth_request = oauth_requests.parse(request._get_current_object())
        figures["client auth: server.authenticate_client"] = lambda: server.authenticate_client(
            oauth_request, AUTH_METHODS
        )
    for name, value in figures.items() if PIECE is None else ():
        print(f"{name:58s} {value:8.1f} µs")
    with app.app_context():
        db.engine.dispose()


if __name__ == "__main__":
    main()
