"""Client public keys for private_key_jwt (RFC 7523 §2.2): what may be registered and the keys
an assertion is checked against.

Registered: a public key pasted as PEM, a JWK or a JWKS (RSA of at least 2048 bits, EC P-256,
Ed25519), stored as a JWKS document; or a JWKS URL, HTTPS only (plain HTTP on a loopback
address when OAUTH_ALLOW_HTTP_JWKS_URLS is set, for tests). A JWKS URL is fetched with a
timeout and a size bound, cached for OAUTH_JWKS_CACHE_SECONDS, fetched again before that when
an assertion names an unknown `kid`, but at most once per OAUTH_JWKS_MIN_REFETCH_SECONDS.

joserfc and cryptography are imported inside the functions that need them: this module is
imported when the app is created, and `flask --help` has a start-up budget.
"""

import base64
import binascii
import functools
import json
import logging
import threading
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

from flask import current_app

from . import ValidationError, clock

log = logging.getLogger(__name__)

# The signature algorithms each kind of key may be used with; `alg` must be one of its key's.
ALGORITHMS = {
    "RSA": ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512"),
    "EC": ("ES256",),  # P-256 keys only
    # Ed25519 keys only, with RFC 9864's fully-specified name: the older "EdDSA" is deprecated
    # there (joserfc warns on each use) and refused here.
    "OKP": ("Ed25519",),
}
SIGNING_ALGORITHMS = [alg for algs in ALGORITHMS.values() for alg in algs]
MIN_RSA_BITS = 2048
MAX_KEYS = 10
MAX_KEYS_TEXT = 64 * 1024  # a pasted key or a fetched JWKS document, in bytes
MAX_URL_LENGTH = 2048
LOOPBACK_NAMES = frozenset({"localhost"})
# Public members kept from a JWK; anything else (private parts, x5c chains, …) is dropped.
PUBLIC_MEMBERS = {"RSA": ("n", "e"), "EC": ("crv", "x", "y"), "OKP": ("crv", "x")}
KEPT_MEMBERS = ("kid", "use", "alg")
FIELD = "public_keys"


class KeysUnavailable(Exception):
    """The client's keys cannot be had now (JWKS URL down, too big, not a JWKS)."""


# -- what may be registered -------------------------------------------------------------------


def normalize_public_keys(text: str) -> str:
    """A pasted PEM public key, JWK or JWKS as a JWKS document (JSON); else a ValidationError."""
    text = (text or "").strip()
    if not text:
        raise ValidationError("Paste a public key (PEM, JWK or JWKS).", field=FIELD)
    if len(text.encode()) > MAX_KEYS_TEXT:
        raise ValidationError(f"At most {MAX_KEYS_TEXT // 1024} KiB of key data.", field=FIELD)
    if text.startswith("-----BEGIN"):
        keys = [_pem_to_jwk(text)]
    else:
        keys = [_checked_jwk(member) for member in _jwk_members(text)]
    _check_key_ids(keys)
    return json.dumps({"keys": keys}, separators=(",", ":"))


def _jwk_members(text: str) -> list:
    try:
        document = json.loads(text)
    except ValueError:
        raise ValidationError(
            "Not a PEM public key nor JSON (a JWK or a JWKS).", field=FIELD
        ) from None
    if isinstance(document, dict) and "keys" in document:
        members = document["keys"]
        if not isinstance(members, list) or not members:
            raise ValidationError("The JWKS holds no keys.", field=FIELD)
        if len(members) > MAX_KEYS:
            raise ValidationError(f"At most {MAX_KEYS} keys.", field=FIELD)
        return members
    return [document]


def _pem_to_jwk(text: str) -> dict:
    from cryptography.hazmat.primitives import serialization

    try:
        public_key = serialization.load_pem_public_key(text.encode())
    except ValueError:
        raise ValidationError(_pem_problem(text), field=FIELD) from None
    kty = _native_key_type(public_key)
    from joserfc.jwk import import_key

    return _checked_jwk(import_key(public_key, kty).as_dict(private=False))


