"""OAuth applications: credentials, creation and the changes a back-office user or CLI makes."""

import functools
import hashlib
import hmac
import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import func, or_, select

from ..extensions import db
from ..models import CustomerUser, OAuthApplication, Organization, User
from ..models.oauth import BACKEND, CLIENT_SECRET, FRONTEND, PRIVATE_KEY_JWT
from ..signals import application_created, secret_regenerated
from . import ValidationError, audit, client_keys, clock
from .scopes import scopes_for

log = logging.getLogger(__name__)

MAX_NAME_LENGTH = 255
SECRET_HASH_ALGORITHM = "hmac-sha256"


def generate_client_id() -> str:
    """A 192-bit random client id, URL-safe (no ':', '%' or '+'), never starting with '-'.

    A leading '-' (1 id in 64) reads as an option on a command line (`oauth apps deactivate -9…`);
    drawing again keeps every id equally likely among those that qualify. Ids issued before
    this rule keep working: nothing checks the first character of an incoming id.
    """
    while (client_id := secrets.token_urlsafe(24)).startswith("-"):
        pass
    return client_id


def generate_client_secret() -> str:
    """A 256-bit random client secret, URL-safe (no ':', '%' or '+')."""
    return secrets.token_urlsafe(32)


def _pepper() -> bytes:
    configured = current_app.config.get("OAUTH_SECRET_PEPPER")
    if configured:
        return configured.encode()
    return _derived_pepper(current_app.config["SECRET_KEY"])


@functools.lru_cache(maxsize=8)
def _derived_pepper(secret_key: str) -> bytes:
    # Remembered: every token request verifies a secret, and this HMAC never changes.
    return hmac.new(secret_key.encode(), b"oauthsrv client secret pepper", hashlib.sha256).digest()


def hash_client_secret(secret: str) -> str:
    """Keyed hash of a client secret. Secrets are 256-bit random, so a slow hash buys nothing."""
    digest = hmac.new(_pepper(), secret.encode(), hashlib.sha256).hexdigest()
    return f"{SECRET_HASH_ALGORITHM}${digest}"


def verify_client_secret(application: OAuthApplication | None, secret: str) -> bool:
    """Constant-time check of a secret; does the same work when the application is unknown."""
    expected = application.client_secret_hash if application else f"{SECRET_HASH_ALGORITHM}$"
    return hmac.compare_digest(hash_client_secret(secret or ""), expected) and bool(application)


CURRENT = "current"
PREVIOUS = "previous"


def matching_secret(application, secret: str) -> str | None:
    """CURRENT or PREVIOUS: which of the application's secrets this is, else None.

    `application`: an OAuthApplication or a ClientState. One keyed hash and two constant-time
    comparisons whatever the outcome; the previous secret counts until its overlap ends.
    """
    digest = hash_client_secret(secret or "")
    empty = f"{SECRET_HASH_ALGORITHM}$"
    current = application.client_secret_hash if application else empty
    previous = (application.previous_client_secret_hash if application else None) or empty
    is_current = hmac.compare_digest(digest, current)
    is_previous = hmac.compare_digest(digest, previous)
    if application is None:
        return None
    if is_current:
        return CURRENT
    until = application.previous_secret_expires_at
    if is_previous and until is not None and until > clock.now():
        return PREVIOUS
    return None


def find_by_client_id(client_id: str) -> OAuthApplication | None:
    """The application with this client id, if any."""
    return db.session.scalar(select(OAuthApplication).filter_by(client_id=client_id))


def all_applications(owner_email: str | None = None) -> list[OAuthApplication]:
    """Every application by creation, or those of the owner (user or customer user) by email."""
    query = select(OAuthApplication).order_by(OAuthApplication.created_at, OAuthApplication.id)
    if owner_email:
        email = owner_email.strip().lower()
        query = (
            query.outerjoin(User, User.id == OAuthApplication.owner_user_id)
            .outerjoin(CustomerUser, CustomerUser.id == OAuthApplication.owner_customer_user_id)
            .where(or_(func.lower(User.email) == email, func.lower(CustomerUser.email) == email))
        )
    return list(db.session.scalars(query))


def clean_name(name: str | None) -> str:
    """Trim an application name and check its length."""
    name = (name or "").strip()
    if not name:
        raise ValidationError("Application Name is required.", field="name")
    if len(name) > MAX_NAME_LENGTH:
        raise ValidationError(
            f"Application Name must be at most {MAX_NAME_LENGTH} characters.", field="name"
        )
    return name


def clean_scopes(kind: str, scopes: list[str] | None) -> str:
    """Space-delimited allowed scopes; None means every scope of the application's API."""
    available = scopes_for(kind)
    if scopes is None:
        return " ".join(available)
    unknown = sorted(set(scopes) - set(available))
    if unknown:
        raise ValidationError(f"Unknown scope: {', '.join(unknown)}", field="scopes")
    return " ".join(scope for scope in available if scope in scopes)


