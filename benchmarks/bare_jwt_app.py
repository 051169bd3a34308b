"""The floor for the token benchmark: a bare Flask endpoint that only signs an RS256 JWT.

Same key size, same claims and the same JSON answer as /oauth2-token, none of the work around it
(no parsing rules, no client lookup, no throttling, no logging). Key path from BENCH_PRIVATE_KEY.
"""

import os
import secrets
import time

import jwt
from cryptography.hazmat.primitives import serialization
from flask import Flask, jsonify

with open(os.environ["BENCH_PRIVATE_KEY"], "rb") as handle:
    PRIVATE_KEY = serialization.load_pem_private_key(handle.read(), password=None)

app = Flask(__name__)


@app.post("/token")
def token():
    """Sign a token shaped like ours and answer like the token endpoint."""
    now = int(time.time())
    claims = {
        "iss": "http://127.0.0.1",
        "sub": "bench-client",
        "aud": "http://127.0.0.1/admin/api",
        "exp": now + 3600,
        "iat": now,
        "nbf": now,
        "jti": secrets.token_urlsafe(16),
        "client_id": "bench-client",
        "scope": "profile:read users:read applications:read",
        "org_id": 1,
        "gen": 1,
    }
    headers = {"typ": "at+jwt", "kid": "bench"}
    access_token = jwt.encode(claims, PRIVATE_KEY, algorithm="RS256", headers=headers)
    return jsonify(
        token_type="Bearer", expires_in=3600, access_token=access_token, scope=claims["scope"]
    )
