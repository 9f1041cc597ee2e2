"""The one sanitizer turns attack strings into harmless text."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest

from portal.core.html import ALLOWED_TAGS, count_links, plain_text, render_markdown


class _Collector(HTMLParser):
    """Every element and attribute a browser would build from the output."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, attrs))


def dangerous_parts(html: str) -> list[str]:
    collector = _Collector()
    collector.feed(html)
    found = []
    for tag, attrs in collector.tags:
        if tag not in ALLOWED_TAGS:
            found.append(f"element {tag}")
        for name, value in attrs:
            if name.startswith("on") or name == "style":
                found.append(f"attribute {name}")
            if name in {"href", "src"}:
                scheme = (value or "").split(":", 1)[0].strip().lower()
                if ":" in (value or "") and scheme not in {"http", "https", "mailto"}:
                    found.append(f"{name}={value}")
    return found


ATTACKS = [
    "<script>alert(1)</script>",
    '<img src=x onerror="alert(1)">',
    '<a href="javascript:alert(1)">click</a>',
    "[click](javascript:alert(1))",
    "[click](JaVaScRiPt:alert(1))",
    "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    '<svg onload="alert(1)">',
    "<iframe src='https://evil.example'></iframe>",
    '<div style="background:url(javascript:alert(1))">x</div>',
    "<<script>script>alert(1)<</script>/script>",
    '"><script>alert(1)</script>',
    "<b onmouseover=alert(1)>bold</b>",
    "<scr<script>ipt>alert(1)</script>",
    "<form action=https://evil.example><button>go</button></form>",
    '![x](https://evil.example/x.png" onerror="alert(1))',
    "<a href='vbscript:msgbox(1)'>x</a>",
    '<math><mi xlink:href="javascript:alert(1)">x</mi></math>',
    "&lt;script&gt;alert(1)&lt;/script&gt;",
    "<unclosed <b>broken <i>html",
]


@pytest.mark.parametrize("attack", ATTACKS)
def test_attack_strings_render_harmless(attack):
    assert dangerous_parts(str(render_markdown(attack))) == []


def test_the_checker_itself_spots_danger():
    assert dangerous_parts('<a href="javascript:x" onclick="y">a</a><script></script>') == [
        "href=javascript:x",
        "attribute onclick",
        "element script",
    ]


def test_markdown_formatting_survives():
    html = str(render_markdown("**bold** and [a link](https://example.org)\n\n- one\n- two"))
    assert "<strong>bold</strong>" in html
    assert 'href="https://example.org"' in html and 'rel="nofollow noopener ugc"' in html
    assert "<li>one</li>" in html


def test_plain_text_for_feeds_and_mail():
    assert plain_text("**Hello** <script>x</script> world") == "Hello <script>x</script> world"
    assert plain_text("a " * 100, limit=20).endswith("…")
    assert count_links("see https://a.example and http://b.example") == 2


def test_cleaning_from_many_threads_gives_the_same_html():
    """gunicorn runs threads: each gets its own bleach Cleaner (which is not thread-safe)."""
    from concurrent.futures import ThreadPoolExecutor

    from portal.core.html import sanitize_html

    texts = [
        f'<p onclick="x()">Text {n} <a href="javascript:alert({n})">link</a>'
        f"<script>alert({n})</script><em>{'ok ' * (n % 50)}</em> https://example.org/{n}</p>"
        for n in range(400)
    ]
    serial = [sanitize_html(t) for t in texts]
    with ThreadPoolExecutor(max_workers=8) as pool:
        parallel = list(pool.map(sanitize_html, texts))
    assert parallel == serial
    assert all("<script" not in html and "onclick" not in html for html in parallel)


def test_rendered_markdown_is_remembered_but_stays_per_text():
    from portal.core.html import render_markdown

    first = render_markdown("**same** text")
    assert render_markdown("**same** text") is first  # served from the memo
    assert render_markdown("**other** text") != first
    long_text = "word " * 1000  # longer texts are rendered each time
    assert render_markdown(long_text) == render_markdown(long_text)