def _name_taken(owner_column, owner_id: int, organization_id: int, name: str, exclude_id=None):
    query = select(OAuthApplication.id).where(
        owner_column == owner_id,
        OAuthApplication.organization_id == organization_id,
        func.lower(OAuthApplication.name) == name.lower(),
    )
    if exclude_id is not None:
        query = query.where(OAuthApplication.id != exclude_id)
    return db.session.scalar(query.limit(1)) is not None


def _check_name_free(application: OAuthApplication, name: str) -> None:
    owner_column = (
        OAuthApplication.owner_user_id
        if application.kind == BACKEND
        else OAuthApplication.owner_customer_user_id
    )
    owner_id = application.owner_user_id or application.owner_customer_user_id
    if _name_taken(owner_column, owner_id, application.organization_id, name, application.id):
        raise ValidationError(
            "An application with this name already exists in this organization.", field="name"
        )


CLIENT_AUTH_METHODS = {CLIENT_SECRET: "Client secret", PRIVATE_KEY_JWT: "Private key JWT"}


@dataclass(frozen=True)
class ClientAuth:
    """How an application authenticates: its client secret, or private_key_jwt with either
    pasted public keys (PEM, JWK or JWKS) or a JWKS URL."""

    method: str = CLIENT_SECRET
    public_keys: str | None = None
    jwks_url: str | None = None


def clean_client_auth(auth: ClientAuth) -> tuple[str, str | None, str | None]:
    """(method, JWKS document, JWKS URL) to store, after the rules; else a ValidationError."""
    if auth.method == CLIENT_SECRET:
        return CLIENT_SECRET, None, None
    if auth.method != PRIVATE_KEY_JWT:
        raise ValidationError("Choose Client secret or Private key JWT.", "client_auth_method")
    has_keys = bool((auth.public_keys or "").strip())
    if has_keys == bool((auth.jwks_url or "").strip()):
        raise ValidationError("Give either a public key or a JWKS URL.", field="public_keys")
    if has_keys:
        return PRIVATE_KEY_JWT, client_keys.normalize_public_keys(auth.public_keys), None
    return PRIVATE_KEY_JWT, None, client_keys.clean_jwks_url(auth.jwks_url)


def _apply_client_auth(application: OAuthApplication, auth: ClientAuth) -> bool:
    """Set the cleaned client authentication; whether anything changed."""
    method, jwks, url = clean_client_auth(auth)
    before = (application.client_auth_method, application.client_jwks, application.jwks_url)
    application.client_auth_method = method
    application.client_jwks = jwks
    application.jwks_url = url
    return before != (method, jwks, url)


def set_client_auth(application: OAuthApplication, auth: ClientAuth, *, actor: str) -> None:
    """Switch between the client secret and private_key_jwt, or change the registered keys.

    On private_key_jwt the secret is refused (and kept: switching back makes it work again);
    on the secret, assertions are refused. Tokens already issued stay valid.
    """
    if _apply_client_auth(application, auth):
        db.session.commit()
        log.info(
            "%s set the client authentication of application %s to %s%s",
            actor,
            application.client_id,
            application.client_auth_method,
            " (JWKS URL)" if application.jwks_url else "",
        )


def create_application(
    owner: User | CustomerUser,
    organization: Organization,
    name: str,
    *,
    created_by: str,
    is_active: bool = True,
    scopes: list[str] | None = None,
    client_auth: ClientAuth | None = None,
) -> tuple[OAuthApplication, str]:
    """Create an application and return it with its client secret, the only time it exists."""
    kind = FRONTEND if isinstance(owner, CustomerUser) else BACKEND
    application = OAuthApplication(
        kind=kind,
        owner_user_id=owner.id if kind == BACKEND else None,
        owner_customer_user_id=owner.id if kind == FRONTEND else None,
        organization_id=organization.id,
        name=clean_name(name),
        is_active=is_active,
        scopes=clean_scopes(kind, scopes),
        client_id=generate_client_id(),
    )
    _check_name_free(application, application.name)
    _apply_client_auth(application, client_auth or ClientAuth())
    secret = generate_client_secret()
    application.client_secret_hash = hash_client_secret(secret)
    db.session.add(application)
    db.session.flush()
    application_created.send(
        current_app._get_current_object(), application=application, created_by=created_by
    )
    fields = audit.application_fields(application)
    db.session.commit()
    audit.record(audit.APP_CREATED, actor=created_by, **fields)
    log.info(
        "%s created application %s (%s) for %s",
        created_by,
        application.client_id,
        kind,
        owner.email,
    )
    return application, secret


