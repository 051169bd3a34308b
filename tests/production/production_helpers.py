"""Helpers of the production tests: settings, users, token and API calls, a back-office user."""

import re
import uuid
from pathlib import Path

import psycopg
import requests

from scripts import cluster
from scripts.cluster import PrivatePostgres, app_env, prepare_database

PASSWORD = "production-test-password"


def make_env(tmp_path: Path, database_uri: str, redis_uri: str | None = None, **extra) -> dict:
    env = app_env(tmp_path, database_uri, redis_uri, **extra)
    prepare_database(env)
    return env


def create_user(env: dict, email: str) -> None:
    cluster.create_user(env, email, PASSWORD)


def create_app_for(env: dict, owner: str, name: str = "cli app") -> dict:
    return cluster.create_application(env, owner, name)


def token(base: str, client_id: str, secret: str, **kwargs) -> requests.Response:
    data = {"grant_type": "client_credentials"}
    return requests.post(
        base + "/oauth2-token", data=data, auth=(client_id, secret), timeout=15, **kwargs
    )


def api_me(base: str, access_token: str) -> requests.Response:
    headers = {"Authorization": f"Bearer {access_token}"}
    return requests.get(base + "/admin/api/me", headers=headers, timeout=15)


class BackOfficeUser:
    """A browser-like session on one host's back-office (real login form, CSRF header)."""

    def __init__(self, base: str, email: str):
        self.base, self.email = base, email
        self.http = requests.Session()
        self.csrf = ""

    def login(self) -> "BackOfficeUser":
        page = self.http.get(self.base + "/admin/login", timeout=15)
        csrf = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page.text).group(1)
        data = {"email": self.email, "password": PASSWORD, "csrf_token": csrf}
        answer = self.http.post(self.base + "/admin/login", data=data, timeout=15)
        assert answer.status_code == 200, answer.status_code
        self.refresh_csrf()
        return self

    def refresh_csrf(self) -> None:
        profile = self.http.get(self.base + "/admin/profile", timeout=15)
        self.csrf = re.search(r'"X-CSRFToken": "([^"]+)"', profile.text).group(1)

    def post(self, path: str, data: dict | None = None) -> requests.Response:
        headers = {"X-CSRFToken": self.csrf, "HX-Request": "true"}
        return self.http.post(self.base + path, data, headers=headers, timeout=15)

    def create_application(self, name: str) -> tuple[int, str, str]:
        """(id, client_id, client_secret) of a new application, through the Add dialog."""
        answer = self.post("/admin/profile/applications/new", {"name": name, "is_active": "y"})
        assert answer.status_code == 200, answer.status_code
        values = dict(
            re.findall(r'id="(client-id|client-secret)" type="text" value="([^"]+)"', answer.text)
        )
        return self.app_id(name), values["client-id"], values["client-secret"]

    def app_id(self, name: str) -> int:
        grid = self.http.get(
            self.base + "/admin/profile/applications",
            params={"name": name},
            headers={"HX-Request": "true"},
            timeout=15,
        )
        return int(re.search(r"/applications/(\d+)/deactivate", grid.text).group(1))


def new_database(server: PrivatePostgres) -> str:
    """CREATE DATABASE with a fresh name on `server`; its URI."""
    name = f"t_{uuid.uuid4().hex[:12]}"
    dsn = f"host=127.0.0.1 port={server.port} user=postgres dbname=postgres"
    with psycopg.connect(dsn, autocommit=True) as connection:
        connection.execute(f"CREATE DATABASE {name}")
    return f"postgresql+psycopg://postgres@127.0.0.1:{server.port}/{name}"
