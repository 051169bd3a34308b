"""Forging access tokens for the tests: each helper makes exactly one kind of flaw possible."""

import base64
import hashlib
import hmac
import json

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from oauthsrv.services import keys

# Marks a claim or header to leave out of a forged token.
DROP = object()
# A well-formed RSA key that is not ours.
OTHER_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)


def without_dropped(values: dict) -> dict:
    return {name: value for name, value in values.items() if value is not DROP}


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def sign(claims: dict, headers: dict | None = None, key=None, algorithm="RS256") -> str:
    """Sign with our private key (or `key`) and the header a real token has, plus overrides."""
    signing = keys.load_signing_key()
    header = without_dropped({"typ": "at+jwt", "kid": signing.kid, **(headers or {})})
    return jwt.encode(claims, key or signing.private_key, algorithm=algorithm, headers=header)


def unsigned(header: dict, claims: dict, signature: bytes = b"") -> str:
    """A compact JWS with whatever header, claims and signature bytes."""
    return f"{b64(json.dumps(header).encode())}.{b64(json.dumps(claims).encode())}.{b64(signature)}"


def alg_none(claims: dict) -> str:
    """An unsigned token claiming `alg: none`."""
    return unsigned({"alg": "none", "typ": "at+jwt", "kid": keys.load_signing_key().kid}, claims)


def hs256_keyed_with_public_key(claims: dict) -> str:
    """The algorithm-confusion attack: HMAC keyed with our published public key (PEM)."""
    signing = keys.load_signing_key()
    header = {"alg": "HS256", "typ": "at+jwt", "kid": signing.kid}
    pem = signing.public_key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    signing_input = f"{b64(json.dumps(header).encode())}.{b64(json.dumps(claims).encode())}"
    return f"{signing_input}.{b64(hmac.new(pem, signing_input.encode(), hashlib.sha256).digest())}"
