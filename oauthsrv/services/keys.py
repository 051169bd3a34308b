"""The RSA key pair that signs access tokens: generation, rotation, loading and the JWKS.

Files: the active pair at OAUTH_PRIVATE_KEY_PATH / OAUTH_PUBLIC_KEY_PATH, and beside the public key
``<name>.previous.json``, the public keys retired by ``oauth keys rotate``, each published until
every token it signed has expired (its ``retire_at``).
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import os
import stat
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from flask import current_app

# cryptography and PyJWT are imported where keys are read, written or published: a command
# that never touches a key starts without them (docs/cli-startup.md).
if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric import rsa

from ..config import starting_a_server

log = logging.getLogger(__name__)


class KeysError(RuntimeError):
    """The key files cannot be written as asked."""


ALGORITHM = "RS256"
# NIST SP 800-57 and RFC 7518 §3.3: RS256 keys of at least 2048 bits. A shorter key (one made by
# hand, or from an old system) is refused like a corrupt one: no token is signed or accepted.
MIN_RSA_BITS = 2048
# Retired keys stay published this long after the last token they signed expires (clock skew).
RETIRE_MARGIN_SECONDS = 60


@dataclass(frozen=True)
class SigningKey:
    private_key: rsa.RSAPrivateKey
    public_key: rsa.RSAPublicKey
    kid: str


@dataclass(frozen=True)
class PublishedKey:
    """A public key that verifies tokens: the active one, or a retired one until `retire_at`."""

    kid: str
    public_key: rsa.RSAPublicKey
    retire_at: float | None = None  # epoch seconds; None for the active key

    def is_live(self, now: float) -> bool:
        return self.retire_at is None or self.retire_at > now

    def jwk(self) -> dict:
        """The public JWK, with `kid`, `alg` and `use`."""
        from jwt.algorithms import RSAAlgorithm

        jwk = RSAAlgorithm.to_jwk(self.public_key, as_dict=True)
        jwk.pop("key_ops", None)  # RFC 7517 §4.3: not together with "use"
        return {**jwk, "kid": self.kid, "alg": ALGORITHM, "use": "sig"}


@dataclass(frozen=True)
class KeySet:
    signing: SigningKey | None
    published: dict[str, PublishedKey]


def key_paths() -> tuple[Path, Path]:
    """The configured private and public key paths (already resolved against the project root)."""
    config = current_app.config
    return Path(config["OAUTH_PRIVATE_KEY_PATH"]), Path(config["OAUTH_PUBLIC_KEY_PATH"])


def _stage(path: Path, data: bytes, mode: int) -> Path:
    """Write `data` to a hidden temporary file beside `path` (flushed to disk); its path.

    A failed write (a full disk) removes the temporary file and raises: the file at `path` is
    never touched, and a half-written file never sits at a path that is loaded.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return Path(tmp)


def _write_atomically(*files: tuple[Path, bytes, int]) -> None:
    """Replace each (path, data, mode) only once every new file is written in full."""
    staged: list[tuple[Path, Path]] = []
    try:
        for path, data, mode in files:
            staged.append((_stage(path, data, mode), path))
    except BaseException:
        for tmp, _ in staged:
            tmp.unlink(missing_ok=True)
        raise
    for tmp, path in staged:
        os.replace(tmp, path)
    _recheck_now()


def previous_keys_path() -> Path:
    """Where retired public keys are kept: beside the public key, `<stem>.previous.json`."""
    public_path = key_paths()[1]
    return public_path.with_name(f"{public_path.stem}.previous.json")


def generate_keys(force: bool = False) -> tuple[Path, Path]:
    """Write a new RSA-2048 key pair; refuse to overwrite existing keys unless forced.

    Replacing keys this way (after a compromise) keeps no previous key: every token dies at once.
    """
    private_path, public_path = key_paths()
    existing = [str(p) for p in (private_path, public_path) if p.exists()]
    if existing and not force:
        raise KeysError(f"Keys already exist ({', '.join(existing)}); use --force to replace them.")
    _write_pair(private_path, public_path)
    if force:
        previous_keys_path().unlink(missing_ok=True)
        _recheck_now()
    log.info("signing keys generated: %s, %s", private_path, public_path)
    return private_path, public_path


