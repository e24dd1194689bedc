"""The public trace JSON: what shoppers, the widget and the trace pages may see of a trace.

Only fields the contract in ``widgets/README.md`` names are written, each from a field the
merchant marked ``public`` (product and batch ``visibility``); partner and private fields,
and everything an EPCIS event says about parties, places and transactions, never appear. A
step's ``place`` is the public name the merchant gave its place (``locations``), never the
place id the event carries.
Labels come from the phrasebook in the asked language. :func:`public_trace` writes the part
that depends on the trace alone, :func:`with_scans` adds the scan counters, so a cache can
keep the first across scans.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from shoptrace.shop_plugin.services.trace import Trace, TraceEvent
from shoptrace.widgets import i18n
from shoptrace.widgets.render import safe_url

__all__ = [
    "PublicRecall",
    "Subject",
    "not_recalled",
    "public_certifications",
    "public_trace",
    "unknown_trace",
    "with_scans",
]

_PUBLIC = "public"
_PLAIN_WORD = frozenset("abcdefghijklmnopqrstuvwxyz_")


@dataclass(frozen=True)
class PublicRecall:
    """An open recall of the merchant's (``recalls``) covering the subject."""

    reason: dict[str, str]
    """``{"zh-CN": ..., "en": ...}``, one or both."""
    severity: str
    """``1`` (most serious) to ``3``."""
    since: datetime


@dataclass(frozen=True)
class Subject:
    """What a public code names, as the resolver found it."""

    kind: str
    """``unit``, ``lot``, ``product``, ``container`` or ``location``."""
    code: str
    """The code's Digital Link URI on this service (the trace page's address)."""
    gtin: str | None = None
    lot: str | None = None
    serial: str | None = None
    product: dict[str, Any] | None = None
    """The merchant's product record (merchant API form), visibility included."""
    batch: dict[str, Any] | None = None
    merchant_name: str | None = None
    completeness: float | None = None
    """Share (0 to 1) of the trace data the product's catalogue class asks for."""
    recall: PublicRecall | None = None
    """The open recall covering the unit or lot: the banner with its reason."""
    recall_events: frozenset[str] = frozenset()
    """eventIDs of events the merchant's own recalls captured: their banner is ``recall``
    (none once closed); any other event leaving the item ``recalled`` (a partner's) still
    shows one."""
    places: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    """Public names of the trace's places by place id (``locations.public_places``): only
    places the merchant named with a public name are here."""


def _visible(record: dict[str, Any] | None, name: str) -> bool:
    return record is not None and (record.get("visibility") or {}).get(name, _PUBLIC) == _PUBLIC


def _pick(texts: Any, lang: str) -> str | None:
    """The text in ``lang`` of an ``{"zh-CN": ..., "en": ...}`` value, else the other one."""
    if not isinstance(texts, dict):
        return None
    for key in (lang, "en" if lang == "zh-CN" else "zh-CN"):
        value = texts.get(key)
        if isinstance(value, str) and value.strip():
            return value
    return None


def _clean(value: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in value.items() if v is not None and v != {}}


def _product(product: dict[str, Any] | None, lang: str) -> dict[str, Any] | None:
    if product is None:
        return None
    out: dict[str, Any] = {}
    if _visible(product, "name"):
        out["name"] = _pick(product.get("name"), lang)
    if _visible(product, "description"):
        out["description"] = _pick(product.get("description"), lang)
    code = product.get("category")
    if _visible(product, "category") and isinstance(code, str):
        out["category"] = _clean({"code": code, "label": i18n.category_phrase(code, lang)})
    if _visible(product, "listingUrl"):
        out["listingUrl"] = safe_url(product.get("listingUrl"))
    return _clean(out) or None


def _batch(batch: dict[str, Any] | None, lang: str) -> dict[str, Any] | None:
    if batch is None:
        return None
    out: dict[str, Any] = {"lot": batch.get("lot")}
    for name in ("productionDate", "expiryDate"):
        if _visible(batch, name):
            out[name] = batch.get(name)
    origin = batch.get("origin")
    if _visible(batch, "origin") and isinstance(origin, dict):
        out["origin"] = _clean({"name": _pick(origin.get("place"), lang)})
    producer = batch.get("producer")
    if _visible(batch, "producer") and isinstance(producer, dict):
        out["producer"] = _clean({"name": _pick(producer.get("name"), lang)})
    return _clean(out)


