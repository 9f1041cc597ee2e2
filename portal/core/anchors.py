"""Anchors: one row per piece of content that others can attach things to.

Comments, follows, reports and notifications attach to an :class:`Anchor` with a real foreign
key, whatever the content is (an idea, a budget project, a consultation, a comment). This is
SQLAlchemy's "discriminator on association" pattern: the content row holds ``anchor_id``, the
anchor knows its ``kind``, and :meth:`Anchor.target` leads back to the content.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, ClassVar

from sqlalchemy import ForeignKey, Integer, String, event, select
from sqlalchemy.orm import Mapped, Session, declared_attr, mapped_column, relationship

from portal.extensions import db

if TYPE_CHECKING:
    from portal.consultations.models import Consultation

ANCHORED_CLASSES: dict[str, type[Anchored]] = {}


class Anchor(db.Model):
    __tablename__ = "anchors"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(20), nullable=False)
    # Kept up to date by portal.comments (visible comments only): lists sort and show it
    # without counting rows on every page.
    comment_count: Mapped[int] = mapped_column(
        Integer, nullable=False, default=0, server_default="0"
    )

    def target(self) -> Anchored | None:
        """The content this anchor belongs to."""
        cls = ANCHORED_CLASSES.get(self.kind)
        if cls is None:
            return None
        return db.session.scalar(select(cls).where(cls.anchor_id == self.id))


class Anchored:
    """Mixin for content that can be commented on, followed, reported or notified about.

    Subclasses set ``anchor_kind`` and implement :meth:`url`, :meth:`anchor_title`,
    :meth:`anchor_consultation` and :meth:`is_publicly_visible`.
    """

    anchor_kind: ClassVar[str]

    @declared_attr
    def anchor_id(cls) -> Mapped[int]:  # noqa: N805 - SQLAlchemy's declared_attr signature
        return mapped_column(
            ForeignKey("anchors.id", ondelete="CASCADE"), unique=True, nullable=False
        )

    @declared_attr
    def anchor(cls) -> Mapped[Anchor]:  # noqa: N805
        # Explicit: content such as a comment also points at *another* anchor (its target).
        return relationship(
            Anchor, cascade="all", single_parent=True, foreign_keys=f"{cls.__name__}.anchor_id"
        )

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        kind = cls.__dict__.get("anchor_kind")
        if kind:
            ANCHORED_CLASSES[kind] = cls
            event.listen(cls, "init", _create_anchor)

    def url(self, external: bool = False) -> str:
        """The public page of this content."""
        raise NotImplementedError

    def anchor_title(self) -> str:
        """A short plain-text title (for notifications, queues and logs)."""
        raise NotImplementedError

    def anchor_consultation(self) -> Consultation | None:
        """The consultation this content belongs to, if any."""
        return None

    def is_publicly_visible(self) -> bool:
        """False when moderation or withdrawal hides it from the public."""
        return True


def _create_anchor(target: Anchored, args: tuple, kwargs: dict) -> None:
    if "anchor" not in kwargs and "anchor_id" not in kwargs:
        target.anchor = Anchor(kind=type(target).anchor_kind)


def load_targets(session: Session, anchor_ids: Iterable[int | None]) -> dict[int, Anchored]:
    """The content of many anchors, with one query per kind of content (no query per row)."""
    ids = {i for i in anchor_ids if i is not None}
    if not ids:
        return {}
    rows = session.execute(select(Anchor.id, Anchor.kind).where(Anchor.id.in_(ids))).all()
    by_kind: dict[str, list[int]] = defaultdict(list)
    for anchor_id, kind in rows:
        by_kind[kind].append(anchor_id)
    found: dict[int, Anchored] = {}
    for kind, kind_ids in by_kind.items():
        cls = ANCHORED_CLASSES.get(kind)
        if cls is None:
            continue
        for obj in session.scalars(select(cls).where(cls.anchor_id.in_(kind_ids))):
            found[obj.anchor_id] = obj
    return found