def rotate_keys(token_ttl: int) -> SigningKey:
    """Make a new active key; the old public key stays published until its tokens have expired."""
    private_path, public_path = key_paths()
    current = _read_key_pair(private_path, public_path)
    if current is None:
        raise KeysError("No usable signing key to rotate; run `oauth keys generate` first.")
    now = time.time()
    retired = [k for k in _read_previous(previous_keys_path()) if k.is_live(now)]
    retired.append(
        PublishedKey(current.kid, current.public_key, now + token_ttl + RETIRE_MARGIN_SECONDS)
    )
    # The retired key is published before the new one signs anything (replaced first), and
    # nothing is replaced until all three files are written in full.
    _write_atomically(_previous_file(retired), *_new_pair_files(private_path, public_path))
    new = _read_key_pair(private_path, public_path)
    log.info("signing key rotated: %s retired, %s active", current.kid, new.kid)
    return new


def prune_previous_keys() -> int:
    """Drop retired keys whose tokens have all expired; return how many were dropped."""
    path = previous_keys_path()
    keys = _read_previous(path)
    live = [k for k in keys if k.is_live(time.time())]
    if len(live) != len(keys):
        _write_previous(live)
    return len(keys) - len(live)


def _write_previous(keys: list[PublishedKey]) -> None:
    _write_atomically(_previous_file(keys))


def _previous_file(keys: list[PublishedKey]) -> tuple[Path, bytes, int]:
    entries = [
        {"kid": k.kid, "retire_at": k.retire_at, "public_key": _public_pem(k.public_key).decode()}
        for k in keys
    ]
    data = json.dumps({"keys": entries}, indent=2).encode()
    return previous_keys_path(), data, 0o644


def _read_previous(path: Path) -> list[PublishedKey]:
    """Retired keys from the file; a missing file is none, an unreadable one is logged."""
    try:
        entries = json.loads(path.read_bytes())["keys"]
        keys = [_published(entry) for entry in entries]
    except FileNotFoundError:
        return []
    except (OSError, ValueError, TypeError, KeyError) as error:
        log.error("retired OAuth keys unreadable (%s): %s", path, error)
        return []
    return [key for key in keys if key is not None]


def _published(entry: dict) -> PublishedKey | None:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    public_key = serialization.load_pem_public_key(entry["public_key"].encode())
    if not isinstance(public_key, rsa.RSAPublicKey) or public_key.key_size < MIN_RSA_BITS:
        return None
    return PublishedKey(key_id(public_key), public_key, float(entry["retire_at"]))


def _public_pem(public_key: rsa.RSAPublicKey) -> bytes:
    from cryptography.hazmat.primitives import serialization

    return public_key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def _write_pair(private_path: Path, public_path: Path) -> None:
    # Both files are written out before either replaces the current pair: a write that fails
    # (a full disk) leaves the current pair as it was.
    _write_atomically(*_new_pair_files(private_path, public_path))