def _pem_problem(text: str) -> str:
    if "PRIVATE KEY" in text:
        return "This is a private key: paste its public key (keep the private key to yourself)."
    return "Not a PEM public key (-----BEGIN PUBLIC KEY-----)."


def _native_key_type(public_key) -> str:
    """The JWK kty of a cryptography public key that passes the rules; else ValidationError."""
    from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

    if isinstance(public_key, rsa.RSAPublicKey):
        if public_key.key_size < MIN_RSA_BITS:
            raise ValidationError(f"RSA keys need at least {MIN_RSA_BITS} bits.", field=FIELD)
        return "RSA"
    if isinstance(public_key, ec.EllipticCurvePublicKey):
        if not isinstance(public_key.curve, ec.SECP256R1):
            raise ValidationError("EC keys must be on the P-256 curve.", field=FIELD)
        return "EC"
    if not isinstance(public_key, ed25519.Ed25519PublicKey):
        raise ValidationError("Use an RSA, EC P-256 or Ed25519 key.", field=FIELD)
    return "OKP"


def _checked_jwk(member) -> dict:
    """A JWK's public members after the rules above; raises ValidationError."""
    if not isinstance(member, dict):
        raise ValidationError("A key must be a JSON object (a JWK).", field=FIELD)
    kty = member.get("kty")
    if kty not in PUBLIC_MEMBERS:
        raise ValidationError("Use an RSA, EC P-256 or Ed25519 key.", field=FIELD)
    if "d" in member:
        raise ValidationError(
            "This is a private key: paste its public key (keep the private key to yourself).",
            field=FIELD,
        )
    _check_jwk_shape(kty, member)
    if member.get("use", "sig") != "sig":
        raise ValidationError('A key for signatures has "use": "sig" (or none).', field=FIELD)
    if "alg" in member and member["alg"] not in ALGORITHMS[kty]:
        raise ValidationError(f"{kty} keys sign with one of: {', '.join(ALGORITHMS[kty])}.", FIELD)
    kept = {name: member[name] for name in (*PUBLIC_MEMBERS[kty], *KEPT_MEMBERS) if name in member}
    if not all(isinstance(value, str) for value in kept.values()):
        raise ValidationError("Every member of a JWK must be a string.", field=FIELD)
    try:
        _import_jwk({"kty": kty, **kept})
    except Exception:  # noqa: BLE001  (joserfc and cryptography raise many kinds for bad keys)
        raise ValidationError("The key's values are not a valid public key.", field=FIELD) from None
    return {"kty": kty, **kept}


def _check_jwk_shape(kty: str, member: dict) -> None:
    # Checked before joserfc sees the key: it would only warn about a short RSA key.
    if kty == "RSA" and _base64url_bits(member.get("n")) < MIN_RSA_BITS:
        raise ValidationError(f"RSA keys need at least {MIN_RSA_BITS} bits.", field=FIELD)
    if kty == "EC" and member.get("crv") != "P-256":
        raise ValidationError("EC keys must be on the P-256 curve.", field=FIELD)
    if kty == "OKP" and member.get("crv") != "Ed25519":
        raise ValidationError("OKP keys must be Ed25519.", field=FIELD)


def _base64url_bits(value) -> int:
    if not isinstance(value, str):
        return 0
    try:
        raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
    except (binascii.Error, ValueError):
        return 0
    return int.from_bytes(raw, "big").bit_length()


def _check_key_ids(keys: list[dict]) -> None:
    kids = [key["kid"] for key in keys if "kid" in key]
    if len(kids) != len(set(kids)):
        raise ValidationError("Two keys have the same kid.", field=FIELD)
    if len(keys) > 1 and len(kids) != len(keys):
        raise ValidationError("With several keys, each needs a kid.", field=FIELD)


