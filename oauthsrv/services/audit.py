"""The API credentials audit: recording events off the hot path, and reading them back.

Recording never writes during a request: `record()` appends a row to a per-process buffer
(shared by the back-office and machine apps), and the buffer is written in one multi-row INSERT
after the response has gone (`Response.call_on_close`) once it holds AUDIT_BATCH_SIZE rows or
its oldest row is AUDIT_FLUSH_SECONDS old; a timer writes what a quiet process is left with.
Outside a request (the CLI) a row is written at once. Readers (the audit page, the export,
`oauth cleanup`) write this process's buffer first, so what was just recorded is shown.

Application names and owners of token events are filled in when the batch is written, not on
the token request. Never a secret, token or password: rows hold ids, names and reasons only.
"""

import atexit
import csv
import io
import logging
import os
import threading
import time
import weakref
from collections.abc import Iterator, Mapping
from dataclasses import asdict, dataclass, replace
from datetime import datetime, timedelta

from flask import Flask, after_this_request, current_app, g, has_request_context, request
from sqlalchemy import and_, case, delete, func, insert, or_, select

from ..extensions import DATABASE_FAILURES, database_failure_reason, db
from ..inputs import contains, query_int
from ..models import AuditEvent, CustomerUser, OAuthApplication, User
from ..models.base import utcnow
from .application_grid import GridPage

log = logging.getLogger(__name__)

TOKEN_ISSUED = "token_issued"
AUTH_FAILED = "client_auth_failed"
THROTTLED = "throttled"
APP_CREATED = "application_created"
APP_EDITED = "application_edited"
APP_ACTIVATED = "application_activated"
APP_DEACTIVATED = "application_deactivated"
SECRET_REGENERATED = "secret_regenerated"
APP_DELETED = "application_deleted"
TOKEN_REVOKED = "token_revoked"
LOGIN_SUCCEEDED = "login_succeeded"
LOGIN_FAILED = "login_failed"
USER_DEACTIVATED = "user_deactivated"
ORGANIZATION_DEACTIVATED = "organization_deactivated"

EVENTS = {
    TOKEN_ISSUED: "Token issued",
    AUTH_FAILED: "Client authentication failed",
    THROTTLED: "Throttled",
    APP_CREATED: "Application created",
    APP_EDITED: "Application edited",
    APP_ACTIVATED: "Application activated",
    APP_DEACTIVATED: "Application deactivated",
    SECRET_REGENERATED: "Secret regenerated",
    APP_DELETED: "Application deleted",
    TOKEN_REVOKED: "Token revoked",
    LOGIN_SUCCEEDED: "Login succeeded",
    LOGIN_FAILED: "Login failed",
    USER_DEACTIVATED: "User deactivated",
    ORGANIZATION_DEACTIVATED: "Organization deactivated",
}

SUCCESS, FAILURE, REFUSED = "success", "failure", "refused"
OUTCOMES = {SUCCESS: "Success", FAILURE: "Failure", REFUSED: "Refused"}
# Why a client authentication failed: for administrators only, never told to the client.
UNKNOWN_CLIENT, WRONG_SECRET, INACTIVE = "unknown_client", "wrong_secret", "inactive"
REASONS = {
    UNKNOWN_CLIENT: "unknown client",
    WRONG_SECRET: "wrong secret",
    INACTIVE: "inactive",
    "no_credentials": "no credentials",
    "invalid_credentials": "invalid email or password",
    "client_ip": "too many failures for this client and address",
    "ip": "too many failures from this address",
    "token": "token endpoint",
    "introspection": "introspection endpoint",
    "revocation": "revocation endpoint",
    "login": "login form",
}
COMMAND_LINE = "command line"
_FIELDS = tuple(column.name for column in AuditEvent.__table__.columns if column.name != "id")


# -- recording --------------------------------------------------------------------------------


