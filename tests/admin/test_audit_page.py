"""The audit page: who may read it, what each administrator sees, filters, pagination, the
chart, the CSV export and retention pruning."""

import csv
import io
import re
from datetime import timedelta

import pytest
from admin_helpers import HX, events, text_of, token_request

from oauthsrv.models.base import utcnow
from oauthsrv.services import audit

URL = "/admin/audit"
EXPORT = "/admin/audit/export.csv"


def rows_of(response) -> list[list[str]]:
    """The CSV export's rows, header first."""
    return list(csv.reader(io.StringIO(text_of(response))))


def grid_rows(html: str) -> int:
    return len(re.findall(r'<tr class="audit-', html))


@pytest.mark.parametrize("url", [URL, EXPORT, URL + "?event=token_issued"])
def test_non_administrators_get_403(client, owner, auth, url):
    auth.login(owner.email)
    assert client.get(url).status_code == 403
    assert f'href="{URL}"' not in text_of(client.get("/admin/profile"))


def test_anonymous_users_are_sent_to_log_in(client):
    response = client.get(URL)
    assert response.status_code == 302 and "/admin/login" in response.headers["Location"]


def test_the_page_shows_issued_and_failed_requests(client, root, backend):
    token_request(client, backend.client_id, backend.secret)
    token_request(client, backend.client_id, "wrong")
    html = text_of(client.get(URL))
    assert 'href="/admin/audit"' in html  # in the navigation
    assert "Token issued" in html and "Client authentication failed" in html
    assert "wrong secret" in html and "203.0.113.7" in html and "Backend integration" in html


def test_an_administrator_sees_only_the_events_of_their_organizations(
    client, acme_admin, make_user, make_application, backend
):
    globex_user = make_user(email="g@example.com", orgs=("Globex",))
    globex_app, globex_secret = make_application(globex_user, "Globex tool")
    token_request(client, backend.client_id, backend.secret)
    token_request(client, globex_app.client_id, globex_secret)
    token_request(client, "unknown-client", "x")
    html = text_of(client.get(URL + "?event=token_issued"))
    assert backend.client_id in html and globex_app.client_id not in html
    assert "unknown-client" not in text_of(client.get(URL))
    exported = text_of(client.get(EXPORT))
    assert backend.client_id in exported and globex_app.client_id not in exported


def test_a_global_administrator_sees_every_event(client, root, make_user, make_application):
    user = make_user(email="g@example.com", orgs=("Globex",))
    application, secret = make_application(user, "Globex tool")
    token_request(client, application.client_id, secret)
    token_request(client, "unknown-client", "x")
    html = text_of(client.get(URL))
    assert application.client_id in html and "unknown-client" in html


def test_filters_select_rows(client, root, backend, make_user, make_application):
    other_user = make_user(email="other@example.com", name="Other Owner", orgs=("Acme",))
    other, other_secret = make_application(other_user, "Other tool")
    token_request(client, backend.client_id, backend.secret, ip="203.0.113.1")
    token_request(client, backend.client_id, "bad", ip="203.0.113.2")
    token_request(client, other.client_id, other_secret, ip="203.0.113.3")
    events()
    cases = {
        "?event=token_issued": 2,
        "?event=client_auth_failed": 1,
        f"?client_id={other.client_id}": 2,  # created + issued
        "?owner=OTHER@example": 2,
        "?ip=203.0.113.2": 1,
        "?event=token_issued&ip=203.0.113.1": 1,
    }
    for query, expected in cases.items():
        html = text_of(client.get(URL + query, headers=HX))
        assert grid_rows(html) == expected, query
        assert len(rows_of(client.get(EXPORT + query))) == expected + 1, query
    # htmx gets the grid alone; without htmx the whole page.
    assert "<html" not in text_of(client.get(URL + "?event=token_issued", headers=HX))


