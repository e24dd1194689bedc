"""Builders of EPCIS 2.0 events as JSON-LD dicts, and helpers for a shop's moments.

The five builders (:func:`object_event`, :func:`aggregation_event`,
:func:`transaction_event`, :func:`transformation_event`, :func:`association_event`) take
Python values (aware ``datetime``, vocabulary enums, plain URIs), write them the way the
EPCIS 2.0 JSON binding wants (CBV values as bare words, ``eventTimeZoneOffset`` derived from
the time), and validate the result: bad input raises
:class:`~shoptrace.sdk.epcis.validate.EPCISValidationError` naming the field and the rule.

The helpers name what a shop does (:func:`commission`, :func:`pack`, :func:`ship_to_customer`,
...) with the CBV business step and disposition that go with it; every one accepts the
builder's keyword arguments to add or override fields. Events carry no ``@context``: wrap them
with :func:`shoptrace.sdk.epcis.documents.make_document` or
:func:`~shoptrace.sdk.epcis.documents.standalone_event`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from shoptrace.sdk.epcis import vocab
from shoptrace.sdk.epcis.validate import EPCISValidationError, event_problems

Event = dict[str, Any]
TimeLike = datetime | str
Party = Mapping[str, Any] | tuple[str, str]
"""A source or destination: a dict from :func:`source`/:func:`destination`, or ``(type, id)``."""


def quantity(
    epc_class: str, amount: int | float | Decimal | None = None, uom: str | None = None
) -> dict[str, Any]:
    """A quantity element: ``amount`` of class ``epc_class`` (a count when ``uom`` is None).

    ``epc_class`` is a class-level identifier: ``urn:epc:class:lgtin:...``,
    ``urn:epc:idpat:sgtin:...`` or a Digital Link URI of a GTIN or a lot.
    """
    element: dict[str, Any] = {"epcClass": epc_class}
    if amount is not None:
        element["quantity"] = amount
    if uom is not None:
        element["uom"] = uom
    return element


def biz_transaction(transaction: str, kind: str | None = None) -> dict[str, str]:
    """A business transaction reference: a URI (an order, an invoice) and its CBV type."""
    entry = {"bizTransaction": transaction}
    if kind is not None:
        entry = {"type": vocab.bare_word("bizTransactionType", kind), **entry}
    return entry


def source(kind: str, party_or_location: str) -> dict[str, str]:
    """A source: ``kind`` is ``owning_party``, ``possessing_party``, ``location`` or a URI."""
    return {"type": vocab.bare_word("sourceDestType", kind), "source": party_or_location}


def destination(kind: str, party_or_location: str) -> dict[str, str]:
    """A destination: ``kind`` is ``owning_party``, ``possessing_party``, ``location`` or a URI."""
    return {"type": vocab.bare_word("sourceDestType", kind), "destination": party_or_location}


def lot_ilmd(
    *,
    lot: str | None = None,
    expiry: date | str | None = None,
    best_before: date | str | None = None,
    production_date: date | str | None = None,
    country_of_origin: str | None = None,
) -> dict[str, str]:
    """Instance/lot master data for a commissioning event, as CBV master data attributes."""
    values = {
        "cbvmda:lotNumber": lot,
        "cbvmda:itemExpirationDate": expiry,
        "cbvmda:bestBeforeDate": best_before,
        "cbvmda:productionDate": production_date,
        "cbvmda:countryOfOrigin": country_of_origin,
    }
    return {
        key: value.isoformat() if isinstance(value, date) else value
        for key, value in values.items()
        if value is not None
    }


def _offset_text(offset: timedelta) -> str:
    minutes = int(offset.total_seconds() // 60)
    sign = "-" if minutes < 0 else "+"
    hours, mins = divmod(abs(minutes), 60)
    return f"{sign}{hours:02d}:{mins:02d}"


def _when(event_time: TimeLike | None, offset: str | timedelta | None) -> tuple[Any, Any]:
    """``eventTime`` and ``eventTimeZoneOffset`` as the JSON binding writes them."""
    if event_time is None:
        event_time = datetime.now(UTC)
    if isinstance(event_time, datetime):
        tz_offset = event_time.utcoffset()
        if tz_offset is None:
            raise EPCISValidationError(
                [("/eventTime", "eventTime must be a timezone-aware datetime (naive given)")]
            )
        text: Any = event_time.isoformat(timespec="milliseconds").replace("+00:00", "Z")
        derived: str | None = _offset_text(tz_offset)
    else:
        text = event_time
        derived = None
        if isinstance(event_time, str):
            if event_time[-1:] in ("Z", "z"):
                derived = "+00:00"
            elif len(event_time) > 6 and event_time[-6] in "+-" and event_time[-3] == ":":
                derived = event_time[-6:]
    if isinstance(offset, timedelta):
        return text, _offset_text(offset)
    return text, offset if offset is not None else derived


def _party(entry: Party, key: str) -> Any:
    if isinstance(entry, tuple) and len(entry) == 2:
        return {"type": vocab.bare_word("sourceDestType", entry[0]), key: entry[1]}
    return entry


def _transaction(entry: Mapping[str, Any] | str) -> Any:
    return {"bizTransaction": entry} if isinstance(entry, str) else entry


def _location(value: str | Mapping[str, Any]) -> Any:
    return {"id": value} if isinstance(value, str) else value


def _build(
    event_type: str,
    what: dict[str, Any],
    *,
    action: str | None,
    event_time: TimeLike | None,
    time_zone_offset: str | timedelta | None,
    event_id: str | None,
    biz_step: str | None,
    disposition: str | None,
    persistent_disposition: Mapping[str, Sequence[str]] | None,
    read_point: str | Mapping[str, Any] | None,
    biz_location: str | Mapping[str, Any] | None,
    biz_transactions: Iterable[Mapping[str, Any] | str],
    sources: Iterable[Party],
    destinations: Iterable[Party],
    sensor_elements: Iterable[Mapping[str, Any]],
    ilmd: Mapping[str, Any] | None,
    certification_info: str | Sequence[str] | None,
    extensions: Mapping[str, Any] | None,
) -> Event:
    time_text, offset_text = _when(event_time, time_zone_offset)
    event: Event = {"type": event_type, "eventTime": time_text}
    if offset_text is not None:
        event["eventTimeZoneOffset"] = offset_text
    if event_id is not None:
        event["eventID"] = event_id
    if certification_info is not None:
        event["certificationInfo"] = (
            certification_info if isinstance(certification_info, str) else list(certification_info)
        )
    event.update(what)
    if action is not None:
        event["action"] = str(action)
    if biz_step is not None:
        event["bizStep"] = vocab.bare_word("bizStep", biz_step)
    if disposition is not None:
        event["disposition"] = vocab.bare_word("disposition", disposition)
    if persistent_disposition is not None:
        event["persistentDisposition"] = {
            key: [vocab.bare_word("disposition", d) for d in values]
            for key, values in persistent_disposition.items()
        }
    if read_point is not None:
        event["readPoint"] = _location(read_point)
    if biz_location is not None:
        event["bizLocation"] = _location(biz_location)
    transactions = [_transaction(t) for t in biz_transactions]
    if transactions or event_type == "TransactionEvent":
        event["bizTransactionList"] = transactions
    if parties := [_party(s, "source") for s in sources]:
        event["sourceList"] = parties
    if parties := [_party(d, "destination") for d in destinations]:
        event["destinationList"] = parties
    if sensors := [dict(s) for s in sensor_elements]:
        event["sensorElementList"] = sensors
    if ilmd:
        event["ilmd"] = dict(ilmd)
    if extensions:
        event.update(extensions)
    problems = event_problems(event, in_document=True)
    if problems:
        raise EPCISValidationError(problems)
    return event


def _epcs(values: Iterable[str]) -> list[str]:
    return [str(v) for v in values]


def object_event(
    action: str,
    *,
    epcs: Iterable[str] = (),
    quantities: Iterable[Mapping[str, Any]] = (),
    event_time: TimeLike | None = None,
    time_zone_offset: str | timedelta | None = None,
    event_id: str | None = None,
    biz_step: str | None = None,
    disposition: str | None = None,
    persistent_disposition: Mapping[str, Sequence[str]] | None = None,
    read_point: str | Mapping[str, Any] | None = None,
    biz_location: str | Mapping[str, Any] | None = None,
    biz_transactions: Iterable[Mapping[str, Any] | str] = (),
    sources: Iterable[Party] = (),
    destinations: Iterable[Party] = (),
    sensor_elements: Iterable[Mapping[str, Any]] = (),
    ilmd: Mapping[str, Any] | None = None,
    certification_info: str | Sequence[str] | None = None,
    extensions: Mapping[str, Any] | None = None,
) -> Event:
    """An ObjectEvent: something happened to the objects ``epcs`` and/or ``quantities``.

    ``event_time`` defaults to now (UTC); ``time_zone_offset`` defaults to the time's own
    offset. ``read_point``/``biz_location`` take a location URI (an SGLN). ``ilmd`` is only
    allowed with action ``ADD``. ``extensions`` adds ``prefix:name`` fields.
    """
    what: dict[str, Any] = {}
    if epc_list := _epcs(epcs):
        what["epcList"] = epc_list
    if quantity_list := [dict(q) for q in quantities]:
        what["quantityList"] = quantity_list
    return _build(
        "ObjectEvent",
        what,
        action=action,
        event_time=event_time,
        time_zone_offset=time_zone_offset,
        event_id=event_id,
        biz_step=biz_step,
        disposition=disposition,
        persistent_disposition=persistent_disposition,
        read_point=read_point,
        biz_location=biz_location,
        biz_transactions=biz_transactions,
        sources=sources,
        destinations=destinations,
        sensor_elements=sensor_elements,
        ilmd=ilmd,
        certification_info=certification_info,
        extensions=extensions,
    )


def aggregation_event(
    action: str,
    *,
    parent: str | None = None,
    children: Iterable[str] = (),
    child_quantities: Iterable[Mapping[str, Any]] = (),
    event_time: TimeLike | None = None,
    time_zone_offset: str | timedelta | None = None,
    event_id: str | None = None,
    biz_step: str | None = None,
    disposition: str | None = None,
    read_point: str | Mapping[str, Any] | None = None,
    biz_location: str | Mapping[str, Any] | None = None,
    biz_transactions: Iterable[Mapping[str, Any] | str] = (),
    sources: Iterable[Party] = (),
    destinations: Iterable[Party] = (),
    sensor_elements: Iterable[Mapping[str, Any]] = (),
    certification_info: str | Sequence[str] | None = None,
    extensions: Mapping[str, Any] | None = None,
) -> Event:
    """An AggregationEvent: ``children`` go into (ADD) or out of (DELETE) ``parent``.

    ``parent`` (an SSCC or another container identifier) is required for ADD and DELETE.
    """
    return _build(
        "AggregationEvent",
        _relation(parent, children, child_quantities),
        action=action,
        event_time=event_time,
        time_zone_offset=time_zone_offset,
        event_id=event_id,
        biz_step=biz_step,
        disposition=disposition,
        persistent_disposition=None,
        read_point=read_point,
        biz_location=biz_location,
        biz_transactions=biz_transactions,
        sources=sources,
        destinations=destinations,
        sensor_elements=sensor_elements,
        ilmd=None,
        certification_info=certification_info,
        extensions=extensions,
    )


def _relation(
    parent: str | None, children: Iterable[str], child_quantities: Iterable[Mapping[str, Any]]
) -> dict[str, Any]:
    what: dict[str, Any] = {}
    if parent is not None:
        what["parentID"] = parent
    if child_epcs := _epcs(children):
        what["childEPCs"] = child_epcs
    if quantity_list := [dict(q) for q in child_quantities]:
        what["childQuantityList"] = quantity_list
    return what


def transaction_event(
    action: str,
    biz_transactions: Iterable[Mapping[str, Any] | str],
    *,
    epcs: Iterable[str] = (),
    quantities: Iterable[Mapping[str, Any]] = (),
    parent: str | None = None,
    event_time: TimeLike | None = None,
    time_zone_offset: str | timedelta | None = None,
    event_id: str | None = None,
    biz_step: str | None = None,
    disposition: str | None = None,
    read_point: str | Mapping[str, Any] | None = None,
    biz_location: str | Mapping[str, Any] | None = None,
    sources: Iterable[Party] = (),
    destinations: Iterable[Party] = (),
    sensor_elements: Iterable[Mapping[str, Any]] = (),
    certification_info: str | Sequence[str] | None = None,
    extensions: Mapping[str, Any] | None = None,
) -> Event:
    """A TransactionEvent: objects become tied to (ADD) or released from (DELETE) business
    transactions such as an order; at least one transaction is required."""
    what: dict[str, Any] = {}
    if parent is not None:
        what["parentID"] = parent
    if epc_list := _epcs(epcs):
        what["epcList"] = epc_list
    if quantity_list := [dict(q) for q in quantities]:
        what["quantityList"] = quantity_list
    return _build(
        "TransactionEvent",
        what,
        action=action,
        event_time=event_time,
        time_zone_offset=time_zone_offset,
        event_id=event_id,
        biz_step=biz_step,
        disposition=disposition,
        persistent_disposition=None,
        read_point=read_point,
        biz_location=biz_location,
        biz_transactions=biz_transactions,
        sources=sources,
        destinations=destinations,
        sensor_elements=sensor_elements,
        ilmd=None,
        certification_info=certification_info,
        extensions=extensions,
    )


def transformation_event(
    *,
    inputs: Iterable[str] = (),
    input_quantities: Iterable[Mapping[str, Any]] = (),
    outputs: Iterable[str] = (),
    output_quantities: Iterable[Mapping[str, Any]] = (),
    transformation_id: str | None = None,
    event_time: TimeLike | None = None,
    time_zone_offset: str | timedelta | None = None,
    event_id: str | None = None,
    biz_step: str | None = None,
    disposition: str | None = None,
    persistent_disposition: Mapping[str, Sequence[str]] | None = None,
    read_point: str | Mapping[str, Any] | None = None,
    biz_location: str | Mapping[str, Any] | None = None,
    biz_transactions: Iterable[Mapping[str, Any] | str] = (),
    sources: Iterable[Party] = (),
    destinations: Iterable[Party] = (),
    sensor_elements: Iterable[Mapping[str, Any]] = (),
    ilmd: Mapping[str, Any] | None = None,
    certification_info: str | Sequence[str] | None = None,
    extensions: Mapping[str, Any] | None = None,
) -> Event:
    """A TransformationEvent: inputs are consumed and outputs produced (it has no action).

    Needs inputs and outputs, or a ``transformation_id`` tying several events together.
    """
    what: dict[str, Any] = {}
    for key, values in (("inputEPCList", inputs), ("outputEPCList", outputs)):
        if epc_list := _epcs(values):
            what[key] = epc_list
    for key, elements in (
        ("inputQuantityList", input_quantities),
        ("outputQuantityList", output_quantities),
    ):
        if quantity_list := [dict(q) for q in elements]:
            what[key] = quantity_list
    if transformation_id is not None:
        what["transformationID"] = transformation_id
    return _build(
        "TransformationEvent",
        what,
        action=None,
        event_time=event_time,
        time_zone_offset=time_zone_offset,
        event_id=event_id,
        biz_step=biz_step,
        disposition=disposition,
        persistent_disposition=persistent_disposition,
        read_point=read_point,
        biz_location=biz_location,
        biz_transactions=biz_transactions,
        sources=sources,
        destinations=destinations,
        sensor_elements=sensor_elements,
        ilmd=ilmd,
        certification_info=certification_info,
        extensions=extensions,
    )


def association_event(
    action: str,
    *,
    parent: str,
    children: Iterable[str] = (),
    child_quantities: Iterable[Mapping[str, Any]] = (),
    event_time: TimeLike | None = None,
    time_zone_offset: str | timedelta | None = None,
    event_id: str | None = None,
    biz_step: str | None = None,
    disposition: str | None = None,
    read_point: str | Mapping[str, Any] | None = None,
    biz_location: str | Mapping[str, Any] | None = None,
    biz_transactions: Iterable[Mapping[str, Any] | str] = (),
    sources: Iterable[Party] = (),
    destinations: Iterable[Party] = (),
    sensor_elements: Iterable[Mapping[str, Any]] = (),
    certification_info: str | Sequence[str] | None = None,
    extensions: Mapping[str, Any] | None = None,
) -> Event:
    """An AssociationEvent: ``children`` (a sensor, a tag) become associated with ``parent``
    (an asset, a location) or stop being so; unlike aggregation, nothing is contained."""
    return _build(
        "AssociationEvent",
        _relation(parent, children, child_quantities),
        action=action,
        event_time=event_time,
        time_zone_offset=time_zone_offset,
        event_id=event_id,
        biz_step=biz_step,
        disposition=disposition,
        persistent_disposition=None,
        read_point=read_point,
        biz_location=biz_location,
        biz_transactions=biz_transactions,
        sources=sources,
        destinations=destinations,
        sensor_elements=sensor_elements,
        ilmd=None,
        certification_info=certification_info,
        extensions=extensions,
    )


# --- a shop's moments ---------------------------------------------------------------------


def commission(
    epcs: Iterable[str] = (),
    *,
    quantities: Iterable[Mapping[str, Any]] = (),
    ilmd: Mapping[str, Any] | None = None,
    **options: Any,
) -> Event:
    """Units of a batch come into being: ObjectEvent ADD, ``commissioning``, ``active``.

    ``ilmd`` carries the batch's data (see :func:`lot_ilmd`).
    """
    options.setdefault("biz_step", vocab.BizStep.COMMISSIONING)
    options.setdefault("disposition", vocab.Disposition.ACTIVE)
    return object_event(vocab.Action.ADD, epcs=epcs, quantities=quantities, ilmd=ilmd, **options)


def pack(
    parent: str,
    children: Iterable[str] = (),
    *,
    child_quantities: Iterable[Mapping[str, Any]] = (),
    **options: Any,
) -> Event:
    """Units go into a case, or cases onto a pallet: AggregationEvent ADD, ``packing``."""
    options.setdefault("biz_step", vocab.BizStep.PACKING)
    options.setdefault("disposition", vocab.Disposition.IN_PROGRESS)
    return aggregation_event(
        vocab.Action.ADD,
        parent=parent,
        children=children,
        child_quantities=child_quantities,
        **options,
    )


def unpack(
    parent: str,
    children: Iterable[str] = (),
    *,
    child_quantities: Iterable[Mapping[str, Any]] = (),
    **options: Any,
) -> Event:
    """A container is emptied (all children when none are named): AggregationEvent DELETE."""
    options.setdefault("biz_step", vocab.BizStep.UNPACKING)
    return aggregation_event(
        vocab.Action.DELETE,
        parent=parent,
        children=children,
        child_quantities=child_quantities,
        **options,
    )


def inspect(
    epcs: Iterable[str] = (),
    *,
    passed: bool,
    quantities: Iterable[Mapping[str, Any]] = (),
    **options: Any,
) -> Event:
    """Goods are inspected: ``inspecting``, then ``conformant`` or ``non_conformant``."""
    options.setdefault("biz_step", vocab.BizStep.INSPECTING)
    options.setdefault(
        "disposition",
        vocab.Disposition.CONFORMANT if passed else vocab.Disposition.NON_CONFORMANT,
    )
    return object_event(vocab.Action.OBSERVE, epcs=epcs, quantities=quantities, **options)


def _with_order(options: dict[str, Any], order: str | None, kind: vocab.BizTransactionType) -> None:
    if order is not None:
        existing = list(options.get("biz_transactions", ()))
        options["biz_transactions"] = [biz_transaction(order, kind), *existing]


def _with_parties(
    options: dict[str, Any],
    *,
    from_party: str | None,
    to_party: str | None,
    from_location: str | None,
    to_location: str | None,
) -> None:
    sources = list(options.get("sources", ()))
    destinations = list(options.get("destinations", ()))
    if from_party is not None:
        sources.append(source(vocab.SourceDestType.OWNING_PARTY, from_party))
    if from_location is not None:
        sources.append(source(vocab.SourceDestType.LOCATION, from_location))
    if to_party is not None:
        destinations.append(destination(vocab.SourceDestType.OWNING_PARTY, to_party))
    if to_location is not None:
        destinations.append(destination(vocab.SourceDestType.LOCATION, to_location))
    options["sources"] = sources
    options["destinations"] = destinations


def receive(
    epcs: Iterable[str] = (),
    *,
    quantities: Iterable[Mapping[str, Any]] = (),
    supplier: str | None = None,
    despatch_advice: str | None = None,
    **options: Any,
) -> Event:
    """Goods arrive from a supplier: ObjectEvent OBSERVE, ``receiving``, ``in_progress``.

    ``supplier`` (a party URI, e.g. a PGLN) becomes the owning-party source;
    ``despatch_advice`` (a URI) a ``desadv`` business transaction.
    """
    options.setdefault("biz_step", vocab.BizStep.RECEIVING)
    options.setdefault("disposition", vocab.Disposition.IN_PROGRESS)
    _with_order(options, despatch_advice, vocab.BizTransactionType.DESADV)
    _with_parties(options, from_party=supplier, to_party=None, from_location=None, to_location=None)
    return object_event(vocab.Action.OBSERVE, epcs=epcs, quantities=quantities, **options)


def ship_to_customer(
    epcs: Iterable[str] = (),
    *,
    order: str,
    quantities: Iterable[Mapping[str, Any]] = (),
    seller: str | None = None,
    customer: str | None = None,
    ship_from: str | None = None,
    ship_to: str | None = None,
    **options: Any,
) -> Event:
    """A shop order leaves: ObjectEvent OBSERVE, ``shipping``, ``in_transit``.

    ``order`` (a URI identifying the shop order) is recorded as a ``po`` business
    transaction; ``seller``/``customer`` become owning-party source and destination,
    ``ship_from``/``ship_to`` location source and destination.
    """
    options.setdefault("biz_step", vocab.BizStep.SHIPPING)
    options.setdefault("disposition", vocab.Disposition.IN_TRANSIT)
    _with_order(options, order, vocab.BizTransactionType.PO)
    _with_parties(
        options, from_party=seller, to_party=customer, from_location=ship_from, to_location=ship_to
    )
    return object_event(vocab.Action.OBSERVE, epcs=epcs, quantities=quantities, **options)


def sell(
    epcs: Iterable[str] = (),
    *,
    quantities: Iterable[Mapping[str, Any]] = (),
    order: str | None = None,
    **options: Any,
) -> Event:
    """Goods are sold at retail: ObjectEvent OBSERVE, ``retail_selling``, ``retail_sold``."""
    options.setdefault("biz_step", vocab.BizStep.RETAIL_SELLING)
    options.setdefault("disposition", vocab.Disposition.RETAIL_SOLD)
    _with_order(options, order, vocab.BizTransactionType.PO)
    return object_event(vocab.Action.OBSERVE, epcs=epcs, quantities=quantities, **options)


def receive_return(
    epcs: Iterable[str] = (),
    *,
    quantities: Iterable[Mapping[str, Any]] = (),
    rma: str | None = None,
    order: str | None = None,
    customer: str | None = None,
    **options: Any,
) -> Event:
    """A customer's return arrives: ObjectEvent OBSERVE, ``receiving``, ``returned``.

    ``rma`` (return authorisation URI) and ``order`` (the original order URI) become
    business transactions; ``customer`` the owning-party source.
    """
    options.setdefault("biz_step", vocab.BizStep.RECEIVING)
    options.setdefault("disposition", vocab.Disposition.RETURNED)
    _with_order(options, order, vocab.BizTransactionType.PO)
    _with_order(options, rma, vocab.BizTransactionType.RMA)
    _with_parties(options, from_party=customer, to_party=None, from_location=None, to_location=None)
    return object_event(vocab.Action.OBSERVE, epcs=epcs, quantities=quantities, **options)


def recall(
    epcs: Iterable[str] = (),
    *,
    quantities: Iterable[Mapping[str, Any]] = (),
    **options: Any,
) -> Event:
    """Units or whole lots are recalled: ObjectEvent OBSERVE, ``holding``, ``recalled``.

    Name single units in ``epcs`` or lots as class-level ``quantities`` (quantity omitted
    means the whole lot).
    """
    options.setdefault("biz_step", vocab.BizStep.HOLDING)
    options.setdefault("disposition", vocab.Disposition.RECALLED)
    return object_event(vocab.Action.OBSERVE, epcs=epcs, quantities=quantities, **options)


def transform(
    inputs: Iterable[str] = (),
    outputs: Iterable[str] = (),
    *,
    input_quantities: Iterable[Mapping[str, Any]] = (),
    output_quantities: Iterable[Mapping[str, Any]] = (),
    ilmd: Mapping[str, Any] | None = None,
    **options: Any,
) -> Event:
    """Ingredients become a product: TransformationEvent, ``commissioning``, ``active``.

    Inputs are usually lots by quantity (``quantity(lot_uri, 2.5, "KGM")``), outputs the new
    units or lot; ``ilmd`` carries the new batch's data.
    """
    options.setdefault("biz_step", vocab.BizStep.COMMISSIONING)
    options.setdefault("disposition", vocab.Disposition.ACTIVE)
    return transformation_event(
        inputs=inputs,
        input_quantities=input_quantities,
        outputs=outputs,
        output_quantities=output_quantities,
        ilmd=ilmd,
        **options,
    )
