"""Render the trace page, the counterfeit warning page and the iframe embed, without Flask.

Templates get a *view* of the public trace JSON (:class:`TraceView`): only known public fields,
as text, with dates already formatted in the page language and links limited to http(s). A
field that is absent from the trace dict is absent from the page. Templates live under
``templates/shoptrace/`` so a host app can override any of them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from jinja2 import BaseLoader, ChoiceLoader, Environment, FileSystemLoader

from shoptrace.widgets import i18n
from shoptrace.widgets.i18n import Lang

__all__ = [
    "Certification",
    "Fact",
    "Step",
    "TraceView",
    "environment",
    "macros_path",
    "page_context",
    "render_embed",
    "render_trace_page",
    "render_unknown_page",
    "safe_url",
    "templates_path",
    "trace_view",
    "widget_js",
]

TRACE_PAGE = "shoptrace/trace_page.html"
UNKNOWN_PAGE = "shoptrace/unknown_page.html"
EMBED = "shoptrace/embed.html"


@dataclass(frozen=True)
class Fact:
    """One labelled value (origin, lot, expiry date ...)."""

    label: str
    value: str


@dataclass(frozen=True)
class Certification:
    """A certificate as shown: its name, verification level and the details that back it."""

    label: str
    level: str | None
    third_party: bool
    details: tuple[str, ...]
    url: str | None


@dataclass(frozen=True)
class Step:
    """One timeline entry in plain words."""

    title: str
    time: str
    iso_time: str | None
    place: str | None
    state: str | None


@dataclass(frozen=True)
class TraceView:
    """What a trace page shows; every text is plain (templates escape it)."""

    lang: Lang
    kind: str
    kind_label: str | None
    code: str | None
    code_url: str | None
    name: str | None
    description: str | None
    category: str | None
    listing_url: str | None
    origin: str | None
    producer: str | None
    facts: tuple[Fact, ...] = ()
    certifications: tuple[Certification, ...] = ()
    timeline: tuple[Step, ...] = ()
    now_status: str | None = None
    now_place: str | None = None
    now_since: str | None = None
    genuine: bool | None = None
    genuine_label: str | None = None
    verification_lines: tuple[str, ...] = ()
    recall_label: str | None = None
    recall_lines: tuple[str, ...] = ()
    recall_clear: str | None = None
    """"Not recalled", when the trace says so outright (the ``gs1:recallStatus`` answer)."""
    completeness: int | None = None
    warning_label: str | None = None
    warning_detail: str | None = None

    @property
    def recalled(self) -> bool:
        """Whether the recall banner shows."""
        return self.recall_label is not None

    @property
    def unknown(self) -> bool:
        """Whether the code is unknown (the counterfeit warning)."""
        return self.kind == "unknown"


def _text(value: object) -> str | None:
    """A JSON scalar as display text; objects, lists, booleans and blanks are not text."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, str) and value.strip():
        return value
    return None


def _obj(value: object) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _list(value: object) -> list[Mapping[str, Any]]:
    return [item for item in value if isinstance(item, Mapping)] if isinstance(value, list) else []


def _percent(value: object) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return round(value) if 0 <= value <= 100 else None


def safe_url(value: object) -> str | None:
    """``value`` when it is an absolute http(s) URL, else ``None`` (no ``javascript:`` links)."""
    text = _text(value)
    if text is None or any(ord(c) < 33 for c in text):
        return None
    try:
        parts = urlsplit(text)
    except ValueError:
        return None
    return text if parts.scheme in ("http", "https") and parts.netloc else None


def _certification(cert: Mapping[str, Any], lang: Lang) -> Certification | None:
    label = _text(cert.get("label")) or _text(cert.get("scheme"))
    if label is None:
        return None
    raw_level = _text(cert.get("verification"))
    level = _text(cert.get("verificationLabel")) or i18n.verification_phrase(raw_level, lang)
    details = [_text(cert.get("issuer")), _text(cert.get("number"))]
    if until := _text(cert.get("validUntil")):
        details.append(i18n.t("ui.valid_until", lang, date=i18n.format_date(until, lang)))
    return Certification(
        label=label,
        level=level,
        third_party=(raw_level or "").lower().replace("-", "_").startswith("third_party"),
        details=tuple(d for d in details if d),
        url=safe_url(cert.get("url")),
    )


def _step(event: Mapping[str, Any], lang: Lang) -> Step:
    raw_time = _text(event.get("time"))
    disposition = _text(event.get("disposition"))
    state = _text(event.get("dispositionLabel")) or (
        i18n.disposition_phrase(disposition, lang) if disposition else None
    )
    return Step(
        title=_text(event.get("title")) or i18n.step_phrase(_text(event.get("step")), lang),
        time=i18n.format_datetime(raw_time, lang),
        iso_time=raw_time,
        place=_text(event.get("place")),
        state=state,
    )