def public_certifications(record: dict[str, Any] | None, lang: str) -> list[dict[str, Any]]:
    """The certificates of a product or batch record, when the merchant made them public."""
    if not _visible(record, "certifications"):
        return []
    assert record is not None
    out = []
    for cert in record.get("certifications") or []:
        if not isinstance(cert, dict) or not isinstance(cert.get("scheme"), str):
            continue
        level = cert.get("verification")
        out.append(
            _clean(
                {
                    "scheme": cert["scheme"],
                    "label": cert["scheme"],
                    "issuer": cert.get("issuer"),
                    "number": cert.get("number"),
                    "validUntil": cert.get("validUntil"),
                    "verification": level,
                    "verificationLabel": i18n.verification_phrase(level, lang),
                    "url": safe_url(cert.get("url")),
                }
            )
        )
    return out


def _local_time(utc_text: str, offset: str | None) -> str:
    """An event time in the offset it was recorded in (``2025-03-01T16:00:00+08:00``)."""
    moment = datetime.fromisoformat(utc_text.replace("Z", "+00:00"))
    zone: timezone = UTC
    if offset and len(offset) == 6 and offset[0] in "+-" and offset[3] == ":":
        try:
            hours, minutes = int(offset[1:3]), int(offset[4:6])
        except ValueError:
            hours = minutes = 0
        if hours <= 14 and minutes < 60:
            sign = -1 if offset[0] == "-" else 1
            zone = timezone(sign * timedelta(hours=hours, minutes=minutes))
    text = moment.astimezone(zone).isoformat(timespec="seconds")
    return text.replace("+00:00", "Z") if zone is UTC else text


def _word(value: str | None) -> str | None:
    """A CBV value when the store kept it as a bare word; a company's own URI is not shown."""
    return value if value and _PLAIN_WORD.issuperset(value) else None


def _place(event: TraceEvent, places: Mapping[str, Mapping[str, str]], lang: str) -> str | None:
    """The public name of the event's place: its bizLocation's, else its readPoint's; None
    when the merchant gave neither a public name (the id itself is never shown)."""
    for place in (event["bizLocation"], event["readPoint"]):
        if place and place in places:
            return _pick(places[place], lang)
    return None


def _step(event: TraceEvent, places: Mapping[str, Mapping[str, str]], lang: str) -> dict[str, Any]:
    step = _word(event["bizStep"])
    disposition = _word(event["disposition"])
    return _clean(
        {
            "time": _local_time(event["eventTime"], event["eventTimeZoneOffset"]),
            "step": step,
            "title": i18n.step_phrase(step, lang),
            "place": _place(event, places, lang),
            "disposition": disposition,
            "dispositionLabel": i18n.disposition_phrase(disposition, lang) if disposition else None,
        }
    )


def _events(trace: Trace) -> list[TraceEvent]:
    """The trace's events and its inputs' origin events, once each, oldest first."""
    seen: set[str] = set()
    found: list[TraceEvent] = []
    for material in trace["inputs"]:
        for event in material.get("events", []):
            if event["eventID"] not in seen:
                seen.add(event["eventID"])
                found.append(event)
    for event in trace["events"]:
        if event["eventID"] not in seen:
            seen.add(event["eventID"])
            found.append(event)
    found.sort(key=lambda e: e["eventTime"])
    return found


_SUPPLY_STATUSES = (None, "issued", "commissioned", "packed")
"""Unit statuses before a sale, which the latest event's disposition describes better."""


def _recall(
    subject: Subject, trace: Trace, events: list[TraceEvent], lang: str
) -> dict[str, Any] | None:
    """The recall banner: the merchant's open recall (reason, severity, date), else a unit
    whose status says recalled, or events of others that leave the item recalled (the latest
    disposition of its own and its lot's events, the merchant's recall events left out)."""
    label = i18n.t("ui.recalled", lang)
    if subject.recall is not None:
        recall = subject.recall
        return _clean(
            {
                "recalled": True,
                "label": label,
                "reason": _pick(recall.reason, lang),
                "severity": recall.severity,
                "severityLabel": i18n.recall_severity_phrase(recall.severity, lang),
                "since": recall.since.astimezone(UTC).date().isoformat(),
            }
        )
    others = [
        e for e in events if e["via"] != "input" and e["eventID"] not in subject.recall_events
    ]
    latest = next((e["disposition"] for e in reversed(others) if e["disposition"]), None)
    if trace["state"]["status"] != "recalled" and latest != "recalled":
        return None
    recalled = [e for e in others if e["disposition"] == "recalled"]
    since = recalled[-1]["eventTime"][:10] if recalled else None
    return _clean({"recalled": True, "label": label, "since": since})


