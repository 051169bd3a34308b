"""The API credentials audit: the chart, the filtered grid and its CSV export."""

from datetime import timedelta

from flask import Response, current_app, request, stream_with_context, url_for

from ..htmx import render_page_or_fragment
from ..models.base import utcnow
from ..services import audit
from .chart import build_chart
from .views import admin_required, administered, bp


def visible() -> list:
    """The events this administrator may read (services/access.py decides the organizations)."""
    return audit.visible_conditions(administered())


@bp.get("/audit")
@admin_required
def audit_list():
    """API credentials audit: a chart of the last 7 days above the filtered events."""
    audit.flush()  # this process's latest events, before they are read
    query = audit.AuditQuery.from_args(request.args)
    grid = audit.list_events(visible(), query, current_app.config["AUDIT_PER_PAGE"])
    now = utcnow()
    # The chart follows the filters that pick clients (not the event or time filters).
    chart_filters = audit.AuditQuery(client_id=query.client_id, owner=query.owner, ip=query.ip)
    counts = audit.hourly_counts(visible() + chart_filters.conditions(), now)

    def url_for_hour(hour):
        until = hour + timedelta(hours=1)
        return url_for("admin.audit_list", **query.to_args(since=hour, until=until, page=1))

    return render_page_or_fragment(
        "admin/audit.html",
        "admin/_audit_grid.html",
        query=query,
        grid=grid,
        chart=build_chart(counts, now, url_for_hour),
        events=audit.EVENTS,
        outcomes=audit.OUTCOMES,
        reasons=audit.REASONS,
    )


@bp.get("/audit/export.csv")
@admin_required
def audit_export():
    """The filtered events as CSV (every page, newest first)."""
    audit.flush()
    query = audit.AuditQuery.from_args(request.args)
    rows = audit.export_csv(visible(), query)
    response = Response(stream_with_context(rows), mimetype="text/csv")
    stamp = utcnow().strftime("%Y%m%d-%H%M")
    response.headers["Content-Disposition"] = f'attachment; filename="audit-{stamp}.csv"'
    response.headers["Cache-Control"] = "no-store"
    return response
