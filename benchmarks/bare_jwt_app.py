"""The floors for the token and JWKS benchmarks: bare Flask endpoints around an RS256 signature.

`POST /token` signs a token of the same shape with the same key and answers the same JSON as
/oauth2-token, none of the work around it (no parsing rules, no client authentication, no
throttling, no logging). `POST /token-read` first reads the client's row the way every token
request must (benchmarks/bare_read.py). `GET /jwks` answers the public key as a JWK Set built
once at start-up. Key paths from BENCH_PRIVATE_KEY and BENCH_PUBLIC_KEY.
"""

import json
import os
import secrets
import time

import jwt
from cryptography.hazmat.primitives import serialization
from flask import Flask, Response, abort, jsonify

from benchmarks.bare_read import read_client

with open(os.environ["BENCH_PRIVATE_KEY"], "rb") as handle:
    PRIVATE_KEY = serialization.load_pem_private_key(handle.read(), password=None)
with open(os.environ["BENCH_PUBLIC_KEY"], "rb") as handle:
    _jwk = json.loads(
        jwt.algorithms.RSAAlgorithm.to_jwk(serialization.load_pem_public_key(handle.read()))
    )
JWKS = json.dumps({"keys": [{**_jwk, "kid": "bench", "use": "sig", "alg": "RS256"}]})

app = Flask(__name__)


def signed(client_id: str, scope: str):
    """Sign a token shaped like ours and answer like the token endpoint."""
    now = int(time.time())
    claims = {
        "iss": "http://127.0.0.1",
        "sub": client_id,
        "aud": "http://127.0.0.1/admin/api",
        "exp": now + 3600,
        "iat": now,
        "nbf": now,
        "jti": secrets.token_urlsafe(16),
        "client_id": client_id,
        "scope": scope,
        "org_id": 1,
        "gen": 1,
    }
    headers = {"typ": "at+jwt", "kid": "bench"}
    access_token = jwt.encode(claims, PRIVATE_KEY, algorithm="RS256", headers=headers)
    return jsonify(token_type="Bearer", expires_in=3600, access_token=access_token, scope=scope)


@app.post("/token")
def token():
    """Only the signature."""
    return signed("bench-client", "profile:read users:read applications:read")


@app.post("/token-read")
def token_read():
    """The one read of the client's row, then the signature."""
    row = read_client()
    if row is None or not row[4]:  # unknown or inactive
        abort(401)
    return signed(row[1], row[5])


@app.get("/jwks")
def jwks():
    """The public key set, serialized once."""
    return Response(JWKS, mimetype="application/json")