class AuditBuffer:
    """Rows recorded by this process and not yet written, for one app (and its machine app)."""

    def __init__(self, app: Flask):
        self.app_ref = weakref.ref(app)
        self.rows: list[dict] = []
        self.oldest = 0.0  # monotonic time of the oldest unwritten row
        self.lock = threading.Lock()
        self.write_lock = threading.Lock()
        self.timer: threading.Timer | None = None
        self.pid = os.getpid()

    def add(self, row: dict) -> None:
        if os.getpid() != self.pid:  # a forked worker: nothing of the parent's is its own
            self.pid, self.rows, self.timer = os.getpid(), [], None
            self.lock, self.write_lock = threading.Lock(), threading.Lock()
        with self.lock:
            if not self.rows:
                self.oldest = time.monotonic()
            self.rows.append(row)

    def take(self) -> list[dict]:
        with self.lock:
            rows, self.rows = self.rows, []
            return rows

    def is_due(self, config: Mapping) -> bool:
        if len(self.rows) >= int(config["AUDIT_BATCH_SIZE"]):
            return True
        return bool(self.rows) and time.monotonic() - self.oldest >= config["AUDIT_FLUSH_SECONDS"]

    def flush(self) -> int:
        """Write every buffered row in one INSERT; return how many (0 when nothing was due)."""
        app = self.app_ref()
        if app is None:
            return 0
        # One writer at a time: a reader's flush waits for a batch another thread is writing,
        # so the page it then renders shows that batch.
        with self.write_lock:
            rows = self.take()
            if not rows:
                return 0
            with app.app_context():
                try:
                    with db.engine.begin() as connection:
                        _fill_names(connection, rows)
                        connection.execute(insert(AuditEvent.__table__), rows)
                except DATABASE_FAILURES as error:  # down or locked: a known failure, one line
                    reason = database_failure_reason(error)
                    log.warning("audit: %d events not written (database: %s)", len(rows), reason)
                    return 0
                except Exception:  # noqa: BLE001  (the audit must never break a request)
                    log.exception("audit: %d events could not be written", len(rows))
                    return 0
        return len(rows)

    def flush_if_due(self) -> None:
        """After a response: write the batch when it is due, else make sure a timer will."""
        app = self.app_ref()
        if app is None:
            return
        if self.is_due(app.config):
            self.flush()
        elif self.rows:
            self.start_timer(float(app.config["AUDIT_FLUSH_SECONDS"]))

    def start_timer(self, seconds: float) -> None:
        with self.lock:
            if self.timer is not None and self.timer.is_alive():
                return
            self.timer = threading.Timer(seconds, self.flush)
            self.timer.daemon = True
            self.timer.start()


def init_app(app: Flask, shared_with: Flask | None = None) -> None:
    """Give `app` its audit buffer (the machine app shares the back-office's)."""
    if shared_with is not None:
        app.extensions["audit"] = shared_with.extensions["audit"]
        return
    buffer = app.extensions["audit"] = AuditBuffer(app)
    if not app.testing:  # a test's database is gone by the time the interpreter exits
        reference = weakref.ref(buffer)
        atexit.register(lambda: (buffer := reference()) and buffer.flush())


def _buffer() -> AuditBuffer:
    return current_app.extensions["audit"]


def record(event: str, outcome: str = SUCCESS, **fields) -> None:
    """Record one event (fields: the AuditEvent columns); written after the response.

    `ip` defaults to the request's address, `actor` to the logged-in back-office user (or
    "command line" outside a request).
    """
    row = dict.fromkeys(_FIELDS)
    row.update(fields, event=event, outcome=outcome)
    row["occurred_at"] = row["occurred_at"] or utcnow()
    for name, size in (("client_id", 64), ("ip", 64), ("owner", 255), ("actor", 255)):
        if row[name]:
            row[name] = str(row[name])[:size]
    buffer = _buffer()
    if not has_request_context():
        row["actor"] = row["actor"] or COMMAND_LINE
        buffer.add(row)
        buffer.flush()
        return
    row["ip"] = row["ip"] or request.remote_addr
    row["actor"] = row["actor"] or acting_user()
    buffer.add(row)
    if not g.get("audit_flush_registered"):
        g.audit_flush_registered = True
        after_this_request(_flush_after)


def _flush_after(response):
    response.call_on_close(_buffer().flush_if_due)
    return response


def acting_user() -> str | None:
    """The logged-in back-office user as "Name <email>"; None on the machine app."""
    if not hasattr(current_app, "login_manager"):
        return None
    from flask_login import current_user

    if current_user.is_authenticated:
        return f"{current_user.name} <{current_user.email}>"
    return None


def flush() -> int:
    """Write this process's buffered events now (before reading them back)."""
    return _buffer().flush()


def application_fields(application) -> dict:
    """What a row says about an application (an OAuthApplication or a client state)."""
    fields = {
        "client_id": application.client_id,
        "application_id": application.id,
        "organization_id": application.organization_id,
    }
    if isinstance(application, OAuthApplication):
        fields["application_name"] = application.name
        fields["owner"] = application.owner.email if application.owner else None
    return fields


