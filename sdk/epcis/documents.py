"""EPCIS 2.0 documents: wrap events, read a document from JSON, write large ones as a stream.

An EPCISDocument carries ``@context`` (the EPCIS 2.0 context plus any extension namespaces),
``schemaVersion``, ``creationDate`` and the events in ``epcisBody.eventList``. Reading and
writing validate by default and raise
:class:`~shoptrace.sdk.epcis.validate.EPCISValidationError` with every problem found.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterable, Iterator, Mapping
from datetime import UTC, datetime
from typing import IO, Any

from shoptrace.sdk.epcis import vocab
from shoptrace.sdk.epcis.validate import (
    EPCISValidationError,
    Problem,
    document_problems,
    event_problems,
    validate_document,
)

Document = dict[str, Any]


def context(namespaces: Mapping[str, str] | None = None) -> str | list[Any]:
    """The ``@context`` value: the EPCIS 2.0 context, plus ``{prefix: namespace URI}`` for
    extension fields (``{"acme": "https://ns.acme.example/epcis/"}`` allows ``acme:grade``)."""
    epcis: str = vocab.EPCIS_CONTEXT
    return [epcis, dict(namespaces)] if namespaces else epcis


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _creation_date(value: datetime | str | None) -> str:
    if value is None:
        return _now()
    if isinstance(value, datetime):
        return value.isoformat(timespec="milliseconds").replace("+00:00", "Z")
    return value


def _head(
    *,
    namespaces: Mapping[str, str] | None,
    creation_date: datetime | str | None,
    document_id: str | None,
    sender: str | None,
    receiver: str | None,
    instance_identifier: str | None,
    header: Mapping[str, Any] | None,
) -> Document:
    doc: Document = {"@context": context(namespaces), "type": "EPCISDocument"}
    if document_id is not None:
        doc["id"] = document_id
    doc["schemaVersion"] = vocab.SCHEMA_VERSION
    doc["creationDate"] = _creation_date(creation_date)
    for key, value in (
        ("sender", sender),
        ("receiver", receiver),
        ("instanceIdentifier", instance_identifier),
    ):
        if value is not None:
            doc[key] = value
    if header is not None:
        doc["epcisHeader"] = dict(header)
    return doc


def make_document(
    events: Iterable[Mapping[str, Any]],
    *,
    namespaces: Mapping[str, str] | None = None,
    creation_date: datetime | str | None = None,
    document_id: str | None = None,
    sender: str | None = None,
    receiver: str | None = None,
    instance_identifier: str | None = None,
    header: Mapping[str, Any] | None = None,
    validate: bool = True,
) -> Document:
    """An EPCISDocument holding ``events``; ``creation_date`` defaults to now (UTC).

    ``namespaces`` declares the prefixes of extension fields. With ``validate`` (the
    default) the whole document is checked before it is returned.
    """
    doc = _head(
        namespaces=namespaces,
        creation_date=creation_date,
        document_id=document_id,
        sender=sender,
        receiver=receiver,
        instance_identifier=instance_identifier,
        header=header,
    )
    doc["epcisBody"] = {"eventList": list(events)}
    if validate:
        validate_document(doc)
    return doc


def standalone_event(
    event: Mapping[str, Any], *, namespaces: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """The event with its own ``@context``, as sent alone (``POST /events`` of the REST
    binding)."""
    return {"@context": context(namespaces), **{k: v for k, v in event.items() if k != "@context"}}


def document_events(doc: Mapping[str, Any]) -> list[Any]:
    """The event list of an EPCISDocument or an EPCISQueryDocument."""
    try:
        body = doc["epcisBody"]
        if doc.get("type") == "EPCISQueryDocument":
            body = body["queryResults"]["resultsBody"]
        events = body["eventList"]
    except (KeyError, TypeError):
        raise EPCISValidationError(
            [("/epcisBody", "the document has no epcisBody event list")]
        ) from None
    if not isinstance(events, list):
        raise EPCISValidationError([("/epcisBody/eventList", "eventList must be an array")])
    return events


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def parse_json(data: bytes | str) -> Any:
    """Decode JSON text (UTF-8, -16 or -32 when bytes); raise
    :class:`EPCISValidationError` with one problem, naming line and column, when it is not
    JSON."""
    try:
        return json.loads(data, parse_constant=_reject_constant)
    except json.JSONDecodeError as exc:
        message = f"not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
    except UnicodeDecodeError as exc:
        message = f"not valid JSON: the bytes are not UTF-8, UTF-16 or UTF-32 ({exc.reason})"
    except ValueError as exc:
        message = f"not valid JSON: {exc}"
    except RecursionError:
        message = "not valid JSON here: nested too deeply"
    raise EPCISValidationError([("", message)])


def read_document(data: bytes | str, *, validate: bool = True) -> Document:
    """Parse an EPCIS document from JSON; with ``validate`` (the default) check every rule."""
    doc = parse_json(data)
    if validate:
        validate_document(doc)
    if not isinstance(doc, dict):
        raise EPCISValidationError([("", "an EPCIS document must be a JSON object")])
    return doc


def _prefixed(problems: list[Problem], prefix: str) -> list[Problem]:
    return [(prefix + pointer, message) for pointer, message in problems]


def iter_document(
    events: Iterable[Mapping[str, Any]],
    *,
    namespaces: Mapping[str, str] | None = None,
    creation_date: datetime | str | None = None,
    document_id: str | None = None,
    sender: str | None = None,
    receiver: str | None = None,
    instance_identifier: str | None = None,
    header: Mapping[str, Any] | None = None,
    validate: bool = True,
) -> Iterator[str]:
    """The JSON text of an EPCISDocument in chunks (one per event), never holding the whole
    document: for streaming HTTP responses and large exports.

    With ``validate`` each event is checked before it is written; an invalid one raises
    :class:`EPCISValidationError` (pointers relative to the document) and ends the stream,
    so a partial output must be discarded.
    """
    doc = _head(
        namespaces=namespaces,
        creation_date=creation_date,
        document_id=document_id,
        sender=sender,
        receiver=receiver,
        instance_identifier=instance_identifier,
        header=header,
    )
    if validate:
        head_problems = document_problems({**doc, "epcisBody": {"eventList": []}})
        if head_problems:
            raise EPCISValidationError(head_problems)
    ctx = doc["@context"]
    dumps = json.JSONEncoder(ensure_ascii=False, allow_nan=False).encode
    yield dumps(doc)[:-1] + ', "epcisBody": {"eventList": ['
    for index, event in enumerate(events):
        if validate:
            problems = event_problems(event, context=ctx)
            if problems:
                raise EPCISValidationError(_prefixed(problems, f"/epcisBody/eventList/{index}"))
        yield ("\n" if index == 0 else ",\n") + dumps(event)
    yield "\n]}}\n"


def write_document(
    events: Iterable[Mapping[str, Any]],
    fp: IO[Any],
    *,
    namespaces: Mapping[str, str] | None = None,
    creation_date: datetime | str | None = None,
    document_id: str | None = None,
    sender: str | None = None,
    receiver: str | None = None,
    instance_identifier: str | None = None,
    header: Mapping[str, Any] | None = None,
    validate: bool = True,
) -> int:
    """Write an EPCISDocument of ``events`` to a text or binary file as a stream (see
    :func:`iter_document`); returns the number of events written."""
    binary = isinstance(fp, io.RawIOBase | io.BufferedIOBase) or "b" in getattr(fp, "mode", "")
    chunks = 0
    for chunk in iter_document(
        events,
        namespaces=namespaces,
        creation_date=creation_date,
        document_id=document_id,
        sender=sender,
        receiver=receiver,
        instance_identifier=instance_identifier,
        header=header,
        validate=validate,
    ):
        fp.write(chunk.encode("utf-8") if binary else chunk)
        chunks += 1
    return chunks - 2  # the head and the tail are chunks too
