"""Planner Markdown (the introduction and the vision statement) as document blocks.

HTML and PDF show such text through :func:`portal.core.html.render_markdown`, the portal's
one sanitiser; DOCX and ODT need real paragraphs, lists and runs instead of markup, so the
same Markdown is parsed here with the same parser settings (raw HTML disabled) and turned
into :mod:`~portal.exports.documents.model` blocks. Unknown constructs keep their text.
"""

from __future__ import annotations

from markdown_it import MarkdownIt

from portal.exports.documents.model import BulletList, Heading, Paragraph, Run

_parser = MarkdownIt("commonmark", {"html": False, "linkify": False}).enable(
    ["table", "strikethrough"]
)
SAFE_SCHEMES = ("http://", "https://", "mailto:")


def _inline_runs(children) -> list[Run]:
    runs: list[Run] = []
    bold = italic = 0
    href: str | None = None
    for token in children or []:
        kind = token.type
        if kind == "strong_open":
            bold += 1
        elif kind == "strong_close":
            bold -= 1
        elif kind == "em_open":
            italic += 1
        elif kind == "em_close":
            italic -= 1
        elif kind == "link_open":
            target = str(token.attrs.get("href", ""))
            href = target if target.lower().startswith(SAFE_SCHEMES) else None
        elif kind == "link_close":
            href = None
        elif kind in ("softbreak", "hardbreak"):
            runs.append(Run(" " if kind == "softbreak" else "\n"))
        elif kind in ("text", "code_inline", "image"):
            text = token.content
            if text:
                runs.append(Run(text, bold=bold > 0, italic=italic > 0, href=href))
    return runs


def parse(source: str, base_level: int = 2) -> list:
    """Blocks for ``source``; Markdown headings start at ``base_level`` (below a chapter)."""
    tokens = _parser.parse(source or "")
    blocks: list = []
    lists: list[BulletList] = []
    heading_level: int | None = None
    quote = 0
    for token in tokens:
        kind = token.type
        if kind == "heading_open":
            heading_level = min(3, base_level + int(token.tag[1]) - 1)
        elif kind == "heading_close":
            heading_level = None
        elif kind in ("bullet_list_open", "ordered_list_open"):
            lists.append(BulletList([], ordered=kind == "ordered_list_open"))
        elif kind in ("bullet_list_close", "ordered_list_close"):
            finished = lists.pop()
            if lists:  # a nested list joins its parent's last item, indented by a dash
                for item in finished.items:
                    lists[-1].items.append([Run("– "), *item])
            else:
                blocks.append(finished)
        elif kind == "list_item_open" and lists:
            lists[-1].items.append([])
        elif kind == "blockquote_open":
            quote += 1
        elif kind == "blockquote_close":
            quote -= 1
        elif kind == "inline":
            runs = _inline_runs(token.children)
            if heading_level is not None:
                blocks.append(Heading(heading_level, "".join(r.text for r in runs)))
            elif lists and lists[-1].items:
                item = lists[-1].items[-1]
                if item:
                    item.append(Run(" "))
                item.extend(runs)
            elif runs:
                blocks.append(Paragraph(runs, "quote" if quote else "normal"))
        elif kind in ("fence", "code_block"):
            blocks.append(Paragraph([Run(token.content.rstrip("\n"))], "quote"))
    return blocks