def _fill_names(connection, rows: list[dict]) -> None:
    """Application name and owner of rows that carry only the application's id (one query)."""
    wanted = {row["application_id"] for row in rows if row["application_id"] and not row["owner"]}
    if not wanted:
        return
    query = (
        select(
            OAuthApplication.id,
            OAuthApplication.name,
            func.coalesce(User.email, CustomerUser.email),
        )
        .outerjoin(User, User.id == OAuthApplication.owner_user_id)
        .outerjoin(CustomerUser, CustomerUser.id == OAuthApplication.owner_customer_user_id)
        .where(OAuthApplication.id.in_(wanted))
    )
    names = {id_: (name, owner) for id_, name, owner in connection.execute(query)}
    for row in rows:
        if row["application_id"] in names and not row["owner"]:
            row["application_name"], row["owner"] = names[row["application_id"]]


# -- reading ----------------------------------------------------------------------------------

MAX_TEXT_FILTER = 255
TIME_FORMATS = ("%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d")


@dataclass(frozen=True)
class AuditQuery:
    """The audit grid's filters, from the URL (so every view and export is bookmarkable)."""

    event: str = ""
    client_id: str = ""
    owner: str = ""
    ip: str = ""
    since: datetime | None = None
    until: datetime | None = None
    page: int = 1

    @classmethod
    def from_args(cls, args: Mapping[str, str]) -> "AuditQuery":
        """Read the filters; values that make no sense are dropped."""
        event = args.get("event", "")
        return cls(
            event=event if event in EVENTS else "",
            client_id=_text(args.get("client_id")),
            owner=_text(args.get("owner")),
            ip=_text(args.get("ip"))[:64],
            since=_parse_time(args.get("from")),
            until=_parse_time(args.get("to")),
            page=query_int(args.get("page")) or 1,
        )

    @property
    def is_filtered(self) -> bool:
        return any((self.event, self.client_id, self.owner, self.ip, self.since, self.until))

    def to_args(self, **changes) -> dict[str, str | int]:
        """URL parameters for this query with `changes`, leaving out the empty ones."""
        values = asdict(replace(self, **changes))
        values["from"], values["to"] = values.pop("since"), values.pop("until")
        args = {}
        for key, value in values.items():
            if isinstance(value, datetime):
                value = value.strftime("%Y-%m-%dT%H:%M")
            if value and not (key == "page" and value == 1):
                args[key] = value
        return args

    def conditions(self) -> list:
        """SQL conditions for these filters."""
        conditions = []
        if self.event:
            conditions.append(AuditEvent.event == self.event)
        if self.client_id:
            conditions.append(AuditEvent.client_id == self.client_id)
        if self.owner:
            conditions.append(contains(AuditEvent.owner, self.owner))
        if self.ip:
            conditions.append(AuditEvent.ip == self.ip)
        if self.since:
            conditions.append(AuditEvent.occurred_at >= self.since)
        if self.until:
            conditions.append(AuditEvent.occurred_at < self.until)
        return conditions


def _text(value: str | None) -> str:
    """A text filter; one with a NUL byte (no stored text holds one, PostgreSQL refuses it)
    filters nothing."""
    value = (value or "").strip()[:MAX_TEXT_FILTER]
    return "" if "\x00" in value else value


def _parse_time(value: str | None) -> datetime | None:
    """A UTC time from a filter (datetime-local or a date), else None."""
    for layout in TIME_FORMATS:
        try:
            return datetime.strptime((value or "").strip(), layout)
        except ValueError:
            continue
    return None


def visible_conditions(organization_ids: tuple[int, ...] | None) -> list:
    """Events an administrator may read: those of their organizations (None: every event)."""
    if organization_ids is None:
        return []
    return [AuditEvent.organization_id.in_(organization_ids)]


