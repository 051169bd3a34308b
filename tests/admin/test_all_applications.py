"""All OAuth Applications: every owner's applications an administrator manages, with the same
grid, filters, row actions and dialogs as My User's section, plus Owner, Kind and the audit's
figures."""

import re

import pytest
from admin_helpers import HX, text_of, token_request

from oauthsrv.services import accounts, applications

URL = "/admin/oauth-applications"


@pytest.fixture
def apps(make_user, make_org, make_application, customer):
    """Applications of two users and a customer in Acme, and one in Globex."""
    ann = make_user(email="ann@example.com", name="Ann Example", orgs=("Acme",))
    gus = make_user(email="gus@example.com", name="Gus Globex", orgs=("Globex",))
    return {
        "ann": make_application(ann, "Ann's tool")[0],
        "shop": make_application(customer, "Shop feed")[0],
        "gus": make_application(gus, "Gus's tool", organization=make_org("Globex"))[0],
    }


def names(client, query="") -> list[str]:
    html = text_of(client.get(URL + query, headers=HX))
    return sorted(re.findall(r'<td class="app-name">([^<]+)</td>', html))


@pytest.mark.parametrize(
    "method, path",
    [
        ("get", ""),
        ("get", "/{id}/edit"),
        ("post", "/{id}/deactivate"),
        ("post", "/{id}/delete"),
        ("get", "/{id}/regenerate-secret"),
    ],
)
def test_non_administrators_get_403(client, apps, auth, method, path):
    auth.login("ann@example.com")
    response = getattr(client, method)(URL + path.format(id=apps["ann"].id), headers=HX)
    assert response.status_code == 403
    assert applications.find_by_client_id(apps["ann"].client_id).is_active
    assert f'href="{URL}"' not in text_of(client.get("/admin/profile"))


def test_an_administrator_sees_every_owner_in_their_organizations(client, acme_admin, apps):
    assert names(client) == ["Ann&#39;s tool", "Shop feed"]
    html = text_of(client.get(URL))
    assert "All OAuth Applications" in html and "Ann Example" in html and "Cody Customer" in html
    assert "Back-office" in html and "Storefront" in html
    assert "Add Application" not in html  # an application is added from its owner's page
    gus = apps["gus"].id
    for method, action in [("get", "edit"), ("post", "deactivate"), ("post", "delete")]:
        response = getattr(client, method)(f"{URL}/{gus}/{action}", headers=HX)
        assert response.status_code == 404, action
    assert applications.find_by_client_id(apps["gus"].client_id).is_active
    assert client.get(URL + "/new", headers=HX).status_code == 404


def test_a_global_administrator_sees_every_organization(client, root, apps):
    assert names(client) == ["Ann&#39;s tool", "Gus&#39;s tool", "Shop feed"]


def test_owner_and_kind_filters(client, root, apps):
    assert names(client, "?owner=GUS@") == ["Gus&#39;s tool"]
    assert names(client, "?owner=cody") == ["Shop feed"]
    assert names(client, "?kind=frontend") == ["Shop feed"]
    assert names(client, "?kind=backend&name=ann") == ["Ann&#39;s tool"]
    assert names(client, "?kind=other") == ["Ann&#39;s tool", "Gus&#39;s tool", "Shop feed"]
    assert "No applications match these filters." in text_of(
        client.get(URL + "?owner=zzz", headers=HX)
    )


def test_row_actions_work_from_here(client, root, apps):
    ann = apps["ann"]
    response = client.post(f"{URL}/{ann.id}/deactivate", headers=HX)
    assert response.status_code == 200 and "apps-changed" in response.headers["HX-Trigger"]
    assert not applications.find_by_client_id(ann.client_id).is_active
    edit = client.get(f"{URL}/{ann.id}/edit", headers=HX)
    assert edit.status_code == 200 and "Ann&#39;s tool" in text_of(edit)
    response = client.post(f"{URL}/{apps['shop'].id}/delete", headers=HX)
    assert (
        response.status_code == 200
        and applications.find_by_client_id(apps["shop"].client_id) is None
    )


def test_each_row_shows_tokens_of_the_last_24_hours_and_the_last_failure(
    client, root, apps, make_user
):
    user = accounts.find_user("ann@example.com")
    application, secret = applications.create_application(
        user, user.organizations[0], "Busy", created_by="test"
    )
    for _ in range(3):
        token_request(client, application.client_id, secret)
    token_request(client, application.client_id, "bad")
    html = text_of(client.get(URL + "?name=Busy", headers=HX))
    cells = re.findall(r"<td>(.*?)</td>", html, re.S)
    assert "3" in [cell.strip() for cell in cells]
    assert re.search(r"<td><time datetime=\"[^\"]+Z\">", html)  # the last failure's time
    quiet = text_of(client.get(URL + "?name=Ann", headers=HX))
    assert "—" in quiet  # never failed
