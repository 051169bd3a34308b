"""`flask --app wsgi oauth apps …`: OAuth applications for operators.

The commands go through the same services as the back-office (created_by / actor "command
line"); output is JSON, one object per line, and a secret is printed only by `create` and
`regenerate-secret`. The factory adds this group under `oauth` (register_cli).
"""

import click
from flask.cli import AppGroup

from ..cli import echo_json, fails_cleanly
from ..models import CustomerUser, OAuthApplication, User
from ..models.oauth import CLIENT_SECRET, PRIVATE_KEY_JWT
from ..services import ValidationError, access, accounts, applications, client_keys

ACTOR = "command line"

apps_cli = AppGroup("apps", help="OAuth applications.")


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
    if organization not in access.organizations_open_to_anywhere(owner):
        raise ValidationError(f"{owner.email} cannot add applications to {organization.name}.")
    return organization


def auth_options(command):
    """--auth, --jwk and --jwks-url, shared by `create` and `set-auth`."""
    command = click.option(
        "--jwks-url", help="private_key_jwt: HTTPS URL of the client's JWKS (fetched, cached)."
    )(command)
    command = click.option(
        "--jwk",
        "jwk_file",
        type=click.File("r"),
        help="private_key_jwt: file with the public key (PEM, JWK or JWKS; - for stdin).",
    )(command)
    return click.option(
        "--auth",
        "method",
        type=click.Choice(list(applications.CLIENT_AUTH_METHODS)),
        default=CLIENT_SECRET,
        show_default=True,
        help="How the application authenticates at the token endpoint.",
    )(command)


def client_auth(method: str, jwk_file, jwks_url: str | None) -> applications.ClientAuth:
    """The --auth options as the service's ClientAuth."""
    if method == CLIENT_SECRET and (jwk_file or jwks_url):
        raise ValidationError("--jwk and --jwks-url go with --auth private_key_jwt.")
    public_keys = jwk_file.read(client_keys.MAX_KEYS_TEXT + 1) if jwk_file else None
    return applications.ClientAuth(method, public_keys, jwks_url)


@apps_cli.command("create")
@click.option("--owner", "owner_email", required=True, help="Owner's email.")
@click.option("--name", required=True, help="Application Name.")
@click.option("--org", help="Organization name (default: the owner's only organization).")
@click.option("--scopes", help="Allowed scopes, space-delimited (default: all of its API).")
@click.option("--inactive", is_flag=True, help="Create the application inactive.")
@click.option("--frontend", is_flag=True, help="Owned by a storefront customer user.")
@auth_options
@fails_cleanly
def apps_create(owner_email, name, org, scopes, inactive, frontend, method, jwk_file, jwks_url):
    """Create an application and print its client id and secret (shown only this once).

    With --auth private_key_jwt no secret is printed: the application signs assertions with
    the private key whose public half --jwk (or --jwks-url) registers.
    """
    auth = client_auth(method, jwk_file, jwks_url)
    owner = resolve_owner(owner_email, frontend)
    organization = resolve_organization(owner, org)
    application, secret = applications.create_application(
        owner,
        organization,
        name,
        created_by=ACTOR,
        is_active=not inactive,
        scopes=scopes.split() if scopes is not None else None,
        client_auth=auth,
    )
    if method == PRIVATE_KEY_JWT:
        echo_json({"client_id": application.client_id, "client_auth_method": method})
    else:
        echo_json({"client_id": application.client_id, "client_secret": secret})


@apps_cli.command("set-auth")
@click.argument("client_id")
@auth_options
@fails_cleanly
def apps_set_auth(client_id, method, jwk_file, jwks_url):
    """Switch between the client secret and private_key_jwt, or change the registered keys."""
    auth = client_auth(method, jwk_file, jwks_url)
    application = require_application(client_id)
    applications.set_client_auth(application, auth, actor=ACTOR)
    echo_json(
        {
            "client_id": client_id,
            "client_auth_method": application.client_auth_method,
            "keys": client_keys.describe_keys(application.client_jwks),
            "jwks_url": application.jwks_url,
        }
    )


@apps_cli.command("list")
@click.option("--owner", "owner_email", help="Only the applications of this owner (email).")
def apps_list(owner_email):
    """List applications, one JSON object per line (no secrets)."""
    for application in applications.all_applications(owner_email):
        echo_json(describe(application))


def describe(application: OAuthApplication) -> dict:
    """What `apps list` shows of an application."""
    last_used = application.last_used_at
    until = applications.previous_secret_valid_until(application)
    return {
        "client_id": application.client_id,
        "name": application.name,
        "organization": application.organization.name,
        "owner": application.owner.email,
        "kind": application.kind,
        "active": application.is_active,
        "last_used_at": iso(last_used),
        "client_auth_method": application.client_auth_method,
        "previous_secret_valid_until": iso(until),
    }


def iso(moment) -> str | None:
    """A naive UTC timestamp as ISO 8601 with Z, or None."""
    return moment.isoformat(timespec="seconds") + "Z" if moment else None


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
@click.option(
    "--keep-old",
    type=click.Choice(list(applications.OVERLAPS)),
    help="Keep the old secret working this long (default: it and the tokens stop now).",
)
@fails_cleanly
def apps_regenerate_secret(client_id, keep_old):
    """Replace the client secret and print it; the old one stops now or after --keep-old."""
    application = require_application(client_id)
    secret = applications.regenerate_secret(application, actor=ACTOR, keep_old=keep_old)
    until = applications.previous_secret_valid_until(application)
    echo_json(
        {"client_id": client_id, "client_secret": secret, "previous_secret_valid_until": iso(until)}
    )


@apps_cli.command("revoke-previous-secret")
@click.argument("client_id")
@fails_cleanly
def apps_revoke_previous_secret(client_id):
    """End an overlap now: only the current secret works from here on."""
    revoked = applications.revoke_previous_secret(require_application(client_id), actor=ACTOR)
    echo_json({"client_id": client_id, "previous_secret_revoked": revoked})


@apps_cli.command("delete")
@click.argument("client_id")
@fails_cleanly
def apps_delete(client_id):
    """Delete an application; its tokens stop working at once."""
    applications.delete_application(require_application(client_id), actor=ACTOR)
    echo_json({"client_id": client_id, "deleted": True})
