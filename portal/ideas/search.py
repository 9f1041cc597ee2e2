"""Full-text search over ideas, one interface for both databases.

SQLite: the FTS4 table ``fts_ideas`` (docid = idea id). PostgreSQL: the table ``fts_ideas``
(idea_id, document tsvector, GIN index). Both are filled by triggers (migration 0003). A
person's words are never passed to the query syntax as they are: they are split into words
and each word is quoted, so no input can make a query fail or mean something else.
"""

from __future__ import annotations

import re

from sqlalchemy import literal_column, select, text
from sqlalchemy.sql.elements import ColumnElement

from portal.extensions import db
from portal.ideas.models import Idea

_WORD = re.compile(r"\w+", re.UNICODE)
MAX_WORDS = 12


def words(query: str | None) -> list[str]:
    """The searchable words of a person's query (lower case, at most a dozen)."""
    found: list[str] = []
    for word in _WORD.findall((query or "").lower()):
        word = word.strip("_")
        if word and word not in found:
            found.append(word[:40])
    return found[:MAX_WORDS]


def _dialect() -> str:
    return db.session.get_bind().dialect.name


def matching(query: str | None, any_word: bool = False) -> ColumnElement[bool] | None:
    """SQL condition "this idea matches the query" (every word, or ``any_word``), with prefix
    matching on each word. None when the query has no words."""
    terms = words(query)
    if not terms:
        return None
    if _dialect() == "postgresql":
        joiner = " | " if any_word else " & "
        # Each word in single quotes: to_tsquery reads it as one lexeme, whatever it contains.
        tsquery = joiner.join("'" + term.replace("'", "") + "':*" for term in terms)
        sub = (
            select(literal_column("idea_id"))
            .select_from(text("fts_ideas"))
            .where(text("document @@ to_tsquery('simple', :tsquery)").bindparams(tsquery=tsquery))
        )
        return Idea.id.in_(sub)
    joiner = " OR " if any_word else " "
    match = joiner.join('"' + term.replace('"', "") + '*"' for term in terms)
    sub = (
        select(literal_column("docid"))
        .select_from(text("fts_ideas"))
        .where(text("fts_ideas MATCH :match").bindparams(match=match))
    )
    return Idea.id.in_(sub)
