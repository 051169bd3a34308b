"""Organizations: permissions, every action, the CLI, and the reactivation rule: tokens issued
before a deactivation stay dead when the organization comes back."""

import re

import pytest
from admin_helpers import api_me, kinds, text_of, token_of, token_request

from oauthsrv.services import accounts

URL = "/admin/organizations"


@pytest.mark.parametrize(
    "method, path",
    [
        ("get", ""),
        ("get", "/new"),
        ("post", "/new"),
        ("get", "/{id}/edit"),
        ("post", "/{id}/edit"),
        ("get", "/{id}/deactivate"),
        ("post", "/{id}/deactivate"),
        ("post", "/{id}/activate"),
    ],
)
def test_non_administrators_get_403_and_change_nothing(client, owner, auth, make_org, method, path):
    acme = make_org("Acme")
    auth.login(owner.email)
    response = getattr(client, method)(URL + path.format(id=acme.id), data={"name": "Hijacked"})
    assert response.status_code == 403
    assert accounts.find_organization("Acme").is_active
    assert accounts.find_organization("Hijacked") is None


@pytest.mark.parametrize(
    "method, path",
    [
        ("get", "/edit"),
        ("post", "/edit"),
        ("get", "/deactivate"),
        ("post", "/deactivate"),
        ("post", "/activate"),
    ],
)
def test_another_organization_is_a_404(client, acme_admin, make_org, method, path):
    globex = make_org("Globex")
    response = getattr(client, method)(f"{URL}/{globex.id}{path}", data={"name": "Mine now"})
    assert response.status_code == 404
    assert accounts.find_organization("Globex").is_active
    assert client.get(f"{URL}/999999/edit").status_code == 404


def test_the_list_shows_the_administered_organizations(client, acme_admin, make_org, owner):
    make_org("Globex")
    html = text_of(client.get(URL))
    assert "Acme" in html and "Globex" not in html
    assert 'href="/admin/organizations"' in html


def test_a_global_administrator_sees_and_creates_with_global_access(client, root, make_org):
    make_org("Globex")
    assert "Globex" in text_of(client.get(URL))
    response = client.post(URL + "/new", data={"name": " Initech ", "is_global_access": "y"})
    assert response.status_code == 303
    initech = accounts.find_organization("Initech")
    assert initech.is_global_access and not root.belongs_to(initech.id)


def test_an_administrator_without_global_access_joins_what_they_create(client, acme_admin):
    response = client.post(URL + "/new", data={"name": "Initech", "is_global_access": "y"})
    assert response.status_code == 303
    initech = accounts.find_organization("Initech")
    assert not initech.is_global_access  # may not open every organization to others
    assert acme_admin.belongs_to(initech.id)
    assert "Initech" in text_of(client.get(URL))


def test_create_and_rename_refuse_a_taken_name(client, root, make_org):
    make_org("Globex")
    response = client.post(URL + "/new", data={"name": "Globex"})
    assert response.status_code == 422 and "already exists" in text_of(response)
    acme = make_org("Acme")
    response = client.post(f"{URL}/{acme.id}/edit", data={"name": "Globex"})
    assert response.status_code == 422 and "already exists" in text_of(response)
    response = client.post(f"{URL}/{acme.id}/edit", data={"name": "Acme Corp"})
    assert response.status_code == 303 and accounts.find_organization("Acme Corp") is not None


def test_deactivate_asks_first_then_stops_tokens(client, root, backend):
    acme = backend.application.organization
    page = client.get(f"{URL}/{acme.id}/deactivate")
    assert "does <strong>not</strong> bring those tokens back" in text_of(page)
    assert acme.is_active  # asking changes nothing
    token = token_of(client, backend.client_id, backend.secret)
    assert api_me(client, token) == 200
    assert client.post(f"{URL}/{acme.id}/deactivate").status_code == 303
    assert api_me(client, token) == 401
    assert token_request(client, backend.client_id, backend.secret).status_code == 401
    assert "organization_deactivated" in kinds()


def test_reactivation_does_not_revive_tokens_issued_before(client, root, backend):
    acme = backend.application.organization
    token = token_of(client, backend.client_id, backend.secret)
    client.post(f"{URL}/{acme.id}/deactivate")
    assert client.post(f"{URL}/{acme.id}/activate").status_code == 303
    assert accounts.get_organization(acme.id).is_active
    assert api_me(client, token) == 401  # still dead
    fresh = token_of(client, backend.client_id, backend.secret)
    assert api_me(client, fresh) == 200  # new tokens work again


def test_a_global_access_organization_coming_back_revives_nothing(
    client, make_user, make_org, make_application
):
    hq = make_org("Headquarters", is_global_access=True)
    make_org("Globex")
    roaming = make_user(email="roaming@example.com", orgs=("Headquarters",))
    application, secret = make_application(roaming, "Roaming", organization=make_org("Globex"))
    own, own_secret = make_application(roaming, "At home", organization=hq)
    token = token_of(client, application.client_id, secret)
    at_home = token_of(client, own.client_id, own_secret)
    accounts.update_organization(hq, "Headquarters", is_global_access=False)
    accounts.update_organization(hq, "Headquarters", is_global_access=True)
    assert api_me(client, token) == 401  # lived on global access: gone for good
    accounts.set_organization_active(hq, False)
    accounts.set_organization_active(hq, True)
    assert api_me(client, at_home) == 401
    assert api_me(client, token_of(client, application.client_id, secret)) == 200


def test_the_global_access_flag_is_only_changed_by_a_global_administrator(
    client, acme_admin, make_org
):
    acme = make_org("Acme")
    client.post(f"{URL}/{acme.id}/edit", data={"name": "Acme", "is_global_access": "y"})
    assert not accounts.find_organization("Acme").is_global_access
    html = text_of(client.get(f"{URL}/{acme.id}/edit"))
    [checkbox] = re.findall(r'<input[^>]*id="is_global_access"[^>]*>', html)
    assert "disabled" in checkbox


def test_cli_deactivates_and_activates(runner, backend):
    result = runner.invoke(args=["orgs", "deactivate", "Acme"])
    assert result.exit_code == 0 and "Organization deactivated: Acme" in result.output
    assert not accounts.find_organization("Acme").is_active
    generation = backend.application.generation
    result = runner.invoke(args=["orgs", "activate", "Acme"])
    assert result.exit_code == 0 and accounts.find_organization("Acme").is_active
    assert backend.application.generation == generation  # activation revives nothing
    result = runner.invoke(args=["orgs", "deactivate", "Nowhere"])
    assert result.exit_code == 1 and "Unknown organization: Nowhere" in result.output
