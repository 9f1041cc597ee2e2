"""Configuration, read from the environment inside ``create_app`` (never at import time)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
INSTANCE = ROOT / "instance"
LOCALES = ("en", "es", "nl")


class ConfigError(RuntimeError):
    """The environment does not describe a runnable portal."""


def _flag(env: dict[str, str], name: str, default: bool) -> bool:
    value = env.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _int(env: dict[str, str], name: str, default: int) -> int:
    value = env.get(name)
    if not value:
        return default
    try:
        return int(value)
    except ValueError as exc:
        raise ConfigError(f"{name} must be a whole number, not {value!r}") from exc


def _secret_key(env: dict[str, str], portal_env: str) -> str:
    key = env.get("SECRET_KEY", "")
    if key:
        return key
    key_file = INSTANCE / "secret_key"
    if portal_env in {"development", "testing"}:
        if key_file.exists():
            return key_file.read_text().strip()
        if portal_env == "testing":
            return "testing-only-secret-key-not-for-production"
    raise ConfigError(
        "SECRET_KEY is required outside development (make run generates instance/secret_key)."
    )


def _database_url(env: dict[str, str]) -> str:
    url = env.get("DATABASE_URL", "")
    if not url:
        return f"sqlite:///{INSTANCE / 'portal.db'}"
    # Accept the common short forms and use the psycopg 3 driver we install.
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def load_config(env: dict[str, str] | None = None) -> dict[str, Any]:
    """Return the configuration mapping for ``env`` (default: ``os.environ``)."""
    env = dict(os.environ if env is None else env)
    portal_env = env.get("PORTAL_ENV", "production").strip().lower()
    if portal_env not in {"production", "development", "testing"}:
        raise ConfigError("PORTAL_ENV must be production, development or testing")
    base_url = env.get("BASE_URL", "http://127.0.0.1:5000").rstrip("/")
    https = base_url.startswith("https://")
    default_locale = env.get("DEFAULT_LOCALE", "en")
    if default_locale not in LOCALES:
        raise ConfigError(f"DEFAULT_LOCALE must be one of {', '.join(LOCALES)}")
    redis_url = env.get("REDIS_URL", "")
    return {
        "PORTAL_ENV": portal_env,
        "TESTING": portal_env == "testing",
        "DEBUG": False,
        "SECRET_KEY": _secret_key(env, portal_env),
        "SQLALCHEMY_DATABASE_URI": _database_url(env),
        "SQLALCHEMY_ENGINE_OPTIONS": {},
        "DATABASE_PING_AFTER": _int(env, "DATABASE_PING_AFTER", 10),
        "DATABASE_READS_WITHOUT_TRANSACTION": _flag(
            env, "DATABASE_READS_WITHOUT_TRANSACTION", True
        ),
        "REDIS_URL": redis_url,
        "BASE_URL": base_url,
        "PREFERRED_URL_SCHEME": "https" if https else "http",
        # Cookies: secure whenever the portal is served over HTTPS (always, in production).
        "SESSION_COOKIE_SECURE": _flag(env, "SESSION_COOKIE_SECURE", https),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_SECURE": _flag(env, "SESSION_COOKIE_SECURE", https),
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_DURATION": 60 * 60 * 24 * 30,
        "MAX_CONTENT_LENGTH": _int(env, "MAX_CONTENT_LENGTH", 8 * 1024 * 1024),
        "MAIL_SERVER": env.get("MAIL_SERVER", ""),
        "MAIL_PORT": _int(env, "MAIL_PORT", 25),
        "MAIL_USERNAME": env.get("MAIL_USERNAME", ""),
        "MAIL_PASSWORD": env.get("MAIL_PASSWORD", ""),
        "MAIL_USE_TLS": _flag(env, "MAIL_USE_TLS", False),
        "MAIL_SENDER": env.get("MAIL_SENDER", "portal@localhost"),
        "BABEL_DEFAULT_LOCALE": default_locale,
        "BABEL_TRANSLATION_DIRECTORIES": str(ROOT / "portal" / "translations"),
        "LOCALES": LOCALES,
        "WTF_CSRF_CHECK_DEFAULT": False,  # checked in portal.core.security (API tokens skip it)
        "WTF_CSRF_TIME_LIMIT": 8 * 3600,
        "RATELIMIT_ENABLED": _flag(env, "RATELIMIT_ENABLED", True),
        "RATELIMIT_STORAGE_URI": redis_url or "memory://",
        "RATELIMIT_HEADERS_ENABLED": True,
        "RATELIMIT_LOGIN": env.get("RATELIMIT_LOGIN", "10 per minute;50 per hour"),
        "RATELIMIT_POSTING": env.get("RATELIMIT_POSTING", "20 per minute;200 per day"),
        "RATELIMIT_REPORTS": env.get("RATELIMIT_REPORTS", "10 per minute;100 per day"),
        # Generated exports; the web app and every worker must share this folder.
        "EXPORTS_DIR": env.get("EXPORTS_DIR", str(INSTANCE / "exports")),
        "CONFIRM_TOKEN_MAX_AGE": _int(env, "CONFIRM_TOKEN_MAX_AGE", 2 * 24 * 3600),
        "RESET_TOKEN_MAX_AGE": _int(env, "RESET_TOKEN_MAX_AGE", 3600),
        "LOG_LEVEL": env.get("LOG_LEVEL", "INFO").strip().upper(),
        "LOG_FORMAT": env.get("LOG_FORMAT", "text").strip().lower(),
        # A lost Redis degrades rate limits to per-process counting instead of failing pages.
        "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED": True,
        "RATELIMIT_SWALLOW_ERRORS": True,
        "PAGE_CACHE_ENABLED": _flag(env, "PAGE_CACHE_ENABLED", portal_env != "testing"),
        "PAGE_CACHE_TTL": _int(env, "PAGE_CACHE_TTL", 60),
        # Load shedding (portal.ops.shedding): 503 + Retry-After when a request waited longer
        # than this for a thread (ms; 0 = off); clients retry after SHED_RETRY_AFTER..2x s.
        "SHED_QUEUE_MS": _int(env, "SHED_QUEUE_MS", 2000),
        "SHED_RETRY_AFTER": _int(env, "SHED_RETRY_AFTER", 5),
    }
