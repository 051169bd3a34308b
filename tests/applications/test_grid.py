"""The OAuth Applications section and its grid: columns, filters, sorting, pagination."""

import re

import pytest
from apps_helpers import BASE, HX, text_of

from oauthsrv.extensions import db
from oauthsrv.models import OAuthApplication

# ---- The section and the grid ----


def test_my_user_page_shows_the_section_with_the_users_applications(client, ann, make_application):
    make_application(ann, "Warehouse Sync")
    html = text_of(client.get("/admin/profile"))
    assert "OAuth Applications" in html
    assert "Add Application" in html
    assert "Warehouse Sync" in html
    for column in ("Application Name", "Client ID", "Status", "Last Used", "Created"):
        assert column in html
    # A single-organization user sees neither an Organization column nor its filter.
    assert ">Organization</a>" not in html and 'name="organization"' not in html


def test_organization_column_and_filter_for_users_in_several_organizations(
    client, make_user, auth, make_org, make_application
):
    user = make_user(email="multi@example.com", orgs=("Acme", "Globex"))
    auth.login("multi@example.com")
    make_application(user, "In Globex", organization=make_org("Globex"))
    html = text_of(client.get("/admin/profile"))
    assert ">Organization</a>" in html and 'name="organization"' in html
    assert "<td>Globex</td>" in html


def test_grid_fragment_for_htmx_and_whole_page_otherwise(client, ann, make_application):
    make_application(ann, "Fragmented")
    fragment = client.get(BASE, headers=HX)
    assert fragment.status_code == 200
    assert "HX-Request" in fragment.headers["Vary"]
    assert "<html" not in text_of(fragment) and 'id="apps-grid"' in text_of(fragment)
    assert "Fragmented" in text_of(fragment)
    page = client.get(BASE + "?name=frag")
    assert "<html" in text_of(page) and "Fragmented" in text_of(page)
    # htmx restoring history after a cache miss wants the whole page, not the fragment.
    restore = client.get(BASE, headers={**HX, "HX-History-Restore-Request": "true"})
    assert "<html" in text_of(restore)


def test_last_used_is_empty_until_a_token_is_issued(client, ann, make_application):
    from oauthsrv.models.base import utcnow

    used, _ = make_application(ann, "Used")
    make_application(ann, "Never Used")
    used.last_used_at = utcnow().replace(year=2030, month=1, day=2, hour=3, minute=4)
    db.session.commit()
    html = text_of(client.get(BASE, headers=HX))
    rows = dict(
        re.findall(
            r'class="app-name">([^<]+)</td>.*?</td>\s*<td>.*?</td>\s*<td>(.*?)</td>', html, re.S
        )
    )
    assert "2030-01-02 03:04" in rows["Used"]
    assert rows["Never Used"].strip() == ""


@pytest.mark.parametrize(
    "query, expected",
    [
        ("", ["alpha-one", "Beta", "ALPHA two", "gamma"]),
        ("?name=alpha", ["alpha-one", "ALPHA two"]),
        ("?name=%20ALPHA%20", ["alpha-one", "ALPHA two"]),
        ("?name=%25", []),  # a typed % matches a literal %, not everything
        ("?status=inactive", ["gamma"]),
        ("?status=active&name=a", ["alpha-one", "Beta", "ALPHA two"]),
        ("?status=bogus", ["alpha-one", "Beta", "ALPHA two", "gamma"]),
    ],
)
def test_filters_by_name_and_status(client, ann, make_application, query, expected):
    for name in ("gamma", "ALPHA two", "Beta", "alpha-one"):
        make_application(ann, name, is_active=name != "gamma")
    html = text_of(
        client.get(
            BASE + query + ("&" if "?" in query else "?") + "sort=name&direction=asc", headers=HX
        )
    )
    names = re.findall(r'class="app-name">([^<]+)</td>', html)
    assert sorted(names, key=str.lower) == sorted(expected, key=str.lower)
    if not expected:
        assert "No applications match these filters." in html


def test_filter_by_organization(client, make_user, auth, make_org, make_application):
    user = make_user(email="multi@example.com", orgs=("Acme", "Globex"))
    auth.login("multi@example.com")
    globex = make_org("Globex")
    make_application(user, "Acme App", organization=make_org("Acme"))
    make_application(user, "Globex App", organization=globex)
    html = text_of(client.get(f"{BASE}?organization={globex.id}", headers=HX))
    assert re.findall(r'class="app-name">([^<]+)</td>', html) == ["Globex App"]


def test_sorting_by_name_both_ways(client, ann, make_application):
    for name in ("b", "C", "a"):
        make_application(ann, name)
    up = text_of(client.get(f"{BASE}?sort=name&direction=asc", headers=HX))
    down = text_of(client.get(f"{BASE}?sort=name&direction=desc", headers=HX))
    assert re.findall(r'class="app-name">([^<]+)</td>', up) == ["a", "b", "C"]
    assert re.findall(r'class="app-name">([^<]+)</td>', down) == ["C", "b", "a"]
    assert 'aria-sort="ascending"' in up


def test_pagination_shows_25_per_page_and_clamps_past_the_end(client, ann, app):
    seed_applications(ann, 30)
    first = text_of(client.get(BASE, headers=HX))
    assert len(re.findall(r'class="app-name"', first)) == 25
    assert "1–25 of 30" in first
    last = text_of(client.get(f"{BASE}?page=2", headers=HX))
    assert len(re.findall(r'class="app-name"', last)) == 5 and "26–30 of 30" in last
    beyond = text_of(client.get(f"{BASE}?page=99", headers=HX))
    assert "26–30 of 30" in beyond
    assert "1–25 of 30" in text_of(client.get(f"{BASE}?page=abc", headers=HX))


def seed_applications(user, count: int) -> None:
    """Many applications at once (the service would hash and notify once per row)."""
    for number in range(count):
        db.session.add(
            OAuthApplication(
                name=f"App {number:03d}",
                client_id=f"client-{user.id}-{number}",
                client_secret_hash="hmac-sha256$x",
                owner_user_id=user.id,
                organization_id=user.organizations[0].id,
            )
        )
    db.session.commit()