def test_time_range_filters_and_hour_links(client, root, backend):
    now = utcnow()
    audit.record("token_issued", client_id="old-one", occurred_at=now - timedelta(days=2))
    token_request(client, backend.client_id, backend.secret)
    start = now - timedelta(days=3)
    end = now - timedelta(days=1)
    query = f"?from={start:%Y-%m-%dT%H:%M}&to={end:%Y-%m-%dT%H:%M}"
    html = text_of(client.get(URL + query, headers=HX))
    assert "old-one" in html and backend.client_id not in html
    # The chart links the current hour to the grid filtered to that hour.
    page = text_of(client.get(URL))
    hour = audit.hour_of(now)
    until = hour + timedelta(hours=1)
    link = f"/admin/audit?from={hour:%Y-%m-%dT%H:%M}&amp;to={until:%Y-%m-%dT%H:%M}"
    assert link in page
    filtered = text_of(client.get(link.replace("&amp;", "&"), headers=HX))
    assert backend.client_id in filtered and "old-one" not in filtered


def test_the_chart_is_an_svg_with_a_text_alternative(client, root, backend):
    token_request(client, backend.client_id, backend.secret)
    token_request(client, backend.client_id, "bad")
    token_request(client, backend.client_id, "worse")
    html = text_of(client.get(URL))
    assert "<svg" in html and "<script" not in html.split("<svg")[1].split("</svg>")[0]
    assert 'class="chart-issued"' in html and 'class="chart-failed"' in html
    summary = "Last 7 days: 1 tokens issued and 2 failed client authentications"
    assert summary in html
    assert re.search(r"<td>1</td><td>2</td></tr>", html)  # the table of busy hours
    hour = audit.hour_of(utcnow())
    assert f"{hour:%a %d %b %H}:00–" in html and "1 issued, 2 failed" in html


def test_pagination(client, root, app):
    app.config["AUDIT_PER_PAGE"] = 2
    for index in range(5):
        audit.record("token_issued", client_id=f"client-{index}")
    query = URL + "?event=token_issued"
    first = text_of(client.get(query, headers=HX))
    assert "client-4" in first and "client-3" in first and "client-2" not in first
    assert "1–2 of 5" in first and 'href="/admin/audit?event=token_issued&amp;page=2"' in first
    last = text_of(client.get(query + "&page=3", headers=HX))
    assert "client-0" in last and "5–5 of 5" in last
    assert "client-0" in text_of(client.get(query + "&page=99", headers=HX))  # past the end


def test_csv_export_is_filtered_and_safe_for_spreadsheets(client, root, backend):
    token_request(client, backend.client_id, backend.secret)
    token_request(client, "=HYPERLINK(1)", "x")
    response = client.get(EXPORT)
    assert response.mimetype == "text/csv" and response.headers["Cache-Control"] == "no-store"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = rows_of(response)
    assert rows[0] == list(audit.CSV_COLUMNS)
    assert ["client_auth_failed", "failure", "unknown_client", "'=HYPERLINK(1)"] == rows[1][1:5]
    issued = [row for row in rows if row[1] == "token_issued"]
    assert issued[0][4:7] == [backend.client_id, "Backend integration", "owner@example.com"]
    assert rows_of(client.get(EXPORT + "?event=token_issued"))[1:] == issued


def test_bad_filter_values_are_ignored(client, root, backend):
    token_request(client, backend.client_id, backend.secret)
    for query in ("?event=nope", "?from=yesterday", "?page=-1", "?page=abc", "?to=2026-13-45"):
        response = client.get(URL + query, headers=HX)
        assert response.status_code == 200 and backend.client_id in text_of(response), query


def test_cleanup_prunes_events_past_the_retention(runner, app):
    now = utcnow()
    audit.record("token_issued", client_id="ancient", occurred_at=now - timedelta(days=91))
    audit.record("token_issued", client_id="recent", occurred_at=now - timedelta(days=89))
    result = runner.invoke(args=["oauth", "cleanup"])
    assert result.exit_code == 0 and '"audit_events_removed": 1' in result.output
    assert [event.client_id for event in events()] == ["recent"]
    app.config["AUDIT_RETENTION_DAYS"] = 30
    result = runner.invoke(args=["oauth", "cleanup"])
    assert '"audit_events_removed": 1' in result.output and events() == []
