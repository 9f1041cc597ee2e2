"""gunicorn settings for the portal: ``gunicorn -c gunicorn.conf.py wsgi:app``.

Everything can be set from the environment (the defaults suit a 2-core machine):

- ``WEB_CONCURRENCY`` worker processes (default: 2 x cores + 1, at most 8)
- ``GUNICORN_THREADS`` threads per worker (default 4 on Python 3.12+, where requests overlap
  their waits on PostgreSQL and Redis; 1 on Python 3.11, whose threaded workers crashed under
  load: see portal.ops.serving)
- ``GUNICORN_WORKER_CLASS`` ``gthread`` (the default when threads > 1) or ``sync`` (the default
  with one thread); ``gthread`` is gunicorn's threaded worker timing how long each request
  waits for a thread, so that an overloaded server sheds load even without a proxy (see
  portal.ops.shedding). Behind a proxy that sets X-Request-Start, ``sync`` sheds as well.
- ``GUNICORN_BIND`` / ``PORT`` address (default 127.0.0.1:8000; behind a reverse proxy)
- ``GUNICORN_TIMEOUT`` seconds before a stuck worker is killed and replaced (default 30)
- ``GUNICORN_GRACEFUL_TIMEOUT`` seconds a worker gets to finish its requests on restart (30)
- ``GUNICORN_KEEPALIVE`` seconds an idle keep-alive connection stays open (default 5)
- ``GUNICORN_MAX_REQUESTS`` recycle a worker after this many requests (default 50000, with
  25 % jitter so that workers do not restart together; 0 turns recycling off)
- ``GUNICORN_ACCESS_LOG`` access log path, ``-`` for stdout (default), empty for none
- ``LOG_FORMAT=json`` JSON access and error lines with the request id (see portal.ops.logs)
- ``LOG_LEVEL`` error-log level (default info)

Database connections: each worker holds a pool of up to ``threads`` connections (plus
overflow); workers x threads must stay below PostgreSQL's max_connections (100 by default)
divided by the number of app servers.
"""

import multiprocessing
import os

from portal.ops.serving import default_threads


def _int(name: str, default: int) -> int:
    value = os.environ.get(name, "")
    return int(value) if value.strip() else default


_port = os.environ.get("PORT", "")
bind = os.environ.get("GUNICORN_BIND") or (f"0.0.0.0:{_port}" if _port else "127.0.0.1:8000")
workers = _int("WEB_CONCURRENCY", min(multiprocessing.cpu_count() * 2 + 1, 8))
threads = _int("GUNICORN_THREADS", default_threads())
_worker = os.environ.get("GUNICORN_WORKER_CLASS", "").strip() or (
    "gthread" if threads > 1 else "sync"
)
if _worker == "gthread":
    from portal.ops.shedding import queue_timed_worker_class

    worker_class = queue_timed_worker_class()
else:
    worker_class = _worker
timeout = _int("GUNICORN_TIMEOUT", 30)
graceful_timeout = _int("GUNICORN_GRACEFUL_TIMEOUT", 30)
keepalive = _int("GUNICORN_KEEPALIVE", 5)
# Recycling bounds slow memory growth; a restart costs a worker boot (about a second of CPU),
# so it must be rare under load and never hit all workers at once.
max_requests = _int("GUNICORN_MAX_REQUESTS", 50000)
max_requests_jitter = max(max_requests // 4, 0)
worker_connections = _int("GUNICORN_WORKER_CONNECTIONS", 1000)
backlog = _int("GUNICORN_BACKLOG", 2048)
# Build the app in each worker, not in the master: a worker killed and restarted gets fresh
# database and Redis connections (none are shared across a fork).
preload_app = False
# Trust X-Forwarded-* only from the local reverse proxy (wsgi.py applies ProxyFix for one hop).
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
# Request line and header limits: generous for cookies, small enough to refuse abuse.
limit_request_line = 8190
limit_request_fields = 100

accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-") or None
errorlog = os.environ.get("GUNICORN_ERROR_LOG", "-")
loglevel = os.environ.get("LOG_LEVEL", "info").lower()
# Text access lines (when LOG_FORMAT is not json) carry the request id the app answered with.
access_log_format = (
    '%(h)s - - %(t)s "%(r)s" %(s)s %(b)s %(M)sms "%(a)s" request_id=%({x-request-id}o)s'
)
proc_name = "portal"

if os.environ.get("LOG_FORMAT", "").strip().lower() == "json":
    from portal.ops.logs import gunicorn_logger_class

    logger_class = gunicorn_logger_class()

# gunicorn 25+ opens a control socket (for gunicornc) at one fixed path per user: several
# instances on one machine would fight over it. Off unless a path is given.
_control = os.environ.get("GUNICORN_CONTROL_SOCKET", "")
if _control:
    control_socket = _control
else:
    control_socket_disable = True
