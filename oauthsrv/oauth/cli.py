"""`flask --app wsgi oauth …`: signing keys and housekeeping for operators.

`oauth apps …` lives with the applications area (oauthsrv/applications/cli.py); the factory
adds it to this group (register_cli).
"""

import click
from flask import current_app
from flask.cli import AppGroup

from ..cli import echo_json
from ..services import assertion_replay, audit, keys, token_verification

oauth_cli = AppGroup("oauth", help="OAuth keys and applications.")
keys_cli = AppGroup("keys", help="Signing keys.")
oauth_cli.add_command(keys_cli)


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


# -- housekeeping -----------------------------------------------------------------------------


@oauth_cli.command("cleanup")
def cleanup():
    """Remove what has expired: revocation records, used assertion ids, retired signing keys,
    old audit events."""
    revocations = token_verification.purge_expired_revocations()
    assertion_ids = assertion_replay.purge_expired()
    retired_keys = keys.prune_previous_keys()
    audit_events = audit.prune(int(current_app.config["AUDIT_RETENTION_DAYS"]))
    # Throttling counters need no sweep: Redis expires them, memory:// dies with the process.
    echo_json(
        {
            "revocations_removed": revocations,
            "assertion_ids_removed": assertion_ids,
            "retired_keys_removed": retired_keys,
            "audit_events_removed": audit_events,
        }
    )
