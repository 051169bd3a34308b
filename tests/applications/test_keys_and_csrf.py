"""Missing signing keys disable Add and Regenerate; every change needs the CSRF token."""

import re

import pytest
from apps_helpers import BASE, HX, KEYS_MISSING, apps_of, text_of

# ---- Missing signing keys ----


def test_missing_keys_show_the_message_and_disable_add_and_regenerate(
    client, ann, make_application, key_paths
):
    application, _ = make_application(ann, "Still Listed")
    key_paths[0].unlink()
    html = text_of(client.get("/admin/profile"))
    assert KEYS_MISSING in html
    assert '<button class="btn btn-primary" type="button" disabled>Add Application</button>' in html
    assert "Still Listed" in html
    assert f"{BASE}/{application.id}/regenerate-secret" not in html
    refused = client.post(f"{BASE}/new", data={"name": "Nope"}, headers=HX)
    assert refused.status_code == 409 and KEYS_MISSING in text_of(refused)
    regenerate = client.post(f"{BASE}/{application.id}/regenerate-secret", headers=HX)
    assert regenerate.status_code == 409
    assert [app.name for app in apps_of(ann)] == ["Still Listed"]
    # Existing rows can still be edited, deactivated and deleted.
    edit = {"name": "Renamed", "scopes": ["profile:read"], "is_active": "y"}
    assert client.post(f"{BASE}/{application.id}/edit", data=edit, headers=HX).status_code == 200
    assert client.post(f"{BASE}/{application.id}/deactivate", headers=HX).status_code == 200
    assert apps_of(ann)[0].name == "Renamed" and not apps_of(ann)[0].is_active
    assert client.post(f"{BASE}/{application.id}/delete", headers=HX).status_code == 200
    assert apps_of(ann) == []


def test_unreadable_keys_count_as_missing(client, ann, key_paths):
    key_paths[0].write_text("not a key")
    assert KEYS_MISSING in text_of(client.get("/admin/profile"))


# ---- CSRF ----


class TestWithCsrf:
    @pytest.fixture
    def app_config(self, app_config):
        return {**app_config, "WTF_CSRF_ENABLED": True}

    def login(self, client, email):
        page = text_of(client.get("/admin/login"))
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
        data = {"email": email, "password": "correct-horse-battery", "csrf_token": token}
        assert client.post("/admin/login", data=data).status_code == 302

    def test_changes_need_the_token_which_htmx_sends_as_a_header(
        self, client, make_user, make_application
    ):
        user = make_user(email="ann@example.com")
        application, _ = make_application(user, "Guarded")
        self.login(client, "ann@example.com")
        refused = client.post(f"{BASE}/{application.id}/delete", headers=HX)
        assert refused.status_code == 400
        assert client.post(f"{BASE}/new", data={"name": "Forged"}, headers=HX).status_code == 400
        assert [app.name for app in apps_of(user)] == ["Guarded"]
        page = text_of(client.get("/admin/profile"))
        token = re.search(r'hx-headers=\'\{"X-CSRFToken": "([^"]+)"\}\'', page).group(1)
        headers = {**HX, "X-CSRFToken": token}
        assert client.post(f"{BASE}/new", data={"name": "Real"}, headers=headers).status_code == 200
        assert client.post(f"{BASE}/{application.id}/delete", headers=headers).status_code == 200
        assert [app.name for app in apps_of(user)] == ["Real"]
