"""gunicorn.conf.py's hooks act on our apps only. The benchmarks serve bare Flask references
under the same file (same workers, same logging); the hooks once loaded our signing keys in
those apps too, and their master exited on the missing key settings."""

import importlib.util
import logging
from pathlib import Path
from types import SimpleNamespace

from flask import Flask

CONF = Path(__file__).resolve().parents[1] / "gunicorn.conf.py"


def load_conf():
    spec = importlib.util.spec_from_file_location("gunicorn_conf", CONF)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def master_serving(wsgi_app):
    """What the hooks read of gunicorn's arbiter: the loaded app and its logger."""
    return SimpleNamespace(
        app=SimpleNamespace(wsgi=lambda: wsgi_app), log=logging.getLogger("gunicorn.test")
    )


def test_the_hooks_find_our_app_and_skip_a_bare_flask_app(app):
    conf = load_conf()
    assert conf.flask_apps(app) == [app]
    assert conf.flask_apps(Flask("bare")) == []


def test_a_bare_flask_app_starts_under_the_shipped_hooks():
    conf = load_conf()
    master = master_serving(Flask("bare"))
    conf.when_ready(master)  # raised KeyError: 'OAUTH_PRIVATE_KEY_PATH'
    conf.post_fork(master, worker=None)
