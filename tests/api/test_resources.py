"""The resources of both APIs, called with real clients and tokens from the served app."""

import pytest
from api_helpers import BACKEND_SCOPES, JSON_API, call, credentials

from oauthsrv.extensions import db


def test_backend_me_is_the_owner_in_the_applications_organization(
    live_server, backend, token_for, owner
):
    response = call(live_server.url, "/admin/api/me", token_for(backend))
    assert response.status_code == 200
    assert response.headers["Content-Type"] == JSON_API
    assert response.headers["Cache-Control"] == "no-store"
    assert "Set-Cookie" not in response.headers
    body = response.json()
    assert body["data"]["type"] == "users" and body["data"]["id"] == str(owner.id)
    assert body["data"]["attributes"]["email"] == "owner@example.com"
    assert body["data"]["attributes"]["name"] == "Olivia Owner"
    assert "passwordHash" not in body["data"]["attributes"]
    organization = backend.application.organization
    relationship = body["data"]["relationships"]["organization"]["data"]
    assert relationship == {"type": "organizations", "id": str(organization.id)}
    assert body["included"][0]["attributes"]["name"] == "Acme"
    assert body["meta"] == {"clientId": backend.client_id, "scopes": sorted(BACKEND_SCOPES)}


def test_backend_me_reports_the_granted_scopes_only(live_server, backend, token_for):
    token = token_for(backend, scope="profile:read")
    assert call(live_server.url, "/admin/api/me", token).json()["meta"]["scopes"] == [
        "profile:read"
    ]


def test_frontend_me_is_the_customer_user(live_server, frontend, token_for, customer):
    response = call(live_server.url, "/api/me", token_for(frontend))
    assert response.status_code == 200
    assert response.headers["Content-Type"] == JSON_API
    body = response.json()
    assert body["data"]["type"] == "customerusers" and body["data"]["id"] == str(customer.id)
    assert body["data"]["attributes"]["email"] == "customer@example.com"
    assert body["included"][0]["attributes"]["name"] == "Acme"
    assert body["meta"] == {"clientId": frontend.client_id, "scopes": ["customer:read"]}


@pytest.fixture
def staff(make_user):
    """An administrator of Acme, colleagues in Acme, and a stranger in another organization."""
    admin = make_user(email="admin@example.com", orgs=("Acme",), is_admin=True, name="Ada Admin")
    colleagues = [make_user(email=f"c{n}@example.com", orgs=("Acme",)) for n in range(4)]
    stranger = make_user(email="stranger@example.com", orgs=("Elsewhere",))
    return admin, colleagues, stranger


def test_an_administrator_lists_the_members_of_the_tokens_organization(
    live_server, staff, make_application, token_for
):
    admin, colleagues, stranger = staff
    creds = credentials(*make_application(admin, name="Admin sync"))
    body = call(live_server.url, "/admin/api/users", token_for(creds)).json()
    emails = [user["attributes"]["email"] for user in body["data"]]
    assert emails == ["admin@example.com"] + [c.email for c in colleagues]
    assert "stranger@example.com" not in emails
    assert body["meta"]["totalCount"] == 5


def test_users_come_in_pages_with_links(live_server, staff, make_application, token_for):
    admin = staff[0]
    creds = credentials(*make_application(admin, name="Admin sync"))
    token = token_for(creds)
    first = call(live_server.url, "/admin/api/users", token, params={"page[size]": 2}).json()
    assert len(first["data"]) == 2 and first["meta"]["page"] == {"number": 1, "size": 2, "last": 3}
    assert first["links"]["prev"] is None
    second = call(live_server.url, first["links"]["next"][len(live_server.url) :], token).json()
    assert [u["id"] for u in second["data"]] != [u["id"] for u in first["data"]]
    last = call(live_server.url, first["links"]["last"][len(live_server.url) :], token).json()
    assert len(last["data"]) == 1 and last["links"]["next"] is None
    beyond = call(live_server.url, "/admin/api/users", token, params={"page[number]": 9}).json()
    assert beyond["data"] == [] and beyond["meta"]["totalCount"] == 5


