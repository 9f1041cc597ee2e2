"""Threads per gunicorn worker: one on Python 3.11 (its threaded workers crashed), four later."""

import runpy
import sys

from portal.config import ROOT
from portal.ops.serving import default_threads


def test_python_311_gets_one_thread_and_later_pythons_four():
    assert default_threads((3, 11)) == 1
    assert default_threads((3, 12)) == 4
    assert default_threads((3, 13)) == 4


def test_gunicorn_conf_follows_the_running_python_unless_told(monkeypatch):
    for name in ("GUNICORN_WORKER_CLASS", "GUNICORN_THREADS"):
        monkeypatch.delenv(name, raising=False)
    settings = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    expected = 4 if sys.version_info >= (3, 12) else 1
    assert settings["threads"] == expected
    assert (settings["worker_class"] == "sync") == (expected == 1)
    monkeypatch.setenv("GUNICORN_THREADS", "3")
    assert runpy.run_path(str(ROOT / "gunicorn.conf.py"))["threads"] == 3
