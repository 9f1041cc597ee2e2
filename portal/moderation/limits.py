"""Rate limits per person and per address (Flask-Limiter; Redis storage when REDIS_URL is set).

``report_limits`` guards reporting (HTML form and API share the same counters).
``posting_limits`` is offered to the capabilities that post ideas and comments: the same
limit string (``RATELIMIT_POSTING``) counted per person and per address.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import current_app
from flask_login import current_user

from portal.extensions import _rate_limit_key, limiter


def person_key() -> str:
    """The signed-in person (whatever address they use), else the address."""
    if getattr(current_user, "is_authenticated", False):
        return f"person:{current_user.id}"
    return _rate_limit_key()


def _reports_limit() -> str:
    return current_app.config["RATELIMIT_REPORTS"]


def _posting_limit() -> str:
    return current_app.config["RATELIMIT_POSTING"]


def _stack(limit: Callable[[], str], scope: str) -> Callable:
    by_person = limiter.shared_limit(
        limit, scope=f"{scope}-person", key_func=person_key, methods=["POST"]
    )
    by_address = limiter.shared_limit(limit, scope=f"{scope}-address", methods=["POST"])

    def decorate(view: Callable) -> Callable:
        return by_address(by_person(view))

    return decorate


def report_limits(view: Callable) -> Callable:
    """Reports: per person and per address, shared by the HTML form and the API."""
    return _stack(_reports_limit, "reports")(view)


def posting_limits(view: Callable) -> Callable:
    """Posting ideas and comments: ``RATELIMIT_POSTING`` per person and per address."""
    return _stack(_posting_limit, "posting")(view)
