"""Serving defaults shared by gunicorn.conf.py and the benchmarks."""

from __future__ import annotations

import sys


def default_threads(version: tuple[int, int] | None = None) -> int:
    """Threads per gunicorn worker when ``GUNICORN_THREADS`` is not set.

    Under CPython 3.11 (3.11.2 and 3.11.7 both), a worker serving the portal's reading mix
    with four threads died with SIGSEGV after a few hundred to a few thousand requests: a
    corrupted object heap, found in whatever code ran next. It crashed with every C extension
    we load swapped for its pure-Python version (SQLAlchemy without Cython, psycopg without
    its binary, MarkupSafe without speedups), did not crash with one thread per worker (10,379
    and 13,836 requests) nor under CPython 3.12 with four threads (9,000+ requests with the
    debug allocator, which made 3.11 crash within 434-3,186). So 3.11 gets one thread per
    process (the ``sync`` worker); 3.12+ gets four.
    """
    major, minor = version or sys.version_info[:2]
    return 4 if (major, minor) >= (3, 12) else 1