def clean_jwks_url(url: str) -> str:
    """A JWKS URL the server may fetch: HTTPS (plain HTTP only on loopback, when allowed)."""
    url = (url or "").strip()
    field = "jwks_url"
    if not url:
        raise ValidationError("Give the JWKS URL.", field=field)
    if len(url) > MAX_URL_LENGTH:
        raise ValidationError(f"At most {MAX_URL_LENGTH} characters.", field=field)
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise ValidationError("Not a valid URL.", field=field) from None
    del port  # read only to validate it
    if not parts.hostname or parts.username or parts.password or parts.fragment:
        raise ValidationError("Give a URL with a host, no user name and no #fragment.", field)
    if parts.scheme == "https":
        return url
    allowed_http = current_app.config.get("OAUTH_ALLOW_HTTP_JWKS_URLS")
    if parts.scheme == "http" and allowed_http and _is_loopback(parts.hostname):
        return url
    raise ValidationError("The JWKS URL must use HTTPS.", field=field)


def _is_loopback(host: str) -> bool:
    import ipaddress

    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def describe_keys(jwks: str | None) -> list[str]:
    """One short line per registered key, for pages and the CLI: "RSA (kid …)"."""
    if not jwks:
        return []
    lines = []
    for key in json.loads(jwks)["keys"]:
        kind = "Ed25519" if key["kty"] == "OKP" else ("EC P-256" if key["kty"] == "EC" else "RSA")
        if key["kty"] == "RSA":
            kind += f" {_base64url_bits(key['n'])}"
        lines.append(f"{kind} (kid {key['kid']})" if "kid" in key else kind)
    return lines


# -- the keys an assertion is checked against -------------------------------------------------


@dataclass(frozen=True)
class ClientKey:
    key: object  # a joserfc key
    kid: str | None
    algorithms: tuple[str, ...]


def _import_jwk(member: dict):
    from joserfc.jwk import import_key

    return import_key(member, member["kty"])


def _client_key(member: dict) -> ClientKey:
    kty = member["kty"]
    algorithms = (member["alg"],) if "alg" in member else ALGORITHMS[kty]
    return ClientKey(_import_jwk(member), member.get("kid"), algorithms)


@functools.lru_cache(maxsize=512)
def registered_keys(jwks: str) -> tuple[ClientKey, ...]:
    """The keys of a stored JWKS document, imported once per process (the text is the key)."""
    return tuple(_client_key(member) for member in json.loads(jwks)["keys"])


def select_key(keys: tuple[ClientKey, ...], kid, alg) -> object | None:
    """The key an assertion's header names: by `kid` when given, else the only key fit for
    `alg`; None when there is none, or when `alg` does not fit the key."""
    if kid is not None:
        candidates = [key for key in keys if key.kid == kid]
    else:
        candidates = [key for key in keys if alg in key.algorithms]
    if len(candidates) != 1 or alg not in candidates[0].algorithms:
        return None
    return candidates[0].key


def has_kid(keys: tuple[ClientKey, ...], kid) -> bool:
    return kid is None or any(key.kid == kid for key in keys)


# -- JWKS URLs --------------------------------------------------------------------------------


