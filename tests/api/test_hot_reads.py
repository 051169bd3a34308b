"""The hot-path read (services/hot_reads.py) on a real database: when the server drops the
connection kept for it (a restart, an idle timeout), the next API call still answers."""

import logging
import time

from api_helpers import call
from sqlalchemy import text

from oauthsrv.extensions import db
from oauthsrv.services import hot_reads


def drop_hot_read_connections() -> None:
    """Break the idle hot-read connections as a database restart would."""
    connections = [connection for _, connection in hot_reads._shelves[db.engine].idle]
    assert connections, "the call before should have left its connection on the shelf"
    if db.engine.dialect.name != "postgresql":
        for connection in connections:
            connection.close()
        return
    pids = [connection.info.backend_pid for connection in connections]
    with db.engine.connect() as connection:
        for pid in pids:
            connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        for _ in range(50):  # termination is asynchronous: wait until the backends are gone
            alive = connection.execute(
                text("SELECT count(*) FROM pg_stat_activity WHERE pid = ANY(:pids)"),
                {"pids": pids},
            ).scalar()
            if not alive:
                return
            time.sleep(0.1)
    raise AssertionError("the hot-read backends did not terminate")


def test_a_dropped_connection_is_replaced_on_the_next_call(live_server, backend, token_for, caplog):
    token = token_for(backend)
    assert call(live_server.url, "/admin/api/me", token).status_code == 200
    drop_hot_read_connections()
    with caplog.at_level(logging.WARNING, logger="oauthsrv.services.hot_reads"):
        response = call(live_server.url, "/admin/api/me", token)
    assert response.status_code == 200
    assert response.json()["meta"]["clientId"] == backend.client_id
    assert any("connection lost" in record.getMessage() for record in caplog.records)


def test_the_suite_reads_on_the_path_that_ships(client, backend, monkeypatch):
    """Token requests and API calls take the shelf path here, not SQLAlchemy's fallback (which
    runs only with cursor listeners or SQLite in memory): what the tests pass is what ships."""
    fallbacks = []
    fallback = hot_reads._read_with_sqlalchemy
    monkeypatch.setattr(
        hot_reads, "_read_with_sqlalchemy", lambda *args: fallbacks.append(args) or fallback(*args)
    )
    issued = client.post("/oauth2-token", data={"grant_type": "client_credentials", **backend.body})
    token = issued.get_json()["access_token"]
    me = client.get("/admin/api/me", headers={"Authorization": f"Bearer {token}"})
    assert (issued.status_code, me.status_code) == (200, 200)
    assert me.get_json()["data"]["attributes"]["email"] == backend.application.owner.email
    assert fallbacks == []
    assert hot_reads._shelves[db.engine].idle  # its connection went back on the shelf
