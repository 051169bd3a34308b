"""`flask --app wsgi oauth …`: signing keys and applications for operators.

Application commands go through the same services as the back-office (created_by / actor
"command line"); output is JSON, one object per line, and a secret is printed only by `create`
and `regenerate-secret`.
"""

import json

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import or_, select

from ..cli import fails_cleanly
from ..extensions import db
from ..models import CustomerUser, OAuthApplication, User
from ..services import ValidationError, accounts, applications, keys, tokens

ACTOR = "command line"

oauth_cli = AppGroup("oauth", help="OAuth keys and applications.")
keys_cli = AppGroup("keys", help="Signing keys.")
apps_cli = AppGroup("apps", help="OAuth applications.")
oauth_cli.add_command(keys_cli)
oauth_cli.add_command(apps_cli)


def echo_json(data: dict) -> None:
    click.echo(json.dumps(data))


# -- keys -------------------------------------------------------------------------------------


@keys_cli.command("generate")
@click.option("--force", is_flag=True, help="Replace existing keys (every token dies at once).")
@click.option("--if-missing", is_flag=True, help="Do nothing when both key files exist.")
def keys_generate(force, if_missing):
    """Generate the RSA key pair that signs access tokens."""
    if if_missing and not force and all(path.exists() for path in keys.key_paths()):
        click.echo("Keys present; nothing written.")
        return
    try:
        private_path, public_path = keys.generate_keys(force=force)
    except keys.KeysError as error:
        raise click.ClickException(str(error)) from None
    except OSError as error:  # a full disk, a read-only directory: nothing was replaced
        raise click.ClickException(f"Key files not written ({error.strerror}).") from None
    click.echo(f"Keys written: {private_path} (private, mode 0600), {public_path}")


@keys_cli.command("rotate")
def keys_rotate():
    """Sign with a new key; the previous public key stays published until its tokens expire."""
    try:
        key = keys.rotate_keys(int(current_app.config["OAUTH_ACCESS_TOKEN_TTL"]))
    except keys.KeysError as error:
        raise click.ClickException(str(error)) from None
    except OSError as error:  # a full disk, a read-only directory: nothing was replaced
        raise click.ClickException(f"Key files not written ({error.strerror}).") from None
    click.echo(f"New signing key: {key.kid}")


# -- applications -----------------------------------------------------------------------------


def require_application(client_id: str) -> OAuthApplication:
    """The application with this client id, or a ValidationError."""
    application = applications.find_by_client_id(client_id)
    if application is None:
        raise ValidationError(f"Unknown client id: {client_id}")
    return application


def resolve_owner(email: str, frontend: bool) -> User | CustomerUser:
    """The active back-office user, or with --frontend the customer user, with this email."""
    owner = accounts.find_customer_user(email) if frontend else accounts.find_user(email)
    if owner is None:
        kind = "customer user" if frontend else "user"
        raise ValidationError(f"Unknown {kind}: {email}")
    if not owner.is_active:
        raise ValidationError(f"{email} is inactive.")
    return owner


def resolve_organization(owner, org_name: str | None):
    """The organization named by --org, which the owner must be able to add applications to."""
    if isinstance(owner, CustomerUser):
        if org_name and org_name.strip() != owner.organization.name:
            raise ValidationError(f"{owner.email} belongs to {owner.organization.name}.")
        return owner.organization
    if org_name is None:
        if len(owner.organizations) != 1:
            raise ValidationError(f"{owner.email} is in several organizations; give --org.")
        organization = owner.organizations[0]
    else:
        organization = accounts.require_organization(org_name)
    if organization not in _organizations_open_to(owner):
        raise ValidationError(f"{owner.email} cannot add applications to {organization.name}.")
    return organization


def _organizations_open_to(user: User):
    # Like the back-office: a member of a global-access organization may use every active one.
    global_org = next((o for o in user.organizations if o.is_global_access and o.is_active), None)
    return accounts.organizations_for_new_application(user, global_org)