def _verification_lines(v: Mapping[str, Any], lang: Lang) -> tuple[str, ...]:
    lines: list[str] = []
    if first := _text(v.get("firstCheckedAt")):
        lines.append(i18n.t("ui.first_checked", lang, date=i18n.format_date(first, lang)))
    count = v.get("checkCount")
    if isinstance(count, int) and not isinstance(count, bool) and count > 0:
        lines.append(i18n.t("ui.checked_times", lang, count=count))
    elif count == 0 and not isinstance(count, bool):
        lines.append(i18n.t("ui.checked_first", lang))
    shop = _text(v.get("soldBy"))
    sold_at = _text(v.get("soldAt"))
    day = i18n.format_date(sold_at, lang) if sold_at else None
    if shop and day:
        lines.append(i18n.t("ui.sold_by_on", lang, shop=shop, date=day))
    elif shop:
        lines.append(i18n.t("ui.sold_by", lang, shop=shop))
    elif day:
        lines.append(i18n.t("ui.sold_on", lang, date=day))
    return tuple(lines)


def trace_view(trace: Mapping[str, Any], *, lang: str) -> TraceView:
    """The public trace JSON as a page shows it, in ``lang``.

    Labels the JSON carries (``title``, ``statusLabel``, ``verificationLabel`` ...) win; the
    phrasebook fills in the ones it leaves out.
    """
    lg = i18n.normalize_lang(lang)
    kind = _text(trace.get("kind")) or "unknown"
    product, batch = _obj(trace.get("product")), _obj(trace.get("batch"))
    code = _text(trace.get("code"))
    base: dict[str, Any] = {
        "lang": lg,
        "kind": kind,
        "kind_label": i18n.kind_phrase(kind, lg),
        "code": code,
        "code_url": safe_url(code),
    }
    if kind == "unknown":
        warning = _obj(trace.get("warning"))
        return TraceView(
            **base,
            name=None,
            description=None,
            category=None,
            listing_url=None,
            origin=None,
            producer=None,
            warning_label=_text(warning.get("label")) or i18n.t("ui.possible_counterfeit", lg),
            warning_detail=_text(warning.get("detail")) or i18n.t("ui.counterfeit_detail", lg),
        )
    category = _obj(product.get("category"))
    category_code = _text(category.get("code"))
    facts = [
        (i18n.t("ui.gtin", lg), _text(trace.get("gtin"))),
        (i18n.t("ui.lot", lg), _text(trace.get("lot")) or _text(batch.get("lot"))),
        (i18n.t("ui.serial", lg), _text(trace.get("serial"))),
    ]
    for key, name in (("ui.production_date", "productionDate"), ("ui.expiry_date", "expiryDate")):
        if day := _text(batch.get(name)):
            facts.append((i18n.t(key, lg), i18n.format_date(day, lg)))
    now = _obj(trace.get("now"))
    status = _text(now.get("statusLabel")) or i18n.status_phrase(_text(now.get("status")), lg)
    since = _text(now.get("since"))
    verification = _obj(trace.get("verification"))
    genuine: bool | None = None
    genuine_label: str | None = None
    if verification:
        genuine = verification.get("genuine") is True
        genuine_label = _text(verification.get("label")) or i18n.t(
            "ui.genuine" if genuine else "ui.possible_counterfeit", lg
        )
    recall = _obj(trace.get("recall"))
    recall_label: str | None = None
    recall_lines: list[str] = []
    recall_clear: str | None = None
    if recall.get("recalled") is True:
        recall_label = _text(recall.get("label")) or i18n.t("ui.recall_title", lg)
        if reason := _text(recall.get("reason")):
            recall_lines.append(reason)
        level = _text(recall.get("severityLabel")) or i18n.recall_severity_phrase(
            _text(recall.get("severity")), lg
        )
        if level:
            recall_lines.append(level)
        if recalled_on := _text(recall.get("since")):
            day = i18n.format_date(recalled_on, lg)
            recall_lines.append(i18n.t("ui.recall_since", lg, date=day))
        recall_lines.append(i18n.t("ui.recall_advice", lg))
    elif recall.get("recalled") is False:
        recall_clear = i18n.t("recall.not_recalled", lg)
    return TraceView(
        **base,
        name=_text(product.get("name")),
        description=_text(product.get("description")),
        category=_text(category.get("label")) or i18n.category_phrase(category_code, lg),
        listing_url=safe_url(product.get("listingUrl")),
        origin=_text(_obj(batch.get("origin")).get("name")),
        producer=_text(_obj(batch.get("producer")).get("name")),
        facts=tuple(Fact(label, value) for label, value in facts if value),
        certifications=tuple(
            c
            for c in (_certification(x, lg) for x in _list(trace.get("certifications")))
            if c is not None
        ),
        timeline=tuple(_step(e, lg) for e in _list(trace.get("timeline"))),
        now_status=status,
        now_place=_text(now.get("place")),
        now_since=i18n.t("ui.since", lg, date=i18n.format_datetime(since, lg)) if since else None,
        genuine=genuine,
        genuine_label=genuine_label,
        verification_lines=_verification_lines(verification, lg) if verification else (),
        recall_label=recall_label,
        recall_lines=tuple(recall_lines),
        recall_clear=recall_clear,
        completeness=_percent(_obj(trace.get("completeness")).get("percent")),
    )


