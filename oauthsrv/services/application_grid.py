"""The applications grid: filters, sorting and pagination, as one read-only query."""

from collections.abc import Mapping
from dataclasses import asdict, dataclass, replace
from math import ceil

from sqlalchemy import case, func, or_, select

from ..extensions import db
from ..inputs import contains, query_int
from ..models import CustomerUser, OAuthApplication, Organization, User
from ..models.oauth import BACKEND, FRONTEND
from . import clock

ACTIVE = "active"
INACTIVE = "inactive"
STATUSES = (ACTIVE, INACTIVE)
KINDS = (BACKEND, FRONTEND)

# Sort keys offered to the user, each with the column it orders by.
SORT_COLUMNS = {
    "name": func.lower(OAuthApplication.name),
    "client_id": OAuthApplication.client_id,
    "organization": Organization.name,
    "status": OAuthApplication.is_active,
    "last_used": OAuthApplication.last_used_at,
    "created": OAuthApplication.created_at,
}
DEFAULT_SORT = "created"
DEFAULT_DIRECTION = "desc"
MAX_NAME_FILTER = 255


@dataclass(frozen=True)
class GridQuery:
    """What the user asked the grid for; built from the URL, so every view is bookmarkable."""

    name: str = ""
    organization_id: int | None = None
    status: str = ""
    # All OAuth Applications only: owner name or email (contains), and backend or frontend.
    owner: str = ""
    kind: str = ""
    sort: str = DEFAULT_SORT
    direction: str = DEFAULT_DIRECTION
    page: int = 1

    @classmethod
    def from_args(cls, args: Mapping[str, str], organization_ids: set[int]) -> "GridQuery":
        """Read the grid's URL parameters; values that make no sense fall back to the default."""
        sort = args.get("sort", DEFAULT_SORT)
        direction = args.get("direction", DEFAULT_DIRECTION)
        organization_id = query_int(args.get("organization"))
        status = args.get("status", "")
        return cls(
            name=(args.get("name") or "").strip()[:MAX_NAME_FILTER],
            organization_id=organization_id if organization_id in organization_ids else None,
            status=status if status in STATUSES else "",
            owner=(args.get("owner") or "").strip()[:MAX_NAME_FILTER],
            kind=args.get("kind") if args.get("kind") in KINDS else "",
            sort=sort if sort in SORT_COLUMNS else DEFAULT_SORT,
            direction=direction if direction in ("asc", "desc") else DEFAULT_DIRECTION,
            page=query_int(args.get("page")) or 1,
        )

    @property
    def is_filtered(self) -> bool:
        return bool(self.name or self.organization_id or self.status or self.owner or self.kind)

    def to_args(self, **changes) -> dict[str, str | int]:
        """URL parameters for this query with `changes` applied, leaving out the defaults."""
        values = asdict(replace(self, **changes))
        defaults = asdict(GridQuery())
        return {
            "organization" if key == "organization_id" else key: value
            for key, value in values.items()
            if value != defaults[key]
        }

    def sorted_by(self, sort: str) -> dict[str, str | int]:
        """Parameters for a click on a column header: toggles the direction of the current one."""
        if sort == self.sort:
            direction = "asc" if self.direction == "desc" else "desc"
        else:
            direction = "asc" if sort in ("name", "client_id", "organization") else "desc"
        return self.to_args(sort=sort, direction=direction, page=1)


@dataclass(frozen=True)
class GridPage:
    """One page of grid rows and what the pager needs."""

    rows: list
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, ceil(self.total / self.per_page))

    @property
    def first_index(self) -> int:
        return (self.page - 1) * self.per_page + 1 if self.total else 0

    @property
    def last_index(self) -> int:
        return min(self.page * self.per_page, self.total)

    def window(self, radius: int = 2) -> list[int | None]:
        """Page numbers for the pager: first, last and a few around the current; None is a gap."""
        near = range(max(1, self.page - radius), min(self.pages, self.page + radius) + 1)
        numbers = sorted({1, self.pages, *near})
        shown: list[int | None] = []
        for number in numbers:
            if shown and number - shown[-1] > 1:
                shown.append(None)
            shown.append(number)
        return shown


def _filters(query: GridQuery) -> list:
    conditions = []
    if query.name:
        conditions.append(contains(OAuthApplication.name, query.name))
    if query.organization_id:
        conditions.append(OAuthApplication.organization_id == query.organization_id)
    if query.status:
        conditions.append(OAuthApplication.is_active.is_(query.status == ACTIVE))
    if query.owner:
        conditions.append(_owner_matches(query.owner.lower()))
    if query.kind:
        conditions.append(OAuthApplication.kind == query.kind)
    return conditions


def _owner_matches(needle: str):
    """The owner's name or email contains `needle` (back-office user or customer user)."""

    def matching(model):
        return select(model.id).where(contains(model.name, needle) | contains(model.email, needle))

    return or_(
        OAuthApplication.owner_user_id.in_(matching(User)),
        OAuthApplication.owner_customer_user_id.in_(matching(CustomerUser)),
    )


def _order_by(query: GridQuery) -> list:
    column = SORT_COLUMNS[query.sort]
    ordered = column.asc() if query.direction == "asc" else column.desc()
    # Never-used applications go last whichever way Last Used is sorted.
    nulls = [OAuthApplication.last_used_at.is_(None)] if query.sort == "last_used" else []
    tie_breaker = (
        OAuthApplication.id.asc() if query.direction == "asc" else OAuthApplication.id.desc()
    )
    return [*nulls, ordered, tie_breaker]


def list_applications(
    owner_conditions: list, query: GridQuery, per_page: int, with_owner: bool = False
) -> GridPage:
    """One page of the owner's applications matching the query (a page past the end: the last).

    `with_owner`: each row also carries its kind and its owner's name and email.
    """
    conditions = [*owner_conditions, *_filters(query)]
    total = db.session.scalar(select(func.count()).select_from(OAuthApplication).where(*conditions))
    pages = max(1, ceil(total / per_page))
    page = min(query.page, pages)
    # Only the columns the grid shows: no ORM objects, no eager-loaded owners.
    statement = select(
        OAuthApplication.id,
        OAuthApplication.name,
        OAuthApplication.client_id,
        OAuthApplication.is_active,
        OAuthApplication.last_used_at,
        OAuthApplication.created_at,
        OAuthApplication.organization_id,
        Organization.name.label("organization_name"),
        OAuthApplication.client_auth_method,
        # When the previous secret stops working; NULL when there is none or it has ended.
        case(
            (
                OAuthApplication.previous_secret_expires_at > clock.now(),
                OAuthApplication.previous_secret_expires_at,
            ),
            else_=None,
        ).label("previous_secret_valid_until"),
    ).join(Organization, Organization.id == OAuthApplication.organization_id)
    if with_owner:
        statement = (
            statement.add_columns(
                OAuthApplication.kind,
                func.coalesce(User.id, CustomerUser.id).label("owner_id"),
                func.coalesce(User.name, CustomerUser.name).label("owner_name"),
                func.coalesce(User.email, CustomerUser.email).label("owner_email"),
            )
            .outerjoin(User, User.id == OAuthApplication.owner_user_id)
            .outerjoin(CustomerUser, CustomerUser.id == OAuthApplication.owner_customer_user_id)
        )
    rows = db.session.execute(
        statement.where(*conditions)
        .order_by(*_order_by(query))
        .limit(per_page)
        .offset((page - 1) * per_page)
    ).all()
    return GridPage(rows=rows, total=total, page=page, per_page=per_page)
