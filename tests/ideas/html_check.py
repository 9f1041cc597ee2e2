"""What a browser would execute in a page: script-like elements, event handlers, bad URLs."""

from __future__ import annotations

import re
from html.parser import HTMLParser

FORBIDDEN_TAGS = {"script", "img", "svg", "iframe", "object", "embed", "math", "style", "body"}
BAD_URL = re.compile(r"^\s*(javascript|data|vbscript):", re.IGNORECASE)


class _Checker(HTMLParser):
    """Collects what a browser would execute: script-like elements, event handler attributes,
    dangerous URLs. Text (escaped markup) is not a problem and is ignored."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []
        self.seen_body = False

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "script" and (attributes.get("src") or "").startswith("/static/"):
            return
        if tag == "body" and not self.seen_body and not attrs:
            self.seen_body = True  # the page's own body element
            return
        if tag in FORBIDDEN_TAGS:
            self.problems.append(f"<{tag}>")
        for name, value in attrs:
            if name.startswith("on"):
                self.problems.append(f"{tag}[{name}]")
            if name in {"href", "src", "action", "formaction"} and BAD_URL.match(value or ""):
                self.problems.append(f"{tag}[{name}={value}]")
            if name == "style":
                self.problems.append(f"{tag}[style]")


def assert_harmless(html: str, label: str) -> None:
    checker = _Checker()
    checker.feed(html)
    checker.close()
    assert not checker.problems, f"{label}: {checker.problems}"