# --- templates --------------------------------------------------------------------------------


def templates_path() -> Path:
    """The folder to put on a Jinja2 loader's search path; it holds ``shoptrace/*.html``."""
    return Path(str(resources.files("shoptrace.widgets") / "templates"))


def macros_path() -> Path:
    """The macros file (import it as ``"shoptrace/macros.html"`` from :func:`templates_path`)."""
    return templates_path() / "shoptrace" / "macros.html"


def environment(loader: BaseLoader | None = None) -> Environment:
    """A Jinja2 environment with autoescape on and the package templates.

    Templates from ``loader``, when given, win over the package's (a host app's overrides).
    """
    package = FileSystemLoader(str(templates_path()))
    return Environment(
        loader=ChoiceLoader([loader, package]) if loader is not None else package,
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )


@cache
def _default_environment() -> Environment:
    return environment()


def page_context(
    trace: Mapping[str, Any], *, lang: str, csp_nonce: str | None = None
) -> dict[str, Any]:
    """What the page templates need; pass it to any Jinja2 ``render`` (Flask's included).

    ``view`` (a :class:`TraceView`), ``lang``, ``other_lang``, ``t`` (phrases in ``lang``:
    ``t("ui.origin")``), ``csp_nonce`` (put on the inline ``<style>`` when given).
    """
    view = trace_view(trace, lang=lang)
    lg = view.lang

    def translate(key: str, **args: object) -> str:
        return i18n.t(key, lg, **args)

    return {
        "view": view,
        "lang": lg,
        "other_lang": "en" if lg == "zh-CN" else "zh-CN",
        "t": translate,
        "csp_nonce": csp_nonce,
    }


def _render(
    name: str,
    trace: Mapping[str, Any],
    lang: str,
    env: Environment | None,
    csp_nonce: str | None,
) -> str:
    template = (env or _default_environment()).get_template(name)
    return template.render(page_context(trace, lang=lang, csp_nonce=csp_nonce))


def render_trace_page(
    trace: Mapping[str, Any],
    *,
    lang: str,
    env: Environment | None = None,
    csp_nonce: str | None = None,
) -> str:
    """The page a phone opens when scanning a code (HTML, status 200).

    A trace whose ``kind`` is ``"unknown"`` renders the counterfeit warning instead.
    """
    if _text(trace.get("kind")) in (None, "unknown"):
        return render_unknown_page(trace, lang=lang, env=env, csp_nonce=csp_nonce)
    return _render(TRACE_PAGE, trace, lang, env, csp_nonce)


def render_unknown_page(
    trace: Mapping[str, Any] | None = None,
    *,
    lang: str,
    code: str | None = None,
    env: Environment | None = None,
    csp_nonce: str | None = None,
) -> str:
    """The "possible counterfeit" page for an unknown code (serve it with status 404).

    ``trace`` is the 404 JSON body (its ``warning`` label and detail are used); ``code``
    stands in for its ``code`` when there is no body.
    """
    body: dict[str, Any] = dict(trace or {})
    body["kind"] = "unknown"
    if code is not None and "code" not in body:
        body["code"] = code
    return _render(UNKNOWN_PAGE, body, lang, env, csp_nonce)


def render_embed(
    trace: Mapping[str, Any],
    *,
    lang: str,
    env: Environment | None = None,
    csp_nonce: str | None = None,
) -> str:
    """The compact trace for ``<iframe src=".../trace/embed/01/...">``; handles unknown codes."""
    return _render(EMBED, trace, lang, env, csp_nonce)


def widget_js() -> bytes:
    """The widget script, ``shoptrace.js`` (serve as ``text/javascript; charset=utf-8``)."""
    return (resources.files("shoptrace.widgets") / "static" / "shoptrace.js").read_bytes()