@apps_cli.command("create")
@click.option("--owner", "owner_email", required=True, help="Owner's email.")
@click.option("--name", required=True, help="Application Name.")
@click.option("--org", help="Organization name (default: the owner's only organization).")
@click.option("--scopes", help="Allowed scopes, space-delimited (default: all of its API).")
@click.option("--inactive", is_flag=True, help="Create the application inactive.")
@click.option("--frontend", is_flag=True, help="Owned by a storefront customer user.")
@fails_cleanly
def apps_create(owner_email, name, org, scopes, inactive, frontend):
    """Create an application and print its client id and secret (shown only this once)."""
    owner = resolve_owner(owner_email, frontend)
    organization = resolve_organization(owner, org)
    application, secret = applications.create_application(
        owner,
        organization,
        name,
        created_by=ACTOR,
        is_active=not inactive,
        scopes=scopes.split() if scopes is not None else None,
    )
    echo_json({"client_id": application.client_id, "client_secret": secret})


@apps_cli.command("list")
@click.option("--owner", "owner_email", help="Only the applications of this owner (email).")
def apps_list(owner_email):
    """List applications, one JSON object per line (no secrets)."""
    query = select(OAuthApplication).order_by(OAuthApplication.created_at, OAuthApplication.id)
    if owner_email:
        email = owner_email.strip().lower()
        query = (
            query.outerjoin(User, User.id == OAuthApplication.owner_user_id)
            .outerjoin(CustomerUser, CustomerUser.id == OAuthApplication.owner_customer_user_id)
            .where(
                or_(db.func.lower(User.email) == email, db.func.lower(CustomerUser.email) == email)
            )
        )
    for application in db.session.scalars(query):
        echo_json(describe(application))


def describe(application: OAuthApplication) -> dict:
    """What `apps list` shows of an application."""
    last_used = application.last_used_at
    return {
        "client_id": application.client_id,
        "name": application.name,
        "organization": application.organization.name,
        "owner": application.owner.email,
        "kind": application.kind,
        "active": application.is_active,
        "last_used_at": last_used.isoformat(timespec="seconds") + "Z" if last_used else None,
    }


@apps_cli.command("activate")
@click.argument("client_id")
@fails_cleanly
def apps_activate(client_id):
    """Activate an application (tokens issued before a deactivation stay dead)."""
    applications.set_application_active(require_application(client_id), True, actor=ACTOR)
    echo_json({"client_id": client_id, "active": True})


@apps_cli.command("deactivate")
@click.argument("client_id")
@fails_cleanly
def apps_deactivate(client_id):
    """Deactivate an application; its tokens stop working at once."""
    applications.set_application_active(require_application(client_id), False, actor=ACTOR)
    echo_json({"client_id": client_id, "active": False})


@apps_cli.command("regenerate-secret")
@click.argument("client_id")
@fails_cleanly
def apps_regenerate_secret(client_id):
    """Replace the client secret and print it; the old secret and tokens stop working."""
    secret = applications.regenerate_secret(require_application(client_id), actor=ACTOR)
    echo_json({"client_id": client_id, "client_secret": secret})


@apps_cli.command("delete")
@click.argument("client_id")
@fails_cleanly
def apps_delete(client_id):
    """Delete an application; its tokens stop working at once."""
    applications.delete_application(require_application(client_id), actor=ACTOR)
    echo_json({"client_id": client_id, "deleted": True})


# -- housekeeping -----------------------------------------------------------------------------


@oauth_cli.command("cleanup")
def cleanup():
    """Remove what has expired: revocation records and retired signing keys."""
    revocations = tokens.purge_expired_revocations()
    retired_keys = keys.prune_previous_keys()
    # Throttling counters need no sweep: Redis expires them, memory:// dies with the process.
    echo_json({"revocations_removed": revocations, "retired_keys_removed": retired_keys})
