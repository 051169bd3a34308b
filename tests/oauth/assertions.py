"""Client keys and signed assertions for the private_key_jwt tests."""

import base64
import json
import time
import uuid
from functools import cache

from joserfc import jwt
from joserfc.jwk import ECKey, OKPKey, RSAKey

JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"


@cache
def private_key(kind: str, kid: str | None = None):
    """A private joserfc key, generated once per run and name: "RSA", "EC" or "OKP"."""
    parameters = {"kid": kid} if kid else None
    if kind == "RSA":
        return RSAKey.generate_key(2048, parameters=parameters)
    if kind == "EC":
        return ECKey.generate_key("P-256", parameters=parameters)
    return OKPKey.generate_key("Ed25519", parameters=parameters)


def public_jwk(key) -> dict:
    return key.as_dict(private=False)


def public_pem(key) -> str:
    return key.as_pem(private=False).decode()


def claims_for(client_id: str, audience: str, **changes) -> dict:
    """Claims as Authlib's client signs them (exp = iat + 3600), with `changes` applied."""
    now = int(time.time())
    claims = {
        "iss": client_id,
        "sub": client_id,
        "aud": audience,
        "iat": now,
        "exp": now + 3600,
        "jti": uuid.uuid4().hex,
    }
    claims.update(changes)
    return {name: value for name, value in claims.items() if value is not None}


def sign(key, claims: dict, alg: str = "RS256", **header) -> str:
    return jwt.encode({"alg": alg, **header}, claims, key, algorithms=[alg])


def unsigned(claims: dict) -> str:
    """An `alg: none` JWT."""
    return f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64(claims)}."


def hs256_with_public_key(pem: str, claims: dict) -> str:
    """The classic confusion: HMAC keyed with the text of the public key."""
    import hashlib
    import hmac

    signing_input = f"{_b64({'alg': 'HS256', 'typ': 'JWT'})}.{_b64(claims)}"
    digest = hmac.new(pem.encode(), signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{base64.urlsafe_b64encode(digest).rstrip(b'=').decode()}"


def _b64(value: dict) -> str:
    raw = json.dumps(value, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def assertion_body(assertion: str, **extra) -> dict:
    return {
        "grant_type": "client_credentials",
        "client_assertion_type": JWT_BEARER,
        "client_assertion": assertion,
        **extra,
    }
