"""Command line for operators: `flask --app wsgi <group> <command>`.

Organizations, users and demo data here; each area keeps its own group (oauth/cli.py,
applications/cli.py, notifications/cli.py), registered by the factory (register_cli).

Bad input prints a one-line error on stderr and exits 1 (Click's own usage errors exit 2).
"""

import functools
import json

import click
from flask.cli import AppGroup

from .extensions import db
from .services import ValidationError, accounts, demo


def fails_cleanly(command):
    """Turn a ValidationError into a one-line error and exit status 1, with nothing written."""

    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        try:
            return command(*args, **kwargs)
        except ValidationError as error:
            db.session.rollback()
            raise click.ClickException(error.message) from None

    return wrapper


def echo_json(data: dict) -> None:
    """One JSON object per line: what the `oauth …` commands print."""
    click.echo(json.dumps(data))


orgs_cli = AppGroup("orgs", help="Organizations.")
users_cli = AppGroup("users", help="Back-office users.")
customer_users_cli = AppGroup("customer-users", help="Storefront customer users.")
demo_cli = AppGroup("demo", help="Demo data.")


@orgs_cli.command("create")
@click.argument("name")
@click.option("--global", "is_global", is_flag=True, help="Give the organization global access.")
@fails_cleanly
def orgs_create(name, is_global):
    """Create an organization."""
    organization = accounts.create_organization(name, is_global_access=is_global)
    click.echo(f"Organization created: {organization.name}")


@orgs_cli.command("deactivate")
@click.argument("name")
@fails_cleanly
def orgs_deactivate(name):
    """Deactivate an organization (its applications' tokens stop, for good)."""
    accounts.set_organization_active(accounts.require_organization(name), False)
    click.echo(f"Organization deactivated: {name}")


@orgs_cli.command("activate")
@click.argument("name")
@fails_cleanly
def orgs_activate(name):
    """Activate an organization (tokens issued before it was deactivated stay revoked)."""
    accounts.set_organization_active(accounts.require_organization(name), True)
    click.echo(f"Organization activated: {name}")


@users_cli.command("create")
@click.option("--email", required=True)
@click.option("--password", required=True)
@click.option("--name", required=True)
@click.option("--org", "orgs", multiple=True, required=True, help="Organization name (repeatable).")
@click.option("--admin", is_flag=True, help="Make the user an administrator.")
@click.option("--locale", default="en", show_default=True)
@fails_cleanly
def users_create(email, password, name, orgs, admin, locale):
    """Create a back-office user, creating missing organizations."""
    user = accounts.create_user(email, password, name, list(orgs), is_admin=admin, locale=locale)
    click.echo(f"User created: {user.email}")


@users_cli.command("deactivate")
@click.argument("email")
@fails_cleanly
def users_deactivate(email):
    """Deactivate a user (their tokens stop working)."""
    accounts.set_user_active(accounts.require_user(email), False)
    click.echo(f"User deactivated: {email}")


@users_cli.command("activate")
@click.argument("email")
@fails_cleanly
def users_activate(email):
    """Activate a user."""
    accounts.set_user_active(accounts.require_user(email), True)
    click.echo(f"User activated: {email}")


@users_cli.command("set-password")
@click.argument("email")
@fails_cleanly
def users_set_password(email):
    """Set a user's password (asked for twice, not echoed); their login sessions end."""
    user = accounts.require_user(email)
    password = click.prompt("New password", hide_input=True, confirmation_prompt=True)
    accounts.set_password(user, password)
    click.echo(f"Password changed: {user.email} (their sessions have ended)")


@users_cli.command("remove-org")
@click.argument("email")
@click.argument("org")
@fails_cleanly
def users_remove_org(email, org):
    """Remove a user from an organization."""
    user = accounts.require_user(email)
    accounts.remove_user_from_organization(user, accounts.require_organization(org))
    click.echo(f"User {email} removed from {org}")


@customer_users_cli.command("create")
@click.option("--email", required=True)
@click.option("--name", required=True)
@click.option("--org", required=True, help="Name of an existing organization.")
@click.option("--locale", default="en", show_default=True)
@fails_cleanly
def customer_users_create(email, name, org, locale):
    """Create a storefront customer user."""
    customer = accounts.create_customer_user(email, name, org, locale=locale)
    click.echo(f"Customer user created: {customer.email}")


@demo_cli.command("seed")
@fails_cleanly
def demo_seed():
    """Create the demo organizations and users if missing, and print their logins."""
    for email, password in demo.seed():
        click.echo(f"Demo login: {email} / {password}")


# The groups of this module; the factory registers them with the other areas' (register_cli).
COMMANDS = [orgs_cli, users_cli, customer_users_cli, demo_cli]
