"""What a resolver request asks for: the code (from the raw path), the answer's form, the
link type and the language.

The code is read from the request target as sent (``RAW_URI``/``REQUEST_URI``), before
percent-decoding, so a lot holding ``%2F`` stays one path segment, and checked by the SDK's
Digital Link parser: any break of the syntax is a 400 naming the rule.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from urllib.parse import quote

from flask import Request
from werkzeug.datastructures import MIMEAccept
from werkzeug.http import parse_accept_header

from shoptrace.sdk import digital_link
from shoptrace.sdk.digital_link import DigitalLink
from shoptrace.sdk.errors import InvalidDigitalLink
from shoptrace.widgets import negotiate

__all__ = [
    "HTML",
    "JSON",
    "LINKSET",
    "LINKSET_TYPE",
    "MAX_URI",
    "VOC",
    "Asked",
    "asked",
    "link_type",
    "request_link",
    "wants_json",
]

HTML = "text/html"
JSON = "application/json"
LINKSET_TYPE = "application/linkset+json"
LINKSET = "linkset"
VOC = "https://gs1.org/voc/"
MAX_URI = 2048
"""Longest request target the resolver reads; GS1 keys with qualifiers are far shorter."""
_VOC_SPELLINGS = ("https://gs1.org/voc/", "http://gs1.org/voc/", "https://ref.gs1.org/voc/")
_PATH_SAFE = "/:@!$&'()*+,;=-._~"


def _raw_path(req: Request, prefix: str) -> str:
    """The request path below ``prefix``, percent-encoded as the client sent it."""
    environ = req.environ
    raw = environ.get("RAW_URI") or environ.get("REQUEST_URI") or ""
    path = raw.split("?", 1)[0]
    if "://" in path:  # absolute-form request target
        path = "/" + path.split("://", 1)[1].partition("/")[2]
    root = req.script_root + prefix
    if path.startswith(root + "/"):
        return path[len(root) :]
    return quote(req.path[len(prefix) :], safe=_PATH_SAFE)  # a server without RAW_URI


@functools.lru_cache(maxsize=4096)
def _parse(target: str) -> DigitalLink | InvalidDigitalLink:
    """A parsed target, or the error it gives (links are immutable: safe to share)."""
    try:
        return digital_link.parse("https://resolver.invalid" + target)
    except InvalidDigitalLink as exc:
        return exc


def request_link(req: Request, prefix: str, *, below: str = "") -> DigitalLink:
    """The Digital Link the request path names under ``prefix`` (``below`` is a fixed segment
    such as ``/embed`` between them). Raises InvalidDigitalLink with the broken rule."""
    path = _raw_path(req, prefix)
    if below and path.startswith(below + "/"):
        path = path[len(below) :]
    if path.endswith("/") and len(path) > 1:
        path = path[:-1]  # a trailing slash is tolerated (GS1-Conformant Resolver)
    query = req.query_string.decode("latin-1")
    if len(path) + len(query) > MAX_URI:
        raise InvalidDigitalLink(
            f"the request target is longer than {MAX_URI} characters", rule="length"
        )
    found = _parse(path + ("?" + query if query else ""))
    if isinstance(found, InvalidDigitalLink):
        raise found
    return found


def link_type(value: str) -> str:
    """A requested link type in its full form: ``gs1:pip`` and every spelling of the GS1
    vocabulary's namespace give ``https://gs1.org/voc/pip``; ``linkset`` and ``all`` stay."""
    text = value.strip()
    if text.lower() in ("linkset", "all"):
        return LINKSET
    if text.startswith("gs1:"):
        return VOC + text[4:]
    for spelling in _VOC_SPELLINGS:
        if text.startswith(spelling):
            return VOC + text[len(spelling) :]
    return text


@dataclass(frozen=True, slots=True)
class Asked:
    """The form of answer a request asks for."""

    form: str
    """``html``, ``json``, ``linkset`` or ``link`` (a redirect to ``rel``)."""
    rel: str | None
    lang: str


def asked(req: Request, link: DigitalLink, default_lang: str) -> Asked:
    """The answer ``link``'s query and the request's Accept headers ask for."""
    headers = req.headers
    return _asked(
        link.param("linkType") or link.param("linktype"),
        link.param("lang"),
        headers.get("Accept"),
        headers.get("Accept-Language"),
        default_lang,
    )


@functools.lru_cache(maxsize=2048)
def _asked(
    requested: str | None,
    lang_param: str | None,
    accept: str | None,
    accept_language: str | None,
    default_lang: str,
) -> Asked:
    """:func:`asked` for the values it reads (clients send few distinct headers)."""
    lang = negotiate(lang_param, accept_language, default_lang)
    if requested:
        rel = link_type(requested)
        if rel == LINKSET:
            return Asked("linkset", None, lang)
        return Asked("link", rel, lang)
    return Asked(_form(accept), None, lang)


def _form(accept: str | None) -> str:
    best = parse_accept_header(accept, MIMEAccept).best_match((HTML, JSON, LINKSET_TYPE), HTML)
    return {JSON: "json", LINKSET_TYPE: "linkset"}.get(best or HTML, "html")


def wants_json(req: Request) -> bool:
    """Whether the request's Accept header prefers the JSON trace to the page."""
    return _form(req.headers.get("Accept")) == "json"