def not_recalled(body: dict[str, Any], lang: str) -> dict[str, Any]:
    """``body`` (a unit's or lot's public trace) saying outright that it is not recalled, as
    the ``gs1:recallStatus`` link answers; a recalled one is returned as it is."""
    if "recall" in body or body.get("kind") not in ("unit", "lot"):
        return body
    label = i18n.t("recall.not_recalled", i18n.normalize_lang(lang))
    return {**body, "recall": {"recalled": False, "label": label}}


def public_trace(subject: Subject, trace: Trace | None, *, lang: str) -> dict[str, Any]:
    """The public trace JSON of ``subject`` in ``lang``, without the scan counters."""
    lg = i18n.normalize_lang(lang)
    body: dict[str, Any] = {
        "code": subject.code,
        "kind": subject.kind,
        "lang": lg,
        "gtin": subject.gtin,
        "lot": subject.lot,
        "serial": subject.serial,
        "product": _product(subject.product, lg),
        "batch": _batch(subject.batch, lg),
    }
    certifications = public_certifications(subject.product, lg)
    certifications += public_certifications(subject.batch, lg)
    if certifications:
        body["certifications"] = certifications
    if trace is not None:
        events = _events(trace)
        body["timeline"] = [_step(e, subject.places, lg) for e in events]
        if subject.kind == "unit":
            state = trace["state"]
            status = state["status"]
            label = i18n.status_phrase(status, lg)
            if status in _SUPPLY_STATUSES and _word(state["disposition"]):
                # The shop has not sold the unit: its latest event says where it stands.
                label = i18n.disposition_phrase(state["disposition"], lg)
            # Where the unit is now: the business location of its own latest event (not an
            # input's). An event without one (in transit, say) leaves it unknown: an earlier
            # place is where it was, not where it is.
            latest = next((e for e in reversed(events) if e["via"] != "input"), None)
            where = latest["bizLocation"] if latest is not None else None
            named = subject.places.get(where) if where is not None else None
            place = _pick(named, lg) if named is not None else None
            body["now"] = _clean(
                {
                    "status": status,
                    "statusLabel": label,
                    "place": place,
                    "since": state["lastEventTime"],
                }
            )
            sold = [e for e in events if e["bizStep"] == "retail_selling" and e["via"] == "self"]
            body["verification"] = _clean(
                {
                    "genuine": True,
                    "label": i18n.t("ui.genuine", lg),
                    "soldBy": subject.merchant_name if sold else None,
                    "soldAt": sold[-1]["eventTime"][:10] if sold else None,
                }
            )
        recall = _recall(subject, trace, events, lg)
        if recall is not None:
            body["recall"] = recall
    if subject.completeness is not None:
        body["completeness"] = {"percent": round(subject.completeness * 100)}
    return _clean(body)


def with_scans(
    body: dict[str, Any], *, first_scan_at: datetime | None, scan_count: int
) -> dict[str, Any]:
    """``body`` with the unit's scan counters in its verification block (a new dict)."""
    if "verification" not in body:
        return body
    verification = dict(body["verification"])
    verification["checkCount"] = scan_count
    if first_scan_at is not None:
        verification["firstCheckedAt"] = (
            first_scan_at.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
        )
    return {**body, "verification": verification}


def unknown_trace(code: str, *, lang: str) -> dict[str, Any]:
    """The 404 body for a code this service did not issue: a possible counterfeit."""
    lg = i18n.normalize_lang(lang)
    return {
        "code": code,
        "kind": "unknown",
        "lang": lg,
        "warning": {
            "label": i18n.t("ui.possible_counterfeit", lg),
            "detail": i18n.t("ui.counterfeit_detail", lg),
        },
    }
