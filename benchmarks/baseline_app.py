"""The bare baselines the portal's numbers are compared with, served by the same gunicorn
settings (``gunicorn -c gunicorn.conf.py benchmarks.baseline_app:app``):

- ``GET /hello``      Flask answering a constant string (the ceiling for any page);
- ``POST /insert``    one INSERT in its own transaction (the ceiling for any write);
- ``GET /select20``   a 20-row SELECT rendered as JSON (the ceiling for a small list).

``DATABASE_URL`` names the database (the table ``bench_baseline`` is created if missing).
"""

from __future__ import annotations

import os

from flask import Flask, jsonify
from sqlalchemy import (
    Column,
    DateTime,
    Integer,
    MetaData,
    String,
    Table,
    create_engine,
    func,
    insert,
    select,
)

metadata = MetaData()
rows = Table(
    "bench_baseline",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("value", String(100), nullable=False),
    Column("created_at", DateTime, nullable=False, server_default=func.now()),
)


def _url() -> str:
    url = os.environ.get("DATABASE_URL", "sqlite:////tmp/bench-baseline.db")
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def create_app() -> Flask:
    app = Flask(__name__)
    # Bare: no connection check per request (the portal checks only idle connections).
    engine = create_engine(_url())
    metadata.create_all(engine)
    with engine.begin() as connection:
        if connection.scalar(select(func.count()).select_from(rows)) < 20:
            connection.execute(insert(rows), [{"value": f"row {n}"} for n in range(20)])

    @app.get("/hello")
    def hello():
        return "hello"

    @app.post("/insert")
    def insert_one():
        with engine.begin() as connection:
            new_id = connection.execute(
                insert(rows).values(value="x").returning(rows.c.id)
            ).scalar_one()
        return jsonify({"id": new_id}), 201

    @app.get("/select20")
    def select_twenty():
        with engine.connect() as connection:
            found = connection.execute(
                select(rows.c.id, rows.c.value, rows.c.created_at)
                .order_by(rows.c.id.desc())
                .limit(20)
            ).all()
        return jsonify(
            [{"id": r.id, "value": r.value, "created_at": r.created_at.isoformat()} for r in found]
        )

    @app.get("/healthz")
    def health():
        return "ok"

    return app


app = create_app()