@functools.cache
def _opener():
    """urllib without redirects (a redirect could lead from HTTPS to anywhere: the registered
    URL must answer itself); built on first use, as urllib.request costs start-up time."""
    import urllib.request

    class NoRedirects(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    return urllib.request.build_opener(NoRedirects)


def fetch_jwks(url: str) -> tuple[ClientKey, ...]:
    """GET the JWKS at `url` within the time and size bounds; its usable signing keys."""
    import urllib.error
    import urllib.request

    config = current_app.config
    deadline = time.monotonic() + float(config["OAUTH_JWKS_TIMEOUT"])
    request = urllib.request.Request(
        url, headers={"Accept": "application/json", "User-Agent": "oauthsrv"}
    )
    try:
        with _opener().open(request, timeout=float(config["OAUTH_JWKS_TIMEOUT"])) as response:
            if response.status != 200:
                raise KeysUnavailable(f"HTTP {response.status}")
            body = _read_bounded(response, deadline)
    except (OSError, urllib.error.URLError, ValueError) as error:
        raise KeysUnavailable(type(error).__name__) from None
    return _usable_keys(body)


def _read_bounded(response, deadline: float) -> bytes:
    chunks, size = [], 0
    while chunk := response.read(8192):
        size += len(chunk)
        if size > MAX_KEYS_TEXT:
            raise KeysUnavailable("JWKS larger than the limit")
        if time.monotonic() > deadline:
            raise KeysUnavailable("JWKS too slow")
        chunks.append(chunk)
    return b"".join(chunks)


def _usable_keys(body: bytes) -> tuple[ClientKey, ...]:
    """The signing keys of a fetched JWKS; keys we do not accept (enc, other curves) skipped."""
    try:
        members = json.loads(body)["keys"]
    except (ValueError, KeyError, TypeError):
        raise KeysUnavailable("not a JWKS document") from None
    if not isinstance(members, list):
        raise KeysUnavailable("not a JWKS document")
    keys = []
    for member in members[:MAX_KEYS]:
        try:
            keys.append(_client_key(_checked_jwk(member)))
        except ValidationError:
            continue
    return tuple(keys)


@dataclass
class _Entry:
    keys: tuple[ClientKey, ...] | None = None
    fetched_at: float = float("-inf")  # clock.timestamp() of the last successful fetch
    tried_at: float = float("-inf")  # of the last attempt, successful or not


class JwksCache:
    """Per process: the keys of each JWKS URL, with a TTL, a refresh on an unknown kid and a
    floor between two fetches of the same URL (so a flood of bad kids cannot flood it)."""

    def __init__(self):
        self.entries: dict[str, _Entry] = {}
        self.lock = threading.Lock()
        self.url_locks: dict[str, threading.Lock] = {}

    def keys(self, url: str, kid) -> tuple[ClientKey, ...]:
        """The keys to check an assertion naming `kid` against; KeysUnavailable if none."""
        entry = self.entries.get(url)
        if entry is None or self._needs_fetch(entry, kid):
            entry = self._refresh(url, kid)
        if entry.keys is None:
            raise KeysUnavailable("JWKS URL not answering")
        return entry.keys

    def _needs_fetch(self, entry: _Entry, kid) -> bool:
        config = current_app.config
        now = clock.timestamp()
        if now - entry.tried_at < float(config["OAUTH_JWKS_MIN_REFETCH_SECONDS"]):
            return False
        stale = now - entry.fetched_at >= float(config["OAUTH_JWKS_CACHE_SECONDS"])
        return stale or entry.keys is None or not has_kid(entry.keys, kid)

    def _refresh(self, url: str, kid) -> _Entry:
        with self.lock:
            url_lock = self.url_locks.setdefault(url, threading.Lock())
        with url_lock:  # one fetch per URL at a time; the others use its result
            entry = self.entries.setdefault(url, _Entry())
            if not self._needs_fetch(entry, kid):
                return entry  # another request fetched it meanwhile, or it is too soon
            entry.tried_at = clock.timestamp()
            try:
                entry.keys = fetch_jwks(url)
                entry.fetched_at = entry.tried_at
            except KeysUnavailable as error:
                # Keys fetched before stay in use: a JWKS host that is down for a while
                # does not lock its clients out while their key has not changed.
                log.warning("JWKS URL %s: %s", url, error)
            return entry


def jwks_cache() -> JwksCache:
    """This app's JWKS cache (the machine app's, as it serves the token endpoint)."""
    return current_app.extensions.setdefault("client_jwks_cache", JwksCache())


def keys_for(client_jwks: str | None, jwks_url: str | None, kid) -> tuple[ClientKey, ...]:
    """The keys an application's assertion naming `kid` is checked against."""
    if client_jwks:
        return registered_keys(client_jwks)
    if jwks_url:
        return jwks_cache().keys(jwks_url, kid)
    raise KeysUnavailable("no key registered")
