"""`flask --app wsgi oauth …`: signing keys and applications for operators."""

import click
from flask.cli import AppGroup

from ..services import keys

oauth_cli = AppGroup("oauth", help="OAuth keys and applications.")
keys_cli = AppGroup("keys", help="Signing keys.")
oauth_cli.add_command(keys_cli)


@keys_cli.command("generate")
@click.option("--force", is_flag=True, help="Replace existing keys.")
def keys_generate(force):
    """Generate the RSA key pair that signs access tokens."""
    try:
        private_path, public_path = keys.generate_keys(force=force)
    except keys.KeysError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"Keys written: {private_path} (private, mode 0600), {public_path}")
