"""After login and after switching organization, `next` is followed only to a path on this site
(auth.return_to.same_site_path, the one home of the rule); anything a browser could resolve to
another origin falls back to the default page."""

from urllib.parse import quote

import pytest

from oauthsrv.auth.return_to import same_site_path
from tests.conftest import TEST_PASSWORD

DEFAULT_PAGE = "/admin/profile"
# What browsers strip or fold while parsing a URL, and every way to name another host.
OFFSITE = [
    "/\t/evil.example",  # the tab is dropped: //evil.example
    "/\n/evil.example",
    "/\r/evil.example",
    "/\r\n/evil.example",
    "\t//evil.example",
    " //evil.example",
    "//evil.example",
    "///evil.example",
    "/\\evil.example",
    "\\\\evil.example",
    "/\\/evil.example",
    "https://evil.example/",
    "HTTPS://evil.example/",
    "https:evil.example",
    "javascript:alert(1)",
    "data:text/html,x",
    "evil.example",
    "/\x00/evil.example",
    "/\x0b/evil.example",
    "/\x1f/evil.example",
    "/\x7f/evil.example",
    "/\u0085/evil.example",  # NEL: a C1 control
    "/\u200b/evil.example",  # zero-width space
    "/\u2028/evil.example",  # line separator
    "/\u202e/evil.example",  # right-to-left override
    "/\ufeff/evil.example",
    "/\u3000/evil.example",  # ideographic space
    "",
]
ONSITE = [
    "/admin/profile?name=a//b",
    "/admin/users",
    "/admin/profile/applications?page=2&status=active",
    "/admin/profile?name=Gr%C3%B6%C3%9Fe",
]


@pytest.mark.parametrize("target", OFFSITE)
def test_offsite_targets_are_refused(target):
    assert same_site_path(target) is None


@pytest.mark.parametrize("target", ONSITE)
def test_same_site_paths_are_kept(target):
    assert same_site_path(target) == target


@pytest.mark.parametrize("target", OFFSITE)
def test_login_falls_back_to_the_default_page(client, owner, target):
    answer = client.post(
        "/admin/login?next=" + quote(target, safe=""),
        data={"email": owner.email, "password": TEST_PASSWORD},
    )
    assert answer.status_code == 302
    assert answer.headers["Location"] == DEFAULT_PAGE


def test_the_reported_login_vector_falls_back(client, owner):
    """`POST /admin/login?next=%2F%09%2Fevil.example` answered `Location: //evil.example`."""
    answer = client.post(
        "/admin/login?next=%2F%09%2Fevil.example",
        data={"email": owner.email, "password": TEST_PASSWORD},
    )
    assert answer.headers["Location"] == DEFAULT_PAGE


@pytest.mark.parametrize("target", OFFSITE)
def test_switching_organization_falls_back_to_the_default_page(client, auth, owner, target):
    auth.login(owner.email)
    organization_id = owner.organizations[0].id
    answer = client.post(
        "/admin/switch-organization", data={"organization_id": organization_id, "next": target}
    )
    assert answer.status_code == 302
    assert answer.headers["Location"] == DEFAULT_PAGE


@pytest.mark.parametrize("target", ONSITE)
def test_login_and_switch_follow_same_site_paths(client, auth, owner, target):
    answer = auth._client.post(
        "/admin/login?next=" + quote(target, safe=""),
        data={"email": owner.email, "password": TEST_PASSWORD},
    )
    assert answer.headers["Location"] == target
    data = {"organization_id": owner.organizations[0].id, "next": target}
    assert client.post("/admin/switch-organization", data=data).headers["Location"] == target
