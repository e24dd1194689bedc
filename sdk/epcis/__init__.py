"""EPCIS 2.0 in the SDK: build, validate, hash and exchange events in the JSON-LD binding.

::

    from shoptrace.sdk import epcis

    event = epcis.commission(units, ilmd=epcis.lot_ilmd(lot="LOT42"), read_point=gln)
    doc = epcis.make_document([event])          # @context, schemaVersion, creationDate
    epcis.validate_document(doc)                # EPCISValidationError lists every problem
    epcis.document_hashes(doc)                  # one event hash ID per event
"""

from shoptrace.sdk.epcis.documents import (
    context,
    document_events,
    iter_document,
    make_document,
    parse_json,
    read_document,
    standalone_event,
    write_document,
)
from shoptrace.sdk.epcis.epc import EPCInfo, classify, dl_to_urn, urn_to_dl
from shoptrace.sdk.epcis.events import (
    aggregation_event,
    association_event,
    biz_transaction,
    commission,
    destination,
    inspect,
    lot_ilmd,
    object_event,
    pack,
    quantity,
    recall,
    receive,
    receive_return,
    sell,
    ship_to_customer,
    source,
    transaction_event,
    transform,
    transformation_event,
    unpack,
)
from shoptrace.sdk.epcis.hashing import document_hashes, event_hash, prehash
from shoptrace.sdk.epcis.validate import (
    EPCISValidationError,
    Problem,
    document_problems,
    event_problems,
    format_problem,
    validate_document,
    validate_event,
)
from shoptrace.sdk.epcis.vocab import (
    EPCIS_CONTEXT,
    SCHEMA_VERSION,
    Action,
    BizStep,
    BizTransactionType,
    Component,
    Disposition,
    ErrorReason,
    EventType,
    MeasurementType,
    SensorAlertType,
    SourceDestType,
    bare_word,
)

__all__ = [
    "EPCIS_CONTEXT",
    "SCHEMA_VERSION",
    "Action",
    "BizStep",
    "BizTransactionType",
    "Component",
    "Disposition",
    "EPCISValidationError",
    "EPCInfo",
    "ErrorReason",
    "EventType",
    "MeasurementType",
    "Problem",
    "SensorAlertType",
    "SourceDestType",
    "aggregation_event",
    "association_event",
    "bare_word",
    "biz_transaction",
    "classify",
    "commission",
    "context",
    "destination",
    "dl_to_urn",
    "document_events",
    "document_hashes",
    "document_problems",
    "event_hash",
    "event_problems",
    "format_problem",
    "inspect",
    "iter_document",
    "lot_ilmd",
    "make_document",
    "object_event",
    "pack",
    "parse_json",
    "prehash",
    "quantity",
    "read_document",
    "recall",
    "receive",
    "receive_return",
    "sell",
    "ship_to_customer",
    "source",
    "standalone_event",
    "transaction_event",
    "transform",
    "transformation_event",
    "unpack",
    "urn_to_dl",
    "validate_document",
    "validate_event",
    "write_document",
]
