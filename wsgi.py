"""WSGI entry point: ``gunicorn wsgi:app``."""

import faulthandler

from werkzeug.middleware.proxy_fix import ProxyFix

from portal import create_app

# A worker that dies in C code (a signal such as SIGSEGV) writes every thread's Python stack to
# stderr, which gunicorn puts in its error log: without it such a death leaves no trace.
faulthandler.enable()

app = create_app()
# Behind one reverse proxy: trust its X-Forwarded-For/-Proto so rate limits see real addresses.
app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1)  # type: ignore[method-assign]
