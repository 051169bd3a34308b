"""The RSA key pair that signs access tokens: generation, loading and availability."""

import base64
import hashlib
import json
import logging
import os
import stat
import tempfile
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from flask import current_app
from jwt.algorithms import RSAAlgorithm

log = logging.getLogger(__name__)


class KeysError(RuntimeError):
    """The key files cannot be written as asked."""


@dataclass(frozen=True)
class SigningKey:
    private_key: rsa.RSAPrivateKey
    public_key: rsa.RSAPublicKey
    kid: str


def key_paths() -> tuple[Path, Path]:
    """The configured private and public key paths (already resolved against the project root)."""
    config = current_app.config
    return Path(config["OAUTH_PRIVATE_KEY_PATH"]), Path(config["OAUTH_PUBLIC_KEY_PATH"])


def _write_atomically(path: Path, data: bytes, mode: int) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def generate_keys(force: bool = False) -> tuple[Path, Path]:
    """Write a new RSA-2048 key pair; refuse to overwrite existing keys unless forced."""
    private_path, public_path = key_paths()
    existing = [str(p) for p in (private_path, public_path) if p.exists()]
    if existing and not force:
        raise KeysError(f"Keys already exist ({', '.join(existing)}); use --force to replace them.")
    private_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private_pem = private_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    public_pem = private_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    _write_atomically(private_path, private_pem, 0o600)
    _write_atomically(public_path, public_pem, 0o644)
    log.info("signing keys generated: %s, %s", private_path, public_path)
    return private_path, public_path


def key_id(public_key: rsa.RSAPublicKey) -> str:
    """RFC 7638 JWK thumbprint of the public key, used as the `kid`."""
    numbers = json.loads(RSAAlgorithm.to_jwk(public_key))
    canonical = json.dumps(
        {"e": numbers["e"], "kty": "RSA", "n": numbers["n"]}, separators=(",", ":")
    )
    digest = hashlib.sha256(canonical.encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


# Parsing a PEM costs tens of milliseconds, so keys are cached per process and re-read only when
# a file's identity (mtime, size, inode) changes, e.g. after `oauth keys generate`.
_cache: dict = {"stamp": None, "key": None}


def _stamp(paths: tuple[Path, Path]):
    try:
        return tuple((s.st_mtime_ns, s.st_size, s.st_ino) for s in map(os.stat, paths)) + (paths,)
    except OSError:
        return ("missing", paths)


def load_signing_key() -> SigningKey | None:
    """The active signing key, or None (logged once) when the files are missing or unusable."""
    paths = key_paths()
    stamp = _stamp(paths)
    if stamp != _cache["stamp"]:
        _cache["key"] = _read_key_pair(*paths)
        _cache["stamp"] = stamp
    return _cache["key"]


def _read_key_pair(private_path: Path, public_path: Path) -> SigningKey | None:
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
    if private_key.public_key().public_numbers() != public_key.public_numbers():
        log.error(
            "OAuth signing keys unavailable: %s and %s do not match", private_path, public_path
        )
        return None
    if private_path.stat().st_mode & (stat.S_IRWXG | stat.S_IRWXO):
        log.warning("private key %s is readable by group or others; chmod 600 it", private_path)
    return SigningKey(private_key, public_key, key_id(public_key))


def keys_available() -> bool:
    """Whether tokens can be signed (the back-office shows a warning when not)."""
    return load_signing_key() is not None
