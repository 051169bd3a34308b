"""private_key_jwt (RFC 7523 §2.2, RFC 7521 §4.2): Authlib's JWTBearerClientAssertion with our
keys, audiences, lifetime bound and replay store.

Imported only when a request carries a client assertion (oauth/server.py): Authlib's rfc7523
module brings joserfc and cryptography along, which the app does not need to start.
"""

from authlib.oauth2.rfc6749 import InvalidClientError
from authlib.oauth2.rfc7523 import JWTBearerClientAssertion
from joserfc import jwt
from joserfc.errors import JoseError

from ..models.oauth import PRIVATE_KEY_JWT
from ..services import assertion_replay, client_keys, clock

# Clock skew allowed on exp, nbf and iat, and on top of the lifetime bound below: Authlib's
# client signs exp = iat + 3600, and a client clock a little ahead must not be refused.
LEEWAY = 60
# An assertion may not be valid for longer than this from now (Okta's rule).
MAX_LIFETIME = 3600
MAX_JTI_LENGTH = 256


class PrivateKeyJWT(JWTBearerClientAssertion):
    """Verifies one request's assertion; built per request, with that request's audiences."""

    CLIENT_AUTH_METHOD = PRIVATE_KEY_JWT

    def __init__(self, audiences: list[str]):
        super().__init__(validate_jti=True, leeway=LEEWAY)
        self.audiences = audiences

    def get_audiences(self) -> list[str]:
        return self.audiences

    def resolve_client_public_key(self, client):
        """A key resolver joserfc calls with the assertion's header: kid, then alg, must fit."""
        state = client.state
        if state.client_auth_method != PRIVATE_KEY_JWT:
            raise InvalidClientError(status_code=401)  # an application on a client secret

        def resolve(token):
            header = token.headers()
            kid, alg = header.get("kid"), header.get("alg")
            try:
                keys = client_keys.keys_for(state.client_jwks, state.jwks_url, kid)
            except client_keys.KeysUnavailable:
                raise InvalidClientError(status_code=401) from None
            key = client_keys.select_key(keys, kid, alg)
            if key is None:
                raise InvalidClientError(status_code=401)
            return key

        return resolve

    def process_assertion_claims(self, assertion, resolve_key):
        try:
            token = jwt.decode(assertion, resolve_key, algorithms=client_keys.SIGNING_ALGORITHMS)
        except (JoseError, ValueError, TypeError):
            raise InvalidClientError(status_code=401) from None
        self.verify_claims(token.claims)
        return token.claims

    def verify_claims(self, claims):
        exp = claims.get("exp")
        if not isinstance(exp, int | float) or isinstance(exp, bool):
            raise InvalidClientError(status_code=401)
        if exp > clock.timestamp() + MAX_LIFETIME + LEEWAY:
            raise InvalidClientError(status_code=401)
        jti = claims.get("jti")
        if not isinstance(jti, str) or not 0 < len(jti) <= MAX_JTI_LENGTH:
            raise InvalidClientError(status_code=401)
        super().verify_claims(claims)

    def validate_jti(self, claims, jti) -> bool:
        return assertion_replay.use_once(claims["sub"], jti, claims["exp"])


def authenticate(query_client, request, audiences: list[str]):
    """The Client the request's assertion authenticates; InvalidClientError otherwise."""
    client = PrivateKeyJWT(audiences)(query_client, request)
    if client is None:  # no assertion of the jwt-bearer type
        raise InvalidClientError(status_code=401)
    return client