@pytest.mark.parametrize(
    "params, parameter",
    [
        ({"page[number]": "0"}, "page[number]"),
        ({"page[number]": "-1"}, "page[number]"),
        ({"page[number]": "two"}, "page[number]"),
        ({"page[number]": "99999999999999999999999"}, "page[number]"),
        ({"page[size]": "0"}, "page[size]"),
        ({"page[size]": "101"}, "page[size]"),
        ({"page[size]": "1.5"}, "page[size]"),
        ({"page[size]": ["2", "3"]}, "page[size]"),
    ],
)
def test_bad_page_parameters_are_400_naming_the_parameter(
    live_server, backend, token_for, params, parameter
):
    response = call(live_server.url, "/admin/api/users", token_for(backend), params=params)
    assert response.status_code == 400
    assert response.headers["Content-Type"] == JSON_API
    assert response.json()["errors"][0]["source"] == {"parameter": parameter}


def test_a_non_administrator_sees_only_themselves(live_server, staff, backend, token_for, owner):
    token = token_for(backend)
    body = call(live_server.url, "/admin/api/users", token).json()
    assert [user["id"] for user in body["data"]] == [str(owner.id)]
    colleague = staff[1][0]
    hidden = call(live_server.url, f"/admin/api/users/{colleague.id}", token)
    assert hidden.status_code == 404
    assert hidden.json()["errors"][0]["detail"] == "Resource not found."
    shown = call(live_server.url, f"/admin/api/users/{owner.id}", token)
    assert shown.status_code == 200 and shown.json()["data"]["attributes"]["email"] == owner.email


@pytest.mark.parametrize("user_id", ["0", "2147483648", "99999999999999999999", "abc", "-1"])
def test_impossible_user_ids_are_404(live_server, backend, token_for, user_id):
    response = call(live_server.url, f"/admin/api/users/{user_id}", token_for(backend))
    assert response.status_code == 404
    assert response.headers["Content-Type"] == JSON_API
    # Our words, the same for every miss; never Werkzeug's "check your spelling" text.
    assert response.json()["errors"][0]["detail"] == "Resource not found."


def test_an_administrator_reads_members_but_not_strangers(
    live_server, staff, make_application, token_for
):
    admin, colleagues, stranger = staff
    token = token_for(credentials(*make_application(admin, name="Admin sync")))
    assert call(live_server.url, f"/admin/api/users/{colleagues[0].id}", token).status_code == 200
    assert call(live_server.url, f"/admin/api/users/{stranger.id}", token).status_code == 404


def test_applications_are_the_owners_in_the_organization_without_secrets(
    live_server, owner, backend, make_user, make_org, make_application, token_for
):
    other_org = make_org("Branch")
    owner.organizations.append(other_org)
    db.session.commit()
    make_application(owner, name="Branch app", organization=other_org)
    make_application(make_user(email="someone@example.com"), name="Not mine")
    make_application(owner, name="Second", is_active=False, scopes=["users:read"])
    response = call(live_server.url, "/admin/api/oauthapplications", token_for(backend))
    assert response.status_code == 200
    body = response.json()
    names = [app["attributes"]["name"] for app in body["data"]]
    assert names == ["Backend integration", "Second"]
    first = body["data"][0]
    assert first["attributes"]["clientId"] == backend.client_id
    assert first["attributes"]["scopes"] == BACKEND_SCOPES
    assert first["attributes"]["lastUsedAt"] is not None  # the token was just issued
    assert body["data"][1]["attributes"]["isActive"] is False
    assert backend.secret not in response.text and "secret" not in response.text.lower()
    assert first["relationships"]["owner"]["data"] == {"type": "users", "id": str(owner.id)}