def _new_pair_files(private_path: Path, public_path: Path) -> list[tuple[Path, bytes, int]]:
    """A new RSA-2048 pair as (path, contents, mode) for _write_atomically."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    private_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private_pem = private_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return [
        (private_path, private_pem, 0o600),
        (public_path, _public_pem(private_key.public_key()), 0o644),
    ]


def key_id(public_key: rsa.RSAPublicKey) -> str:
    """RFC 7638 JWK thumbprint of the public key, used as the `kid`."""
    from jwt.algorithms import RSAAlgorithm

    numbers = json.loads(RSAAlgorithm.to_jwk(public_key))
    canonical = json.dumps(
        {"e": numbers["e"], "kty": "RSA", "n": numbers["n"]}, separators=(",", ":")
    )
    digest = hashlib.sha256(canonical.encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


# Parsing a PEM costs tens of milliseconds, so keys are cached per process and re-read only when
# a file's identity (mtime, size, inode) changes, e.g. after `oauth keys generate` or `rotate`.
# The three stats that notice it run at most every OAUTH_KEYS_RECHECK_SECONDS (they cost ~50 µs of
# a token request in context), and at once after this process wrote key files itself.
_cache: dict = {"stamp": None, "keys": KeySet(None, {}), "recheck_at": 0.0}


def _recheck_now() -> None:
    _cache["recheck_at"] = 0.0


def _stamp(paths: tuple[Path, ...]) -> tuple:
    return (*map(_file_stamp, paths), paths)


def _file_stamp(path: Path):
    try:
        s = os.stat(path)
    except OSError:
        return "missing"
    # st_mode too: a key made readable to others (or unreadable) is read, and judged, again.
    return (s.st_mtime_ns, s.st_size, s.st_ino, s.st_mode)


def _watched_paths() -> tuple[Path, Path, Path]:
    """The three key files, built once per configuration (this runs on every token)."""
    config = current_app.config
    signature = (config["OAUTH_PRIVATE_KEY_PATH"], config["OAUTH_PUBLIC_KEY_PATH"])
    if _cache.get("signature") != signature:
        _cache["paths"] = (*key_paths(), previous_keys_path())
        _cache["signature"] = signature
        _recheck_now()
    return _cache["paths"]


def load_key_set() -> KeySet:
    """The active signing key and every published public key, cached per process."""
    paths = _watched_paths()
    now = time.monotonic()
    if now < _cache["recheck_at"]:
        return _cache["keys"]
    stamp = _stamp(paths)
    if stamp != _cache["stamp"]:
        _cache["keys"] = _read_key_set(*paths)
        _cache["stamp"] = stamp
    _cache["recheck_at"] = now + float(current_app.config["OAUTH_KEYS_RECHECK_SECONDS"])
    return _cache["keys"]


def _read_key_set(private_path: Path, public_path: Path, previous_path: Path) -> KeySet:
    signing = _read_key_pair(private_path, public_path)
    published = {key.kid: key for key in _read_previous(previous_path)}
    if signing is not None:
        published[signing.kid] = PublishedKey(signing.kid, signing.public_key)
    return KeySet(signing, published)


def load_signing_key() -> SigningKey | None:
    """The active signing key, or None (logged once) when the files are missing or unusable."""
    return load_key_set().signing


def public_key_for(kid: str) -> rsa.RSAPublicKey | None:
    """The public key with this `kid` if it is active or retired but still live."""
    key = load_key_set().published.get(kid)
    return key.public_key if key is not None and key.is_live(time.time()) else None


def jwks() -> dict:
    """The JWK Set: the active key and the retired keys still live."""
    now = time.time()
    return {"keys": [k.jwk() for k in load_key_set().published.values() if k.is_live(now)]}


def _read_key_pair(private_path: Path, public_path: Path, retry: bool = True) -> SigningKey | None:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    try:
        private_key = serialization.load_pem_private_key(private_path.read_bytes(), password=None)
        public_key = serialization.load_pem_public_key(public_path.read_bytes())
    except (OSError, ValueError, TypeError) as error:
        log.error("OAuth signing keys unavailable (%s): %s", private_path, error)
        return None
    if not isinstance(private_key, rsa.RSAPrivateKey) or not isinstance(
        public_key, rsa.RSAPublicKey
    ):
        log.error("OAuth signing keys unavailable: %s is not an RSA key pair", private_path)
        return None
    if public_key.key_size < MIN_RSA_BITS:
        log.error(
            "OAuth signing keys unavailable: %s is an RSA-%d key, at least %d bits are required "
            "(`flask --app wsgi oauth keys generate --force` makes an RSA-2048 pair)",
            private_path,
            public_key.key_size,
            MIN_RSA_BITS,
        )
        return None
    if private_key.public_key().public_numbers() != public_key.public_numbers():
        # `generate`/`rotate` replace the two files one after the other: read again once.
        if retry:
            time.sleep(0.05)
            return _read_key_pair(private_path, public_path, retry=False)
        log.error(
            "OAuth signing keys unavailable: %s and %s do not match", private_path, public_path
        )
        return None
    if private_path.stat().st_mode & (stat.S_IRWXG | stat.S_IRWXO):
        log.warning("private key %s is readable by group or others; chmod 600 it", private_path)
    return SigningKey(private_key, public_key, key_id(public_key))


def report_keys_at_start(app) -> None:
    """Say at start, as the first thing logged, when tokens cannot be signed.

    Otherwise the first ERROR would come only when a page or a client first needs the keys.
    Other commands stay quiet: `make run` upgrades the database before it generates the keys.
    """
    if not starting_a_server():
        return
    with app.app_context():
        if load_signing_key() is None:  # _read_key_pair has logged why
            log.error(
                "no usable OAuth signing key: tokens cannot be issued and Add Application is "
                "disabled until `flask --app wsgi oauth keys generate` is run"
            )


def keys_available() -> bool:
    """Whether tokens can be signed (the back-office shows a warning when not)."""
    return load_signing_key() is not None
