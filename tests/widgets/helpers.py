"""HTML helpers for the widget tests."""

from __future__ import annotations

import re
from html import unescape
from html.parser import HTMLParser

Tag = tuple[str, dict[str, str | None]]


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[Tag] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def tags(html: str) -> list[Tag]:
    """Every start tag and its attributes, as a browser's tokenizer sees them."""
    parser = _Tags()
    parser.feed(html)
    parser.close()
    return parser.tags


def visible_text(html: str) -> str:
    """The page's text, roughly: styles and tags out, entities decoded, whitespace collapsed."""
    body = re.sub(r"<style.*?</style>", " ", html, flags=re.S)
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", body)))