def update_application(
    application: OAuthApplication,
    *,
    actor: str,
    name: str,
    is_active: bool,
    scopes: list[str] | None,
    client_auth: ClientAuth | None = None,
) -> None:
    """Change an application's name, status, allowed scopes and (if given) authentication."""
    name = clean_name(name)
    _check_name_free(application, name)
    new_scopes = clean_scopes(application.kind, scopes)
    if client_auth is not None:
        _apply_client_auth(application, client_auth)
    # Narrowing the scopes or deactivating must not leave older, wider tokens working.
    if not set(application.scope_list) <= set(new_scopes.split()) or (
        application.is_active and not is_active
    ):
        application.generation += 1
    application.name = name
    application.is_active = is_active
    application.scopes = new_scopes
    db.session.commit()
    audit.record(audit.APP_EDITED, actor=actor, **audit.application_fields(application))
    log.info("%s edited application %s", actor, application.client_id)


def set_application_active(application: OAuthApplication, is_active: bool, *, actor: str) -> None:
    """Activate or deactivate; deactivation revokes every token issued so far for good."""
    if application.is_active and not is_active:
        application.generation += 1
    application.is_active = is_active
    db.session.commit()
    event = audit.APP_ACTIVATED if is_active else audit.APP_DEACTIVATED
    audit.record(event, actor=actor, **audit.application_fields(application))
    verb = "activated" if is_active else "deactivated"
    log.info("%s %s application %s", actor, verb, application.client_id)


# How long the previous secret may keep working after a regeneration (the dialog's choices and
# the CLI's --keep-old). Absent: it stops at once.
OVERLAPS = {
    "1h": (timedelta(hours=1), "1 hour"),
    "24h": (timedelta(hours=24), "24 hours"),
    "7d": (timedelta(days=7), "7 days"),
}


def overlap_for(keep_old: str | None) -> timedelta | None:
    """The overlap a --keep-old value or dialog choice names; None or "" means none."""
    if not keep_old:
        return None
    if keep_old not in OVERLAPS:
        choices = ", ".join(OVERLAPS)
        raise ValidationError(f"Keep the old secret for one of: {choices}.", field="keep_old")
    return OVERLAPS[keep_old][0]


def regenerate_secret(
    application: OAuthApplication, *, actor: str, keep_old: str | None = None
) -> str:
    """Replace the client secret; the old one stops now or works on until the overlap ends.

    Stopping now revokes every token issued so far (generation); an overlap revokes none. There
    is at most one previous secret: regenerating during an overlap ends the older one at once.
    """
    overlap = overlap_for(keep_old)
    secret = generate_client_secret()
    if overlap is None:
        application.previous_client_secret_hash = None
        application.previous_secret_expires_at = None
        application.generation += 1
    else:
        application.previous_client_secret_hash = application.client_secret_hash
        application.previous_secret_expires_at = clock.now() + overlap
    application.client_secret_hash = hash_client_secret(secret)
    secret_regenerated.send(
        current_app._get_current_object(),
        application=application,
        actor=actor,
        previous_valid_until=application.previous_secret_expires_at,
    )
    db.session.commit()
    audit.record(audit.SECRET_REGENERATED, actor=actor, **audit.application_fields(application))
    until = application.previous_secret_expires_at
    log.info(
        "%s regenerated the secret of application %s; previous secret %s",
        actor,
        application.client_id,
        f"valid until {until:%Y-%m-%dT%H:%M:%S}Z" if until else "stopped now",
    )
    return secret


def previous_secret_valid_until(application: OAuthApplication) -> datetime | None:
    """When the previous secret stops working, or None when there is none (or it has ended)."""
    until = application.previous_secret_expires_at
    if application.previous_client_secret_hash and until and until > clock.now():
        return until
    return None


def revoke_previous_secret(application: OAuthApplication, *, actor: str) -> bool:
    """End the overlap now: only the current secret works. False if there was nothing to end.

    Tokens already issued stay valid (they cannot tell which secret got them); regenerate
    with "stop now" to revoke them all.
    """
    had_one = previous_secret_valid_until(application) is not None
    application.previous_client_secret_hash = None
    application.previous_secret_expires_at = None
    db.session.commit()
    log.info("%s revoked the previous secret of application %s", actor, application.client_id)
    return had_one


def delete_application(application: OAuthApplication, *, actor: str) -> None:
    """Delete an application; its tokens fail because it no longer exists."""
    client_id = application.client_id
    fields = audit.application_fields(application)
    db.session.delete(application)
    db.session.commit()
    audit.record(audit.APP_DELETED, actor=actor, **fields)
    log.info("%s deleted application %s", actor, client_id)
