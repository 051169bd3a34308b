"""Shared by the OAuth Applications tests: constants and small readers of pages and rows."""

import re

from sqlalchemy import select

from oauthsrv.extensions import db
from oauthsrv.models import OAuthApplication

HX = {"HX-Request": "true"}
BASE = "/admin/profile/applications"
KEYS_MISSING = (
    "OAuth authorization is not available as encryption keys configuration was not complete. "
    "Please contact your administrator."
)


def text_of(response) -> str:
    return response.get_data(as_text=True)


def apps_of(user) -> list[OAuthApplication]:
    db.session.expire_all()
    query = select(OAuthApplication).filter_by(owner_user_id=user.id).order_by(OAuthApplication.id)
    return list(db.session.scalars(query))


def shown_secret(html: str) -> str:
    return re.search(r'id="client-secret" type="text" value="([^"]+)"', html).group(1)
