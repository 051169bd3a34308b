"""The OpenAPI 3.1 description: served, in step with the scopes, and the served app conforms
to it (schemathesis: no 5xx, documented status codes, content types, headers and bodies)."""

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from oauthsrv.api.openapi import openapi_document
from oauthsrv.models.oauth import BACKEND, FRONTEND
from oauthsrv.services.scopes import API_SCOPES

OPENAPI_PATH = "/admin/api/openapi.json"
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    negative_data_rejection,
]
# Bounded: ten (operation, mode) pairs of at most 30 examples each, 300 requests at most.
MAX_EXAMPLES = 30


def test_the_description_is_served_and_lists_every_scope(live_server):
    response = requests.get(live_server.url + OPENAPI_PATH, timeout=10)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    document = response.json()
    assert document["openapi"].startswith("3.1")
    schemes = document["components"]["securitySchemes"]
    for name, kind in [("backend", BACKEND), ("frontend", FRONTEND)]:
        scopes = schemes[name]["flows"]["clientCredentials"]["scopes"]
        assert scopes == API_SCOPES[kind]
    assert {"/oauth2-token", "/admin/api/me", "/api/me"} <= set(document["paths"])


def cases() -> list[tuple[str, str, GenerationMode]]:
    """(method, path, mode) for every operation; negative only where there is input to spoil."""
    found = []
    for path, item in openapi_document()["paths"].items():
        for method, operation in item.items():
            found.append((method.upper(), path, GenerationMode.POSITIVE))
            if operation.get("parameters") or operation.get("requestBody"):
                found.append((method.upper(), path, GenerationMode.NEGATIVE))
    return found


def authorization_for(path: str, tokens: dict) -> dict:
    """The token of the API the path belongs to; the token endpoint authenticates otherwise."""
    if path.startswith("/admin/api"):
        return {"Authorization": f"Bearer {tokens[BACKEND]}"}
    if path.startswith("/api"):
        return {"Authorization": f"Bearer {tokens[FRONTEND]}"}
    return {}


@pytest.mark.parametrize("method, path, mode", cases())
def test_the_served_app_conforms_to_its_description(
    live_server, backend, frontend, token_for, method, path, mode
):
    schema = schemathesis.openapi.from_url(live_server.url + OPENAPI_PATH)
    operation = schema[path][method]
    headers = authorization_for(path, {BACKEND: token_for(backend), FRONTEND: token_for(frontend)})

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=MAX_EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
        phases=[Phase.explicit, Phase.generate],
    )
    def conforms(case):
        case.call_and_validate(headers=headers, checks=CHECKS)

    conforms()
