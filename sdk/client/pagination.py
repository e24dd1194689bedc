"""Lists a page at a time: iterators that follow ``nextPageToken`` / ``Link: rel="next"``.

A :class:`Pager` fetches nothing until it is iterated. Iterating it yields the items of every
page in turn; :meth:`Pager.pages` yields the pages themselves. Each next page is asked for
with the caller's filters and the token of the page before, sent to the list's own URL (the
token is taken from the body's ``nextPageToken`` or from the ``Link`` header), so a ``Link``
pointing at another host is never followed with the API key.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from itertools import islice
from typing import Any, Generic, TypeVar
from urllib.parse import parse_qs, urlsplit

import requests

from shoptrace.sdk.client.transport import Transport

__all__ = ["Page", "Pager", "fetch_pages", "next_token"]

T = TypeVar("T")


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a list: its items and the token of the next page (None on the last)."""

    items: list[T]
    next_page_token: str | None

    def __iter__(self) -> Iterator[T]:
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)


class Pager(Generic[T]):
    """The items of a paged list, fetched lazily as iteration reaches them."""

    def __init__(self, fetch: Callable[[str | None], Page[T]], *, start: str | None = None):
        self._fetch = fetch
        self._start = start

    def __iter__(self) -> Iterator[T]:
        for page in self.pages():
            yield from page.items

    def pages(self) -> Iterator[Page[T]]:
        """The pages, from the first (or the ``page_token`` given) to the last."""
        token = self._start
        seen: set[str] = set()
        while True:
            page = self._fetch(token)
            yield page
            token = page.next_page_token
            if token is None or token in seen:  # a token repeating would loop forever
                return
            seen.add(token)

    def first_page(self) -> Page[T]:
        """Only the first page (one request)."""
        return self._fetch(self._start)

    def take(self, count: int) -> list[T]:
        """The first ``count`` items (fetching only the pages they are on)."""
        return list(islice(self, count))

    def all(self) -> list[T]:
        """Every item of every page."""
        return list(self)


def next_token(response: requests.Response, body_token: Any, param: str) -> str | None:
    """The next page's token: the body's ``nextPageToken``, else the ``param`` of the URL in
    the ``Link: rel="next"`` header; None on the last page."""
    if isinstance(body_token, str) and body_token:
        return body_token
    link = response.links.get("next")
    if not link or "url" not in link:
        return None
    values = parse_qs(urlsplit(link["url"]).query).get(param)
    return values[-1] if values else None


def fetch_pages(
    transport: Transport,
    url: str,
    params: Mapping[str, Any],
    *,
    extract: Callable[[Any], list[Any]],
    build: Callable[[Any], T],
    token_param: str,
    start: str | None = None,
) -> Pager[T]:
    """A pager over the list at ``url``: ``extract`` takes the items out of a page's JSON,
    ``build`` makes each a result object, ``token_param`` names the query parameter that
    carries the page token (``pageToken`` in the merchant API, ``nextPageToken`` in EPCIS)."""
    fixed = {k: v for k, v in params.items() if v is not None}

    def fetch(token: str | None) -> Page[T]:
        query = dict(fixed)
        if token is not None:
            query[token_param] = token
        response = transport.request("GET", url, params=query)
        body = response.json()
        body_token = body.get("nextPageToken") if isinstance(body, dict) else None
        items = [build(item) for item in extract(body)]
        return Page(items, next_token(response, body_token, token_param))

    return Pager(fetch, start=start)
