"""EPCIS binding: the top-level resources (``/``, ``/eventTypes``, ``/epcs``, ``/bizSteps``,
``/bizLocations``, ``/readPoints``, ``/dispositions``), each value's sub-resources and its
events."""

from __future__ import annotations

from collections.abc import Callable

from flask import Blueprint, Response

from shoptrace.sdk.epcis import vocab
from shoptrace.shop_plugin.api.epcis.support import (
    CONTEXT,
    check_versions,
    collection,
    json_answer,
    page_params,
    path_value,
    query_answer,
    query_params,
)
from shoptrace.shop_plugin.api.support import merchant_id, state
from shoptrace.shop_plugin.services import event_query
from shoptrace.shop_plugin.services.errors import NotFound
from shoptrace.shop_plugin.services.event_store import canonical_epc, normalized

__all__ = ["RESOURCES", "register"]

TOP_LEVEL = [
    "capture",
    "events",
    "eventTypes",
    "epcs",
    "bizSteps",
    "bizLocations",
    "readPoints",
    "dispositions",
]

RESOURCES: dict[str, tuple[str, str, frozenset[str]]] = {
    "eventTypes": ("eventType", "eventType", frozenset(vocab.EVENT_TYPES)),
    "bizSteps": ("bizStep", "EQ_bizStep", frozenset(vocab.BIZ_STEPS)),
    "dispositions": ("disposition", "EQ_disposition", frozenset(vocab.DISPOSITIONS)),
    "readPoints": ("readPoint", "EQ_readPoint", frozenset()),
    "bizLocations": ("bizLocation", "EQ_bizLocation", frozenset()),
}
"""Resource -> (vocabulary kind, query parameter its path fixes, standard values)."""
_MAX_CUSTOM = 10_000


def top_level() -> Response:
    check_versions()
    return json_answer({"@context": CONTEXT, "type": "Collection", "member": TOP_LEVEL})


def _stored_form(resource: str, value: str) -> str:
    if resource in ("bizSteps", "dispositions"):
        kind = "bizStep" if resource == "bizSteps" else "disposition"
        return normalized(kind, value) or value
    if resource in ("readPoints", "bizLocations"):
        return canonical_epc(value)
    return value


def _list_view(resource: str) -> Callable[[], Response]:
    kind, _param, standard = RESOURCES[resource]

    def view() -> Response:
        check_versions()
        after, limit = page_params()
        with state().store.read() as conn:
            if not standard:
                found, last = event_query.list_values(
                    conn, merchant_id(), kind, after=after, limit=limit
                )
                return collection(found, last)
            used, _ = event_query.list_values(
                conn, merchant_id(), kind, after=None, limit=_MAX_CUSTOM
            )
        # Standard values and the few custom ones in use, paged in code point order.
        values = sorted(standard | set(used))
        if after is not None:
            values = [v for v in values if v > after]
        page = values[:limit]
        return collection(page, page[-1] if len(values) > limit else None)

    view.__name__ = f"list_{resource}"
    return view


def _value_view(resource: str) -> Callable[[str], Response]:
    kind, _param, standard = RESOURCES[resource]

    def view(value: str) -> Response:
        check_versions()
        stored = _stored_form(resource, path_value(kind, value))
        if stored not in standard:
            with state().store.read() as conn:
                if not event_query.known_value(conn, merchant_id(), kind, stored):
                    raise NotFound.of(kind, f"no {kind} {value!r} in this repository")
        return json_answer({"@context": CONTEXT, "type": "Collection", "member": ["events"]})

    view.__name__ = f"get_{kind}"
    return view


def _events_view(resource: str) -> Callable[[str], Response]:
    kind, param, _standard = RESOURCES[resource]

    def view(value: str) -> Response:
        check_versions()
        query = query_params((param, value))
        with state().store.read() as conn:
            return query_answer(conn, query)

    view.__name__ = f"{kind}_events"
    return view


def list_epcs() -> Response:
    check_versions()
    after, limit = page_params()
    with state().store.read() as conn:
        found, last = event_query.list_epcs(conn, merchant_id(), after=after, limit=limit)
    return collection(found, last)


def get_epc(epc: str) -> Response:
    check_versions()
    path_value("epc", epc)
    with state().store.read() as conn:
        if not event_query.known_epc(conn, merchant_id(), epc):
            raise NotFound.of("epc", "no event of this repository names this EPC")
    return json_answer({"@context": CONTEXT, "type": "Collection", "member": ["events"]})


def epc_events(epc: str) -> Response:
    check_versions()
    query = query_params(("MATCH_anyEPC", epc))
    with state().store.read() as conn:
        return query_answer(conn, query)


def register(bp: Blueprint) -> None:
    """Add the top-level resources to the EPCIS blueprint."""
    bp.add_url_rule("/", view_func=top_level, methods=["GET"])
    bp.add_url_rule("/epcs", view_func=list_epcs, methods=["GET"])
    bp.add_url_rule("/epcs/<path:epc>", view_func=get_epc, methods=["GET"], merge_slashes=False)
    bp.add_url_rule(
        "/epcs/<path:epc>/events", view_func=epc_events, methods=["GET"], merge_slashes=False
    )
    for resource in RESOURCES:
        converter = "path" if resource in ("readPoints", "bizLocations") else "string"
        bp.add_url_rule(f"/{resource}", view_func=_list_view(resource), methods=["GET"])
        bp.add_url_rule(
            f"/{resource}/<{converter}:value>",
            view_func=_value_view(resource),
            methods=["GET"],
            merge_slashes=False,
        )
        bp.add_url_rule(
            f"/{resource}/<{converter}:value>/events",
            view_func=_events_view(resource),
            methods=["GET"],
            merge_slashes=False,
        )
