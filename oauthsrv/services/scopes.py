"""The scopes each API offers; an application may be allowed a subset of its API's scopes."""

from ..models.oauth import BACKEND, FRONTEND

API_SCOPES: dict[str, dict[str, str]] = {
    BACKEND: {
        "profile:read": "Read the acting user's profile (GET /admin/api/me)",
        "users:read": "Read the users of the organization (GET /admin/api/users)",
        "applications:read": "Read the owner's applications (GET /admin/api/oauthapplications)",
    },
    FRONTEND: {
        "customer:read": "Read the acting customer user (GET /api/me)",
    },
}


def scopes_for(kind: str) -> list[str]:
    """Every scope of the API that applications of this kind serve."""
    return list(API_SCOPES[kind])


def all_scopes() -> list[str]:
    """Every scope of every API, for discovery documents."""
    return [scope for scopes in API_SCOPES.values() for scope in scopes]
