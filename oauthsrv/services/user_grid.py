"""The Users grid: filters, sorting and pagination over the users an administrator manages."""

from collections.abc import Mapping
from dataclasses import asdict, dataclass, replace
from math import ceil

from sqlalchemy import func, select

from ..extensions import db
from ..inputs import contains, query_int
from ..models import OAuthApplication, User, user_organizations
from .application_grid import GridPage

SORT_COLUMNS = {
    "name": func.lower(User.name),
    "email": func.lower(User.email),
    "created": User.created_at,
}
STATUSES = ("active", "inactive")
ROLES = ("admin", "user")


@dataclass(frozen=True)
class UserQuery:
    """What the Users grid shows, read from the URL."""

    q: str = ""
    organization_id: int | None = None
    status: str = ""
    role: str = ""
    sort: str = "name"
    direction: str = "asc"
    page: int = 1

    @classmethod
    def from_args(cls, args: Mapping[str, str], organization_ids: set[int]) -> "UserQuery":
        """Read the URL parameters; values that make no sense fall back to the default."""
        organization_id = query_int(args.get("organization"))
        return cls(
            q=(args.get("q") or "").strip()[:255],
            organization_id=organization_id if organization_id in organization_ids else None,
            status=args.get("status") if args.get("status") in STATUSES else "",
            role=args.get("role") if args.get("role") in ROLES else "",
            sort=args.get("sort") if args.get("sort") in SORT_COLUMNS else "name",
            direction=args.get("direction") if args.get("direction") in ("asc", "desc") else "asc",
            page=query_int(args.get("page")) or 1,
        )

    @property
    def is_filtered(self) -> bool:
        return bool(self.q or self.organization_id or self.status or self.role)

    def to_args(self, **changes) -> dict:
        """URL parameters for this query with `changes`, leaving out the defaults."""
        values, defaults = asdict(replace(self, **changes)), asdict(UserQuery())
        return {
            "organization" if key == "organization_id" else key: value
            for key, value in values.items()
            if value != defaults[key]
        }

    def sorted_by(self, sort: str) -> dict:
        """Parameters for a click on a column header: toggles the current column's direction."""
        if sort == self.sort:
            direction = "desc" if self.direction == "asc" else "asc"
        else:
            direction = "desc" if sort == "created" else "asc"
        return self.to_args(sort=sort, direction=direction, page=1)

    def conditions(self) -> list:
        conditions = []
        if self.q:
            conditions.append(contains(User.name, self.q) | contains(User.email, self.q))
        if self.organization_id:
            members = select(user_organizations.c.user_id).where(
                user_organizations.c.organization_id == self.organization_id
            )
            conditions.append(User.id.in_(members))
        if self.status:
            conditions.append(User.is_active.is_(self.status == "active"))
        if self.role:
            conditions.append(User.is_admin.is_(self.role == "admin"))
        return conditions


def list_users(visible, query: UserQuery, per_page: int) -> GridPage:
    """One page of users (with how many applications each owns) matching the query."""
    conditions = [visible, *query.conditions()]
    total = db.session.scalar(select(func.count()).select_from(User).where(*conditions))
    page = min(query.page, max(1, ceil(total / per_page)))
    counts = (
        select(OAuthApplication.owner_user_id, func.count().label("count"))
        .where(OAuthApplication.owner_user_id.is_not(None))
        .group_by(OAuthApplication.owner_user_id)
        .subquery()
    )
    column = SORT_COLUMNS[query.sort]
    order = column.asc() if query.direction == "asc" else column.desc()
    rows = db.session.execute(
        select(User, func.coalesce(counts.c.count, 0))
        .outerjoin(counts, counts.c.owner_user_id == User.id)
        .where(*conditions)
        .order_by(order, User.id)
        .limit(per_page)
        .offset((page - 1) * per_page)
    ).all()
    return GridPage(rows=[tuple(row) for row in rows], total=total, page=page, per_page=per_page)
