"""The operator CLI: success paths and one-line errors with exit status 1."""

import pytest

from oauthsrv.extensions import db
from oauthsrv.models import CustomerUser, Organization, User
from oauthsrv.services.accounts import authenticate, find_user


def count(model):
    return db.session.query(model).count()


def test_orgs_create_with_global_access(runner):
    result = runner.invoke(args=["orgs", "create", "Acme", "--global"])
    assert result.exit_code == 0, result.output
    assert db.session.query(Organization).filter_by(name="Acme").one().is_global_access


def test_users_create_creates_missing_organizations(runner):
    result = runner.invoke(
        args=["users", "create", "--email", "Ann@Example.com", "--password", "long-enough",
              "--name", "Ann", "--org", "Acme", "--org", "Globex", "--admin"]
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    user = find_user("ann@example.com")
    assert user.email == "ann@example.com" and user.is_admin
    assert [org.name for org in user.organizations] == ["Acme", "Globex"]
    assert authenticate("ann@example.com", "long-enough") == user


@pytest.mark.parametrize(
    "args, message",
    [
        (["--password", "short"], "at least 8 characters"),
        (["--password", ""], "at least 8 characters"),
        (["--email", "not-an-email"], "Invalid email address"),
        (["--email", "taken@example.com"], "already exists"),
    ],
)
def test_users_create_refuses_bad_input_and_changes_nothing(runner, make_user, args, message):
    make_user(email="taken@example.com", orgs=("Existing",))
    values = {"--email": "new@example.com", "--password": "long-enough", "--name": "N"}
    values.update(dict(zip(args[::2], args[1::2], strict=True)))
    flat = [item for pair in values.items() for item in pair]
    users_before, orgs_before = count(User), count(Organization)
    result = runner.invoke(args=["users", "create", *flat, "--org", "Brand New Org"])
    assert result.exit_code == 1
    assert message in result.output
    assert len(result.output.strip().splitlines()) == 1
    assert (count(User), count(Organization)) == (users_before, orgs_before)


def test_click_usage_errors_keep_exit_status_2(runner):
    result = runner.invoke(args=["users", "create", "--email", "a@example.com"])
    assert result.exit_code == 2


def create_customer(runner, org: str):
    return runner.invoke(
        args=["customer-users", "create", "--email", "c@example.com", "--name", "C", "--org", org]
    )


def test_customer_users_create_needs_an_existing_organization(runner, make_org):
    result = create_customer(runner, "Nope")
    assert result.exit_code == 1 and "Unknown organization: Nope" in result.output
    assert count(CustomerUser) == 0
    make_org("Acme")
    result = create_customer(runner, "Acme")
    assert result.exit_code == 0, result.output
    assert db.session.query(CustomerUser).one().organization.name == "Acme"


def test_users_deactivate_and_activate(runner, make_user):
    make_user(email="ann@example.com")
    assert runner.invoke(args=["users", "deactivate", "ann@example.com"]).exit_code == 0
    assert authenticate("ann@example.com", "correct-horse-battery") is None
    assert runner.invoke(args=["users", "activate", "ann@example.com"]).exit_code == 0
    assert authenticate("ann@example.com", "correct-horse-battery") is not None
    result = runner.invoke(args=["users", "deactivate", "nobody@example.com"])
    assert result.exit_code == 1 and "Unknown user" in result.output


def test_users_remove_org(runner, make_user):
    make_user(email="ann@example.com", orgs=("Acme", "Globex"))
    result = runner.invoke(args=["users", "remove-org", "ann@example.com", "Globex"])
    assert result.exit_code == 0, result.output
    assert [org.name for org in find_user("ann@example.com").organizations] == ["Acme"]
    # The last organization cannot be removed: a user must belong somewhere.
    result = runner.invoke(args=["users", "remove-org", "ann@example.com", "Acme"])
    assert result.exit_code == 1 and "only organization" in result.output


def test_demo_seed_is_idempotent_and_prints_logins(runner):
    first = runner.invoke(args=["demo", "seed"])
    second = runner.invoke(args=["demo", "seed"])
    assert first.exit_code == second.exit_code == 0
    logins = [line for line in first.output.splitlines() if line.startswith("Demo login: ")]
    assert logins == [line for line in second.output.splitlines() if line.startswith("Demo login")]
    assert len(logins) == 2
    assert (count(User), count(Organization), count(CustomerUser)) == (2, 2, 1)
    admin = find_user("admin@example.com")
    assert len(admin.organizations) == 2 and admin.is_admin
    for line in logins:
        email, password = line.removeprefix("Demo login: ").split(" / ")
        assert authenticate(email, password) is not None


def test_keys_generate_refuses_to_overwrite_without_force(runner, key_paths):
    private_path, _ = key_paths
    before = private_path.read_bytes()
    result = runner.invoke(args=["oauth", "keys", "generate"])
    assert result.exit_code == 1 and "--force" in result.output
    assert private_path.read_bytes() == before
    result = runner.invoke(args=["oauth", "keys", "generate", "--force"])
    assert result.exit_code == 0
    assert private_path.read_bytes() != before
    assert oct(private_path.stat().st_mode & 0o777) == "0o600"
