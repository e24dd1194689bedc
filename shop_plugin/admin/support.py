"""What every admin view shares: the merchant signed in, the language, links, pages and
transactions.

Views are thin like the API's: read the form, call one service with a connection from
:func:`reading` or :func:`writing`, render a page or redirect. :func:`writing` runs the view's
changes in one transaction; actions queued with :func:`after_commit` (signals, the issuance
thread) run once it committed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlencode

from flask import Response, current_app, g, render_template, request, url_for
from sqlalchemy.engine import Connection

from shoptrace.shop_plugin.admin import phrases
from shoptrace.shop_plugin.services.errors import FieldError, InvalidInput
from shoptrace.shop_plugin.services.pagination import MAX_ID, decode_token

if TYPE_CHECKING:
    from shoptrace.shop_plugin.extension import ShopTraceState

__all__ = [
    "PATH_SAFE",
    "TEMPLATES",
    "after_commit",
    "base_url",
    "choice_arg",
    "go",
    "here",
    "id_value",
    "lang",
    "link",
    "merchant_id",
    "other_link",
    "page_after",
    "reading",
    "render",
    "state",
    "t",
    "writing",
]

TEMPLATES = "shoptrace_admin/"
PATH_SAFE = "/:@!$&'()*+,;=-._~"
"""Characters a path keeps unescaped when it is put back into a URL."""
NOTICES = frozenset(
    {"saved", "created", "fulfilled", "recalled", "closed", "queued", "deleted", "resumed"}
)


def state() -> ShopTraceState:
    """The shoptrace state of the current app."""
    shop: ShopTraceState = current_app.extensions["shoptrace"]
    return shop


def merchant_id() -> int:
    """The merchant the signed-in user manages (the auth callback's answer)."""
    found: int = g.shoptrace_admin_merchant["id"]
    return found


def lang() -> str:
    """The page language: ``?lang=``, else Accept-Language, else the default."""
    chosen: str = g.get("shoptrace_admin_lang") or "en"
    return chosen


def t(key: str, **args: object) -> str:
    """An admin phrase in the page language."""
    return phrases.t(key, lang(), **args)


def link(endpoint: str, **values: Any) -> str:
    """The URL of an admin page, keeping the page language."""
    return url_for(endpoint, lang=lang(), **values)


def other_link(endpoint: str, **values: Any) -> str:
    """The URL of an admin page in the other language (the switch of a page shown after a
    form post)."""
    return url_for(endpoint, lang="en" if lang() == "zh-CN" else "zh-CN", **values)


def go(endpoint: str, *, notice: str | None = None, **values: Any) -> Response:
    """Redirect (303, after a form) to an admin page, with a notice to show there."""
    if notice is not None:
        values["notice"] = notice
    return Response(status=303, headers={"Location": link(endpoint, **values)})


def base_url() -> str:
    """Base of Digital Link URIs: SHOPTRACE_PUBLIC_BASE_URL, else this host and the prefix."""
    settings = state().settings
    return settings.public_base_url or request.url_root.rstrip("/") + settings.url_prefix


def here() -> str:
    """This page's URL with the other language, for the language switch (the dashboard when
    the request was a form post)."""
    other = "en" if lang() == "zh-CN" else "zh-CN"
    if request.method != "GET":
        return url_for(".dashboard", lang=other)
    args = [(k, v) for k, v in request.args.items(multi=True) if k not in ("lang", "notice")]
    args.append(("lang", other))
    return f"{request.script_root}{quote(request.path, safe=PATH_SAFE)}?{urlencode(args)}"


def render(
    template: str, *, status: int = 200, switch: str | None = None, **context: Any
) -> Response:
    """A page of the admin; ``switch`` is where the language switch leads (default: this
    page in the other language)."""
    notice = request.args.get("notice")
    html = render_template(
        TEMPLATES + template,
        switch_url=switch or here(),
        notice=t(f"page.notice.{notice}") if notice in NOTICES else None,
        **context,
    )
    return Response(html, status=status, mimetype="text/html")


@contextmanager
def reading() -> Iterator[Connection]:
    """A read transaction."""
    with state().store.read() as conn:
        yield conn


def after_commit(action: Callable[[], None]) -> None:
    """Run ``action`` once the current :func:`writing` transaction has committed."""
    g.shoptrace_admin_after_commit.append(action)


@contextmanager
def writing() -> Iterator[Connection]:
    """One write transaction; nothing is written when the block raises."""
    actions: list[Callable[[], None]] = []
    g.shoptrace_admin_after_commit = actions
    with state().store.begin() as conn:
        yield conn
    for action in actions:
        action()


def page_after() -> int:
    """The id a list page starts after (``pageToken``); a bad token is a 400."""
    return decode_token(request.args.get("pageToken"))


def choice_arg(name: str, choices: tuple[str, ...]) -> str | None:
    """A query parameter that must be one of ``choices`` (None when absent or empty)."""
    value = request.args.get(name)
    if not value:
        return None
    if value not in choices:
        raise InvalidInput.one(name, "enum", f"must be one of {', '.join(choices)}", status=400)
    return value


def id_value(value: Any, name: str) -> int:
    """A row id from a form or query; 400 naming ``name`` when it is not one."""
    text = value.strip() if isinstance(value, str) else ""
    if not text.isascii() or not text.isdigit() or len(text) > 19 or not 1 <= int(text) <= MAX_ID:
        raise InvalidInput([FieldError(name, "id", "must be a positive whole number")], status=400)
    return int(text)