def list_events(visible: list, query: AuditQuery, per_page: int) -> GridPage:
    """One page of events, newest first (a page past the end: the last)."""
    conditions = [*visible, *query.conditions()]
    total = db.session.scalar(select(func.count()).select_from(AuditEvent).where(*conditions))
    pages = max(1, -(-total // per_page))
    page = min(query.page, pages)
    rows = db.session.scalars(
        select(AuditEvent)
        .where(*conditions)
        .order_by(AuditEvent.occurred_at.desc(), AuditEvent.id.desc())
        .limit(per_page)
        .offset((page - 1) * per_page)
    ).all()
    return GridPage(rows=list(rows), total=total, page=page, per_page=per_page)


CSV_COLUMNS = (
    "time_utc",
    "event",
    "outcome",
    "reason",
    "client_id",
    "application",
    "owner",
    "actor",
    "ip",
)


def export_csv(visible: list, query: AuditQuery) -> Iterator[str]:
    """The filtered events as CSV text, streamed in chunks, newest first."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    statement = (
        select(AuditEvent)
        .where(*visible, *query.conditions())
        .order_by(AuditEvent.occurred_at.desc(), AuditEvent.id.desc())
        .execution_options(yield_per=500)
    )
    for count, event in enumerate(db.session.scalars(statement), 1):
        writer.writerow(
            _cell(value)
            for value in (
                event.occurred_at.isoformat(timespec="seconds") + "Z",
                event.event,
                event.outcome,
                event.reason,
                event.client_id,
                event.application_name,
                event.owner,
                event.actor,
                event.ip,
            )
        )
        if count % 500 == 0:
            yield _drain(buffer)
    yield _drain(buffer)


def _drain(buffer: io.StringIO) -> str:
    text = buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
    return text


def _cell(value) -> str:
    """A CSV cell a spreadsheet shows as text: a leading =, +, - or @ would run as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


# -- the chart and per-application figures ----------------------------------------------------

CHART_EVENTS = (TOKEN_ISSUED, AUTH_FAILED)
CHART_HOURS = 7 * 24


def hour_of(moment: datetime) -> datetime:
    return moment.replace(minute=0, second=0, microsecond=0)


def _hour_bucket():
    if db.engine.dialect.name == "postgresql":
        return func.date_trunc("hour", AuditEvent.occurred_at)
    return func.strftime("%Y-%m-%d %H:00:00", AuditEvent.occurred_at)


def hourly_counts(visible: list, now: datetime | None = None) -> dict[str, dict[datetime, int]]:
    """Issued tokens and failed authentications per hour over the last 7 days (UTC hours)."""
    start = hour_of(now or utcnow()) - timedelta(hours=CHART_HOURS - 1)
    bucket = _hour_bucket().label("hour")
    query = (
        select(AuditEvent.event, bucket, func.count())
        .where(*visible, AuditEvent.event.in_(CHART_EVENTS), AuditEvent.occurred_at >= start)
        .group_by(AuditEvent.event, bucket)
    )
    counts: dict[str, dict[datetime, int]] = {event: {} for event in CHART_EVENTS}
    for event, hour, count in db.session.execute(query):
        if isinstance(hour, str):
            hour = datetime.strptime(hour, "%Y-%m-%d %H:%M:%S")
        counts[event][hour.replace(tzinfo=None)] = count
    return counts


@dataclass(frozen=True)
class ApplicationFigures:
    """Tokens issued to an application in the last 24 hours and its last failed authentication."""

    tokens_24h: int = 0
    last_failure: datetime | None = None


def application_figures(
    application_ids: list[int], now: datetime | None = None
) -> dict[int, ApplicationFigures]:
    """Figures for each of these applications, in one query over the audit."""
    if not application_ids:
        return {}
    since = (now or utcnow()) - timedelta(hours=24)
    issued_recently = and_(AuditEvent.event == TOKEN_ISSUED, AuditEvent.occurred_at >= since)
    query = (
        select(
            AuditEvent.application_id,
            func.sum(case((issued_recently, 1), else_=0)),
            func.max(case((AuditEvent.event == AUTH_FAILED, AuditEvent.occurred_at))),
        )
        .where(
            AuditEvent.application_id.in_(application_ids),
            or_(issued_recently, AuditEvent.event == AUTH_FAILED),
        )
        .group_by(AuditEvent.application_id)
    )
    figures = {}
    for application_id, issued, last_failure in db.session.execute(query):
        if isinstance(last_failure, str):  # SQLite gives max() of a CASE back as text
            last_failure = datetime.fromisoformat(last_failure)
        figures[application_id] = ApplicationFigures(int(issued or 0), last_failure)
    return figures


# -- retention --------------------------------------------------------------------------------


def prune(retention_days: int, now: datetime | None = None) -> int:
    """Delete events older than the retention period; return how many."""
    flush()
    cutoff = (now or utcnow()) - timedelta(days=retention_days)
    result = db.session.execute(delete(AuditEvent).where(AuditEvent.occurred_at < cutoff))
    db.session.commit()
    return result.rowcount
