"""The ONLY module that turns user text into HTML: Markdown rendering and sanitising.

Everything a person typed goes through :func:`render_markdown` (rich text) or Jinja's
autoescaping (plain text). Keeping the allow-list here means one place to audit.
"""

from __future__ import annotations

import functools
import html
import re
import threading

import bleach
from markdown_it import MarkdownIt
from markupsafe import Markup

ALLOWED_TAGS = frozenset(
    {
        "p",
        "br",
        "hr",
        "strong",
        "em",
        "b",
        "i",
        "code",
        "pre",
        "blockquote",
        "ul",
        "ol",
        "li",
        "a",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "table",
        "thead",
        "tbody",
        "tr",
        "th",
        "td",
        "del",
        "s",
    }
)
ALLOWED_ATTRIBUTES = {"a": ["href", "title", "rel"], "th": ["align"], "td": ["align"]}
ALLOWED_PROTOCOLS = frozenset({"http", "https", "mailto"})

# Raw HTML in Markdown is disabled: a person writes Markdown, never markup.
_markdown = MarkdownIt("commonmark", {"html": False, "linkify": False}).enable(
    ["table", "strikethrough"]
)


def _new_cleaner() -> bleach.Cleaner:
    return bleach.Cleaner(
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        protocols=ALLOWED_PROTOCOLS,
        strip=True,
        filters=[],
    )


_local = threading.local()


def _cleaner() -> bleach.Cleaner:
    """bleach's Cleaner is not thread-safe: one per thread (gunicorn runs several)."""
    cleaner = getattr(_local, "cleaner", None)
    if cleaner is None:
        cleaner = _local.cleaner = _new_cleaner()
    return cleaner


_URL = re.compile(r"https?://", re.IGNORECASE)


def _add_rel(attrs: dict, new: bool = False) -> dict:
    href_key = (None, "href")
    if href_key in attrs:
        attrs[(None, "rel")] = "nofollow noopener ugc"
    return attrs


def sanitize_html(markup: str) -> Markup:
    """Clean HTML to the allow-list; links get rel="nofollow noopener ugc"."""
    cleaned = _cleaner().clean(markup or "")
    cleaned = bleach.linkify(cleaned, callbacks=[_add_rel], skip_tags={"pre", "code"})
    return Markup(cleaned)  # noqa: S704 - cleaned by bleach's allow-list just above


# Rendering and cleaning cost about a millisecond per comment and a page shows dozens, while
# texts rarely change: short texts' HTML is remembered (per process, least recently used out).
MEMO_MAX_LENGTH = 2000


@functools.lru_cache(maxsize=4096)
def _render_memo(text: str) -> Markup:
    return sanitize_html(_markdown.render(text))


def render_markdown(text: str | None) -> Markup:
    """Render a person's Markdown to safe HTML."""
    text = text or ""
    if len(text) <= MEMO_MAX_LENGTH:
        return _render_memo(text)
    return sanitize_html(_markdown.render(text))


def plain_text(text: str | None, limit: int | None = None) -> str:
    """Markdown to plain text (for feeds, meta descriptions and e-mails)."""
    stripped = html.unescape(bleach.clean(_markdown.render(text or ""), tags=set(), strip=True))
    stripped = re.sub(r"\s+", " ", stripped).strip()
    if limit and len(stripped) > limit:
        stripped = stripped[: limit - 1].rstrip() + "…"
    return stripped


def count_links(text: str | None) -> int:
    """How many web links a text contains (for link limits on new accounts)."""
    return len(_URL.findall(text or ""))
