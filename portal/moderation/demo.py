"""Demo data for moderation: a starter blocklist (safe to load twice).

Moderation loads before ideas and comments exist, so the demo reports nothing; log in as
moderator@example.org and report content as resident@example.org to try the queue.
"""

from __future__ import annotations

from sqlalchemy import select

from portal.accounts.services import find_by_email
from portal.extensions import db
from portal.moderation.models import BlocklistEntry

DEMO_BLOCKLIST = (("casino", False), (r"v[i1]agra", True), ("crypto giveaway", False))


def load() -> list[str]:
    admin = find_by_email("admin@example.org")
    added = 0
    for pattern, is_regex in DEMO_BLOCKLIST:
        exists = db.session.scalar(
            select(BlocklistEntry.id).where(
                BlocklistEntry.pattern == pattern, BlocklistEntry.is_regex == is_regex
            )
        )
        if exists is None:
            db.session.add(
                BlocklistEntry(
                    pattern=pattern,
                    is_regex=is_regex,
                    created_by_id=admin.id if admin is not None else None,
                )
            )
            added += 1
    db.session.flush()
    return [f"Moderation: {added} blocklist entries added ({len(DEMO_BLOCKLIST)} in the demo)."]
