"""Whether content is shown to the public: ONE filter used by every public read.

Content that can be moderated carries :class:`Moderated`'s columns. Every list, search, count,
feed, e-mail, API answer and export that the public can see selects with ``Model.visible()``,
so hidden content cannot leak through a surface that forgot a condition.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, String
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.sql.elements import ColumnElement

PUBLISHED = "published"
PENDING = "pending"  # waiting for pre-moderation or auto-hidden after reports, pending review
HIDDEN = "hidden"  # hidden by a moderator (or with its blocked author)
STATES = (PUBLISHED, PENDING, HIDDEN)


class Moderated:
    """Mixin: the moderation state of a piece of content."""

    moderation_state: Mapped[str] = mapped_column(
        String(12), default=PUBLISHED, nullable=False, index=True
    )
    hidden_at: Mapped[datetime | None] = mapped_column(DateTime)
    hidden_reason: Mapped[str | None] = mapped_column(String(20))

    @classmethod
    def visible(cls) -> ColumnElement[bool]:
        """SQL condition for 'the public may see this'."""
        return cls.moderation_state == PUBLISHED

    @property
    def is_visible(self) -> bool:
        return self.moderation_state == PUBLISHED
