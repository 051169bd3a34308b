"""The host's counters (throttle.HostCounters): one SQLite file that every worker process of a
host shares, with the moving-window answers of the `limits` library."""

import multiprocessing
import time

from oauthsrv.throttle import Counters, _item


def test_workers_of_a_host_share_the_file(tmp_path):
    path = str(tmp_path / "throttle.sqlite")
    worker_a, worker_b = Counters("", path), Counters("", path)
    item = _item("login-account", 3, 60)
    for worker in (worker_a, worker_b, worker_a):
        assert worker.hit(item, "ann@example.com")
    assert not worker_b.test(item, "ann@example.com")
    assert not worker_b.hit(item, "ann@example.com")  # the 4th is not counted: the limit is 3
    assert worker_a.test(item, "bob@example.com")
    stats = worker_b.get_window_stats(item, "ann@example.com")
    assert stats.remaining == 0 and 58 < stats.reset_time - time.time() <= 60
    worker_a.clear(item, "ann@example.com")
    assert worker_b.test(item, "ann@example.com")


def test_failures_leave_the_window(tmp_path):
    counters = Counters("", str(tmp_path / "throttle.sqlite"))
    item = _item("client-ip", 1, 1)
    assert counters.hit(item, "10.0.0.1")
    assert not counters.test(item, "10.0.0.1")
    time.sleep(1.05)
    assert counters.test(item, "10.0.0.1")


def _hit_in_child(counters, item) -> None:
    counters.hit(item, "10.0.0.2")


def test_a_forked_worker_opens_its_own_connection_and_counts_in_the_same_file(tmp_path):
    counters = Counters("", str(tmp_path / "throttle.sqlite"))
    item = _item("client-ip", 2, 60)
    assert counters.hit(item, "10.0.0.2")  # the parent's connection, opened before the fork
    child = multiprocessing.get_context("fork").Process(target=_hit_in_child, args=(counters, item))
    child.start()
    child.join(10)
    assert child.exitcode == 0
    assert not counters.test(item, "10.0.0.2")


def test_memory_counters_stay_per_process(tmp_path):
    path = str(tmp_path / "throttle.sqlite")
    first, second = Counters("memory://", path), Counters("memory://", path)
    item = _item("login-ip", 1, 60)
    assert first.hit(item, "10.0.0.3")
    assert second.test(item, "10.0.0.3")
    assert not (tmp_path / "throttle.sqlite").exists()
