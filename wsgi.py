"""WSGI entry point: ``gunicorn wsgi:app``."""

from werkzeug.middleware.proxy_fix import ProxyFix

from portal import create_app

app = create_app()
# Behind one reverse proxy: trust its X-Forwarded-For/-Proto so rate limits see real addresses.
app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1)  # type: ignore[method-assign]
