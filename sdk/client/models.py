"""Typed result objects of the trace service client, built from the API's JSON.

Each is a frozen dataclass with Python names and types (``datetime`` for times, ``date`` for
dates, nested objects for nested records) and keeps the JSON it came from in ``raw``, so a
field the SDK does not know yet is still there: ``product.raw["newField"]`` or
``product["newField"]``. Texts shown in two languages stay ``{"zh-CN": ..., "en": ...}``
dicts; EPCIS events stay the JSON-LD dicts the EPCIS binding exchanges.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, TypeVar

__all__ = [
    "Batch",
    "BatchCompleteness",
    "CaptureJob",
    "CapturedEvent",
    "Category",
    "Certification",
    "ChainBreak",
    "ChainHead",
    "Code",
    "Containment",
    "Deleted",
    "Downstream",
    "DownstreamUnits",
    "I18nText",
    "InspectionReport",
    "Integrity",
    "IssuanceJob",
    "IssueResult",
    "IssuedCode",
    "LabelPdf",
    "Location",
    "LocationAddress",
    "Material",
    "Model",
    "Order",
    "OrderLine",
    "OrderUnit",
    "Origin",
    "Party",
    "Producer",
    "Product",
    "ProductCompleteness",
    "Recall",
    "RecallImpact",
    "RecallOrder",
    "RecallOrderLine",
    "RecallUnitCounts",
    "Requirement",
    "ShopConnection",
    "Trace",
    "TraceEvent",
    "TraceState",
    "TraceUnit",
    "Upstream",
    "UpstreamAuth",
    "UpstreamStatus",
    "WebhookDelivery",
    "WebhookEndpoint",
]

I18nText = Mapping[str, str | None]
"""A text in several languages: ``{"zh-CN": "有机苹果", "en": "Organic apples"}``."""

M = TypeVar("M", bound="Model")
Date = date


def parse_time(value: Any) -> datetime | None:
    """An ISO 8601 date-time (``Z`` or an offset), or None."""
    if not isinstance(value, str) or not value:
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


def parse_date(value: Any) -> date | None:
    """An ISO 8601 date, or None."""
    if not isinstance(value, str) or not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _int(value: Any, default: int = 0) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else default


def _opt_int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _str(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _opt_str(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _i18n(value: Any) -> I18nText | None:
    return value if isinstance(value, dict) else None


def _many(cls: type[M], value: Any) -> tuple[M, ...]:
    return tuple(cls.from_json(item) for item in _list(value) if isinstance(item, dict))


def _one(cls: type[M], value: Any) -> M | None:
    return cls.from_json(value) if isinstance(value, dict) else None


@dataclass(frozen=True, kw_only=True)
class Model:
    """Base of the result objects: ``raw`` is the JSON object the result was built from."""

    raw: Mapping[str, Any] = field(repr=False, compare=False)

    @classmethod
    def from_json(cls: type[M], data: Mapping[str, Any]) -> M:
        raise NotImplementedError

    def __getitem__(self, key: str) -> Any:
        """A member of the JSON as received (also one this SDK has no field for)."""
        return self.raw[key]

    def get(self, key: str, default: Any = None) -> Any:
        """A member of the JSON as received, or ``default``."""
        return self.raw.get(key, default)


# --- products and batches --------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class Certification(Model):
    """A certificate (organic, GAP, HACCP, ...) and how it was verified."""

    scheme: str
    issuer: str
    number: str
    verification: str
    valid_from: date | None = None
    valid_until: date | None = None
    url: str | None = None

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Certification:
        return cls(
            raw=data,
            scheme=_str(data.get("scheme")),
            issuer=_str(data.get("issuer")),
            number=_str(data.get("number")),
            verification=_str(data.get("verification")),
            valid_from=parse_date(data.get("validFrom")),
            valid_until=parse_date(data.get("validUntil")),
            url=_opt_str(data.get("url")),
        )


@dataclass(frozen=True, kw_only=True)
class Origin(Model):
    """Where a batch was grown or made (产地)."""

    place: I18nText | None
    country_code: str | None = None
    region: str | None = None

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Origin:
        return cls(
            raw=data,
            place=_i18n(data.get("place")),
            country_code=_opt_str(data.get("countryCode")),
            region=_opt_str(data.get("region")),
        )


@dataclass(frozen=True, kw_only=True)
class Producer(Model):
    """Who made or grew a batch (生产者)."""

    name: I18nText | None
    gln: str | None = None
    license_number: str | None = None
    address: I18nText | None = None

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Producer:
        return cls(
            raw=data,
            name=_i18n(data.get("name")),
            gln=_opt_str(data.get("gln")),
            license_number=_opt_str(data.get("licenseNumber")),
            address=_i18n(data.get("address")),
        )


@dataclass(frozen=True, kw_only=True)
class InspectionReport(Model):
    """A lab or quality inspection result of a batch (检验报告)."""

    issuer: str
    number: str
    date: Date | None
    result: str
    url: str | None = None

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> InspectionReport:
        return cls(
            raw=data,
            issuer=_str(data.get("issuer")),
            number=_str(data.get("number")),
            date=parse_date(data.get("date")),
            result=_str(data.get("result")),
            url=_opt_str(data.get("url")),
        )


@dataclass(frozen=True, kw_only=True)
class Product(Model):
    """A product (GTIN) of the merchant."""

    id: int
    gtin: str
    name: I18nText | None
    category: str
    description: I18nText | None = None
    listing_url: str | None = None
    shop_product_id: str | None = None
    certifications: tuple[Certification, ...] = ()
    visibility: Mapping[str, str] = field(default_factory=dict)
    created_at: datetime | None = None
    updated_at: datetime | None = None

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Product:
        return cls(
            raw=data,
            id=_int(data.get("id")),
            gtin=_str(data.get("gtin")),
            name=_i18n(data.get("name")),
            category=_str(data.get("category")),
            description=_i18n(data.get("description")),
            listing_url=_opt_str(data.get("listingUrl")),
            shop_product_id=_opt_str(data.get("shopProductId")),
            certifications=_many(Certification, data.get("certifications")),
            visibility=_dict(data.get("visibility")),
            created_at=parse_time(data.get("createdAt")),
            updated_at=parse_time(data.get("updatedAt")),
        )


@dataclass(frozen=True, kw_only=True)
class LocationAddress(Model):
    """A place's coarse address: country (ISO 3166-1 alpha-2), region and city in zh-CN/en."""

    country_code: str | None = None
    region: I18nText | None = None
    city: I18nText | None = None

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> LocationAddress:
        return cls(
            raw=data,
            country_code=_opt_str(data.get("countryCode")),
            region=_i18n(data.get("region")),
            city=_i18n(data.get("city")),
        )


@dataclass(frozen=True, kw_only=True)
class Location(Model):
    """A merchant's name for a place its events name (readPoint, bizLocation).

    ``place_id`` is the canonical GS1 Digital Link the service keeps the place as
    (``https://id.gs1.org/414/{gln}[/254/{extension}]``). Shoppers see ``name`` (and the city
    of ``address``) only when ``visibility`` makes them ``public``; both start private.
    """

    id: int
    place_id: str
    name: I18nText | None
    address: LocationAddress | None = None
    visibility: Mapping[str, str] = field(default_factory=dict)
    created_at: datetime | None = None
    updated_at: datetime | None = None

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Location:
        return cls(
            raw=data,
            id=_int(data.get("id")),
            place_id=_str(data.get("placeId")),
            name=_i18n(data.get("name")),
            address=_one(LocationAddress, data.get("address")),
            visibility=_dict(data.get("visibility")),
            created_at=parse_time(data.get("createdAt")),
            updated_at=parse_time(data.get("updatedAt")),
        )


@dataclass(frozen=True, kw_only=True)
class Batch(Model):
    """A batch (lot, 批次) of a product."""

    id: int
    product_id: int
    gtin: str
    lot: str
    production_date: date | None = None
    expiry_date: date | None = None
    origin: Origin | None = None
    producer: Producer | None = None
    inspection_reports: tuple[InspectionReport, ...] = ()
    certifications: tuple[Certification, ...] = ()
    visibility: Mapping[str, str] = field(default_factory=dict)
    codes_issued: int = 0
    created_at: datetime | None = None
    updated_at: datetime | None = None

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Batch:
        return cls(
            raw=data,
            id=_int(data.get("id")),
            product_id=_int(data.get("productId")),
            gtin=_str(data.get("gtin")),
            lot=_str(data.get("lot")),
            production_date=parse_date(data.get("productionDate")),
            expiry_date=parse_date(data.get("expiryDate")),
            origin=_one(Origin, data.get("origin")),
            producer=_one(Producer, data.get("producer")),
            inspection_reports=_many(InspectionReport, data.get("inspectionReports")),
            certifications=_many(Certification, data.get("certifications")),
            visibility=_dict(data.get("visibility")),
            codes_issued=_int(data.get("codesIssued")),
            created_at=parse_time(data.get("createdAt")),
            updated_at=parse_time(data.get("updatedAt")),
        )


@dataclass(frozen=True, kw_only=True)
class Requirement(Model):
    """A piece of trace data a catalogue class requires, and whether it is there."""

    field: str
    level: str
    label: I18nText | None
    present: bool | None = None

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Requirement:
        present = data.get("present")
        return cls(
            raw=data,
            field=_str(data.get("field")),
            level=_str(data.get("level")),
            label=_i18n(data.get("label")),
            present=present if isinstance(present, bool) else None,
        )


@dataclass(frozen=True, kw_only=True)
class BatchCompleteness(Model):
    """Trace completeness (追溯信息完整度) of a batch."""

    batch_id: int
    product_id: int
    category: str
    score: float
    complete: bool
    required: tuple[Requirement, ...]
    missing: tuple[str, ...]

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> BatchCompleteness:
        return cls(
            raw=data,
            batch_id=_int(data.get("batchId")),
            product_id=_int(data.get("productId")),
            category=_str(data.get("category")),
            score=float(data.get("score") or 0),
            complete=bool(data.get("complete")),
            required=_many(Requirement, data.get("required")),
            missing=tuple(_list(data.get("missing"))),
        )


@dataclass(frozen=True, kw_only=True)
class ProductCompleteness(Model):
    """Trace completeness of a product and a summary of its batches'."""

    product_id: int
    category: str
    score: float
    complete: bool
    required: tuple[Requirement, ...]
    missing: tuple[str, ...]
    batch_required: tuple[Requirement, ...]
    batches_total: int
    batches_complete: int
    incomplete_batches: tuple[Mapping[str, Any], ...]

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ProductCompleteness:
        batches = _dict(data.get("batches"))
        return cls(
            raw=data,
            product_id=_int(data.get("productId")),
            category=_str(data.get("category")),
            score=float(data.get("score") or 0),
            complete=bool(data.get("complete")),
            required=_many(Requirement, data.get("required")),
            missing=tuple(_list(data.get("missing"))),
            batch_required=_many(Requirement, data.get("batchRequired")),
            batches_total=_int(batches.get("total")),
            batches_complete=_int(batches.get("complete")),
            incomplete_batches=tuple(_list(batches.get("incomplete"))),
        )


@dataclass(frozen=True, kw_only=True)
class Category(Model):
    """A catalogue class (national important traceable products) and what it requires."""

    code: str
    name: I18nText | None
    mandatory: bool
    requirements: tuple[Requirement, ...]

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Category:
        return cls(
            raw=data,
            code=_str(data.get("code")),
            name=_i18n(data.get("name")),
            mandatory=bool(data.get("mandatory")),
            requirements=_many(Requirement, data.get("requirements")),
        )


# --- codes -----------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class IssuanceJob(Model):
    """A code issuance: how many codes, how many are done, its status."""

    id: int
    batch_id: int
    count: int
    done: int
    status: str
    progress: float
    error: str | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    finished_at: datetime | None = None

    @property
    def finished(self) -> bool:
        """Done or failed."""
        return self.status in ("done", "failed")

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> IssuanceJob:
        return cls(
            raw=data,
            id=_int(data.get("id")),
            batch_id=_int(data.get("batchId")),
            count=_int(data.get("count")),
            done=_int(data.get("done")),
            status=_str(data.get("status")),
            progress=float(data.get("progress") or 0),
            error=_opt_str(data.get("error")),
            created_at=parse_time(data.get("createdAt")),
            updated_at=parse_time(data.get("updatedAt")),
            finished_at=parse_time(data.get("finishedAt")),
        )


@dataclass(frozen=True, kw_only=True)
class IssuedCode(Model):
    """A code just issued: its serial (AI 21) and Digital Link URI."""

    serial: str
    uri: str

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> IssuedCode:
        return cls(raw=data, serial=_str(data.get("serial")), uri=_str(data.get("uri")))


@dataclass(frozen=True, kw_only=True)
class IssueResult(Model):
    """The answer to an issuance: the codes at once (small counts), or a job to wait for
    (``codes`` None; see :meth:`CodesService.wait`)."""

    issuance: IssuanceJob
    codes: tuple[IssuedCode, ...] | None
    location: str | None = None

    @property
    def pending(self) -> bool:
        """Issued as a job the service is still working on."""
        return self.codes is None and not self.issuance.finished

    @classmethod
    def from_json(cls, data: Mapping[str, Any], location: str | None = None) -> IssueResult:
        codes = data.get("codes")
        return cls(
            raw=data,
            issuance=IssuanceJob.from_json(_dict(data.get("issuance"))),
            codes=_many(IssuedCode, codes) if isinstance(codes, list) else None,
            location=location,
        )


@dataclass(frozen=True, kw_only=True)
class Code(Model):
    """A unit code of a batch with its status."""

    serial: str
    uri: str
    status: str
    issuance_id: int
    issued_at: datetime | None

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Code:
        return cls(
            raw=data,
            serial=_str(data.get("serial")),
            uri=_str(data.get("uri")),
            status=_str(data.get("status")),
            issuance_id=_int(data.get("issuanceId")),
            issued_at=parse_time(data.get("issuedAt")),
        )


@dataclass(frozen=True)
class LabelPdf:
    """A PDF of QR labels: ``count`` labels, and the token of the next PDF when the
    selection was larger than one PDF holds."""

    content: bytes = field(repr=False)
    count: int
    next_page_token: str | None

    def save(self, path: str) -> None:
        """Write the PDF to ``path``."""
        with open(path, "wb") as handle:
            handle.write(self.content)


# --- traces ----------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class Party(Model):
    """A business transaction, source or destination: its CBV type and id (a URI)."""

    type: str | None
    id: str

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Party:
        return cls(raw=data, type=_opt_str(data.get("type")), id=_str(data.get("id")))


@dataclass(frozen=True, kw_only=True)
class TraceEvent(Model):
    """An event in a trace, with the subject it concerns and how it reached the item."""

    event_id: str
    event_type: str
    event_time: datetime | None
    record_time: datetime | None
    biz_step: str | None
    disposition: str | None
    read_point: str | None
    biz_location: str | None
    via: str
    subject: str
    role: str
    action: str | None = None
    event_time_zone_offset: str | None = None
    biz_transactions: tuple[Party, ...] = ()
    sources: tuple[Party, ...] = ()
    destinations: tuple[Party, ...] = ()
    event: Mapping[str, Any] = field(default_factory=dict, repr=False)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> TraceEvent:
        return cls(
            raw=data,
            event_id=_str(data.get("eventID")),
            event_type=_str(data.get("eventType")),
            event_time=parse_time(data.get("eventTime")),
            record_time=parse_time(data.get("recordTime")),
            biz_step=_opt_str(data.get("bizStep")),
            disposition=_opt_str(data.get("disposition")),
            read_point=_opt_str(data.get("readPoint")),
            biz_location=_opt_str(data.get("bizLocation")),
            via=_str(data.get("via")),
            subject=_str(data.get("subject")),
            role=_str(data.get("role")),
            action=_opt_str(data.get("action")),
            event_time_zone_offset=_opt_str(data.get("eventTimeZoneOffset")),
            biz_transactions=_many(Party, data.get("bizTransactions")),
            sources=_many(Party, data.get("sources")),
            destinations=_many(Party, data.get("destinations")),
            event=_dict(data.get("event")),
        )


@dataclass(frozen=True, kw_only=True)
class Material(Model):
    """A transformation input (ingredient) or output: an EPC, or a class with a quantity."""

    epc: str
    level: str
    quantity: float | None
    uom: str | None
    event_id: str
    events: tuple[TraceEvent, ...] = ()

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Material:
        amount = data.get("quantity")
        return cls(
            raw=data,
            epc=_str(data.get("epc")),
            level=_str(data.get("level")),
            quantity=float(amount) if isinstance(amount, int | float) else None,
            uom=_opt_str(data.get("uom")),
            event_id=_str(data.get("eventID")),
            events=_many(TraceEvent, data.get("events")),
        )


@dataclass(frozen=True, kw_only=True)
class Containment(Model):
    """A time the item spent in a container (``until`` None: still inside)."""

    container: str
    level: int
    since: datetime | None
    until: datetime | None

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Containment:
        return cls(
            raw=data,
            container=_str(data.get("container")),
            level=_int(data.get("level"), 1),
            since=parse_time(data.get("since")),
            until=parse_time(data.get("until")),
        )


@dataclass(frozen=True, kw_only=True)
class TraceUnit(Model):
    """An issued unit's record: status and scans."""

    serial: str
    status: str
    issued_at: datetime | None
    first_scan_at: datetime | None
    last_scan_at: datetime | None
    scan_count: int

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> TraceUnit:
        return cls(
            raw=data,
            serial=_str(data.get("serial")),
            status=_str(data.get("status")),
            issued_at=parse_time(data.get("issuedAt")),
            first_scan_at=parse_time(data.get("firstScanAt")),
            last_scan_at=parse_time(data.get("lastScanAt")),
            scan_count=_int(data.get("scanCount")),
        )


@dataclass(frozen=True, kw_only=True)
class TraceState(Model):
    """Where the item stands now."""

    status: str | None
    disposition: str | None
    place: str | None
    place_since: datetime | None
    read_point: str | None
    last_step: str | None
    last_event_time: datetime | None
    container: str | None

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> TraceState:
        return cls(
            raw=data,
            status=_opt_str(data.get("status")),
            disposition=_opt_str(data.get("disposition")),
            place=_opt_str(data.get("place")),
            place_since=parse_time(data.get("placeSince")),
            read_point=_opt_str(data.get("readPoint")),
            last_step=_opt_str(data.get("lastStep")),
            last_event_time=parse_time(data.get("lastEventTime")),
            container=_opt_str(data.get("container")),
        )


@dataclass(frozen=True, kw_only=True)
class Trace(Model):
    """The trace of a unit, lot or container: records, events in time order, state."""

    code: str
    kind: str
    epc: str
    gtin: str | None
    lot: str | None
    serial: str | None
    sscc: str | None
    product: Product | None
    batch: Batch | None
    unit: TraceUnit | None
    state: TraceState
    containers: tuple[Containment, ...]
    inputs: tuple[Material, ...]
    outputs: tuple[Material, ...]
    events: tuple[TraceEvent, ...]

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Trace:
        return cls(
            raw=data,
            code=_str(data.get("code")),
            kind=_str(data.get("kind")),
            epc=_str(data.get("epc")),
            gtin=_opt_str(data.get("gtin")),
            lot=_opt_str(data.get("lot")),
            serial=_opt_str(data.get("serial")),
            sscc=_opt_str(data.get("sscc")),
            product=_one(Product, data.get("product")),
            batch=_one(Batch, data.get("batch")),
            unit=_one(TraceUnit, data.get("unit")),
            state=TraceState.from_json(_dict(data.get("state"))),
            containers=_many(Containment, data.get("containers")),
            inputs=_many(Material, data.get("inputs")),
            outputs=_many(Material, data.get("outputs")),
            events=_many(TraceEvent, data.get("events")),
        )


@dataclass(frozen=True, kw_only=True)
class DownstreamUnits(Model):
    """The units of a lot followed downstream: counts by status and the first EPCs."""

    total: int
    by_status: Mapping[str, int]
    items: tuple[str, ...]
    truncated: bool

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> DownstreamUnits:
        return cls(
            raw=data,
            total=_int(data.get("total")),
            by_status=_dict(data.get("byStatus")),
            items=tuple(_list(data.get("items"))),
            truncated=bool(data.get("truncated")),
        )


@dataclass(frozen=True, kw_only=True)
class Downstream(Model):
    """Forward tracing of a lot: its units, containers, orders, destinations and outputs."""

    gtin: str
    lot: str
    epc: str
    batch: Batch | None
    units: DownstreamUnits
    containers: tuple[str, ...]
    orders: tuple[Party, ...]
    destinations: tuple[Party, ...]
    outputs: tuple[Material, ...]
    event_count: int

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Downstream:
        return cls(
            raw=data,
            gtin=_str(data.get("gtin")),
            lot=_str(data.get("lot")),
            epc=_str(data.get("epc")),
            batch=_one(Batch, data.get("batch")),
            units=DownstreamUnits.from_json(_dict(data.get("units"))),
            containers=tuple(_list(data.get("containers"))),
            orders=_many(Party, data.get("orders")),
            destinations=_many(Party, data.get("destinations")),
            outputs=_many(Material, data.get("outputs")),
            event_count=_int(data.get("eventCount")),
        )


@dataclass(frozen=True, kw_only=True)
class ChainHead(Model):
    """The last link of the hash chain."""

    seq: int
    hash: str

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ChainHead:
        return cls(raw=data, seq=_int(data.get("seq")), hash=_str(data.get("hash")))


@dataclass(frozen=True, kw_only=True)
class ChainBreak(Model):
    """The first event whose link does not match (tampering, 防篡改)."""

    seq: int
    event_id: str | None
    reason: str
    kind: str | None = None
    """``changed``, ``relinked``, ``removed``, ``truncated`` or ``unreadable``."""

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ChainBreak:
        return cls(
            raw=data,
            seq=_int(data.get("seq")),
            event_id=_opt_str(data.get("eventID")),
            reason=_str(data.get("reason")),
            kind=_opt_str(data.get("kind")),
        )


@dataclass(frozen=True, kw_only=True)
class Integrity(Model):
    """The merchant's event hash chain, recomputed (the whole of it, or one page of it).

    ``valid`` is True when the whole chain holds, False when ``first_break`` names where it
    breaks, and None for a page with no break and more to check (``complete`` False; its
    ``next_page_token`` continues the check).
    """

    valid: bool | None
    events: int
    """Events checked (on a page: by that page)."""
    head: ChainHead
    first_break: ChainBreak | None
    checked_at: datetime | None
    complete: bool = True
    checked_from: int | None = None
    """The first and last chain positions checked."""
    checked_through: int | None = None
    next_page_token: str | None = None

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Integrity:
        valid = data.get("valid")
        checked = _dict(data.get("checked"))
        complete = data.get("complete", True)  # servers before paged checks: always whole
        return cls(
            raw=data,
            valid=valid if isinstance(valid, bool) else None,
            events=_int(data.get("events")),
            head=ChainHead.from_json(_dict(data.get("head"))),
            first_break=_one(ChainBreak, data.get("firstBreak")),
            checked_at=parse_time(data.get("checkedAt")),
            complete=complete if isinstance(complete, bool) else True,
            checked_from=_opt_int(checked.get("from")),
            checked_through=_opt_int(checked.get("through")),
            next_page_token=_opt_str(data.get("nextPageToken")),
        )


# --- EPCIS -----------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class CaptureJob(Model):
    """An EPCIS capture job: whether it is running, succeeded, and what it stored."""

    capture_id: str
    running: bool
    success: bool | None
    capture_error_behaviour: str | None
    errors: tuple[Mapping[str, Any], ...]
    event_count: int | None
    stored: int | None
    duplicates: int | None
    rejected: int | None
    created_at: datetime | None = None
    finished_at: datetime | None = None
    location: str | None = None

    @classmethod
    def from_json(cls, data: Mapping[str, Any], location: str | None = None) -> CaptureJob:
        success = data.get("success")
        return cls(
            raw=data,
            capture_id=str(data.get("captureID") or ""),
            running=bool(data.get("running")),
            success=success if isinstance(success, bool) else None,
            capture_error_behaviour=_opt_str(data.get("captureErrorBehaviour")),
            errors=tuple(e for e in _list(data.get("errors")) if isinstance(e, dict)),
            event_count=_opt_int(data.get("eventCount")),
            stored=_opt_int(data.get("stored")),
            duplicates=_opt_int(data.get("duplicates")),
            rejected=_opt_int(data.get("rejected")),
            created_at=parse_time(data.get("createdAt")),
            finished_at=parse_time(data.get("finishedAt")),
            location=location,
        )


@dataclass(frozen=True, kw_only=True)
class CapturedEvent(Model):
    """One event captured with ``POST /events``: the stored event, and whether it is new
    (an event stored already is not stored again)."""

    event_id: str
    created: bool
    location: str | None

    @property
    def event(self) -> Mapping[str, Any]:
        """The event as stored (with its eventID and recordTime)."""
        return self.raw

    @classmethod
    def from_json(
        cls, data: Mapping[str, Any], *, created: bool = True, location: str | None = None
    ) -> CapturedEvent:
        return cls(raw=data, event_id=_str(data.get("eventID")), created=created, location=location)


# --- webhook endpoints -----------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class WebhookEndpoint(Model):
    """A URL the service sends webhook messages to, for the topics it subscribes to.

    ``secret`` (``whsec_...``) is there only in the answers of ``create`` and
    ``rotate_secret``: keep it to verify ``ShopTrace-Signature`` with
    :func:`shoptrace.sdk.webhooks.construct_event`. ``previous_secret_expires_at`` is when
    the secret a rotation replaced stops signing messages beside the new one (None: only
    the current secret signs).
    """

    id: int
    url: str
    topics: tuple[str, ...]
    enabled: bool
    description: str | None = None
    secret: str | None = field(default=None, repr=False)
    previous_secret_expires_at: datetime | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> WebhookEndpoint:
        return cls(
            raw=data,
            id=_int(data.get("id")),
            url=_str(data.get("url")),
            topics=tuple(t for t in _list(data.get("topics")) if isinstance(t, str)),
            enabled=bool(data.get("enabled")),
            description=_opt_str(data.get("description")),
            secret=_opt_str(data.get("secret")),
            previous_secret_expires_at=parse_time(data.get("previousSecretExpiresAt")),
            created_at=parse_time(data.get("createdAt")),
            updated_at=parse_time(data.get("updatedAt")),
        )


@dataclass(frozen=True, kw_only=True)
class WebhookDelivery(Model):
    """A message to a webhook endpoint and its delivery state; ``payload`` is the body it
    sends (in the answers about one delivery)."""

    id: int
    webhook_id: int
    event_id: str
    topic: str
    status: str
    attempts: int
    next_attempt_at: datetime | None = None
    last_status: int | None = None
    last_error: str | None = None
    created_at: datetime | None = None
    delivered_at: datetime | None = None
    payload: Mapping[str, Any] | None = field(default=None, repr=False)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> WebhookDelivery:
        payload = data.get("payload")
        return cls(
            raw=data,
            id=_int(data.get("id")),
            webhook_id=_int(data.get("webhookId")),
            event_id=_str(data.get("eventId")),
            topic=_str(data.get("topic")),
            status=_str(data.get("status")),
            attempts=_int(data.get("attempts")),
            next_attempt_at=parse_time(data.get("nextAttemptAt")),
            last_status=_opt_int(data.get("lastStatus")),
            last_error=_opt_str(data.get("lastError")),
            created_at=parse_time(data.get("createdAt")),
            delivered_at=parse_time(data.get("deliveredAt")),
            payload=payload if isinstance(payload, dict) else None,
        )


@dataclass(frozen=True, kw_only=True)
class Deleted(Model):
    """The answer to a delete: the id of what is gone."""

    id: int
    deleted: bool

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Deleted:
        return cls(raw=data, id=_int(data.get("id")), deleted=bool(data.get("deleted")))


# --- upstream EPCIS endpoints ----------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class UpstreamAuth(Model):
    """How the service authenticates to an upstream endpoint: the ``type`` (``none``,
    ``bearer``, ``basic``, ``header``) and, for ``header``, the header's name. The credential
    itself is sealed on the service and never comes back; ``readable`` is False when it no
    longer opens (the service's signing key changed): set ``auth`` again."""

    type: str
    header: str | None = None
    readable: bool = True

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> UpstreamAuth:
        readable = data.get("readable")
        return cls(
            raw=data,
            type=_str(data.get("type")),
            header=_opt_str(data.get("header")),
            readable=readable if isinstance(readable, bool) else True,
        )


@dataclass(frozen=True, kw_only=True)
class UpstreamStatus(Model):
    """The state of pushing the merchant's events to an upstream endpoint.

    ``state`` is ``synced``, ``pending``, ``retrying``, ``dead`` or ``disabled``; every event
    up to ``pushed_seq`` was accepted, ``head_seq`` is the merchant's last event and
    ``backlog`` the events not pushed yet."""

    state: str
    pushed_seq: int
    head_seq: int
    backlog: int
    attempts: int
    next_attempt_at: datetime | None = None
    last_attempt_at: datetime | None = None
    last_status: int | None = None
    last_error: str | None = None
    last_success_at: datetime | None = None
    dead_at: datetime | None = None
    pulled_until: datetime | None = None

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> UpstreamStatus:
        return cls(
            raw=data,
            state=_str(data.get("state")),
            pushed_seq=_int(data.get("pushedSeq")),
            head_seq=_int(data.get("headSeq")),
            backlog=_int(data.get("backlog")),
            attempts=_int(data.get("attempts")),
            next_attempt_at=parse_time(data.get("nextAttemptAt")),
            last_attempt_at=parse_time(data.get("lastAttemptAt")),
            last_status=_opt_int(data.get("lastStatus")),
            last_error=_opt_str(data.get("lastError")),
            last_success_at=parse_time(data.get("lastSuccessAt")),
            dead_at=parse_time(data.get("deadAt")),
            pulled_until=parse_time(data.get("pulledUntil")),
        )


@dataclass(frozen=True, kw_only=True)
class Upstream(Model):
    """An upstream EPCIS endpoint (a national or provincial trace platform, a marketplace,
    a partner) the merchant's events are pushed to, with the state of pushing them.

    ``mode`` ``capture`` POSTs EPCIS documents to ``{url}/capture``, ``document`` to ``url``
    itself. The credential given in ``auth`` is never returned: ``auth`` only says its type.
    """

    id: int
    name: str
    url: str
    kind: str
    partner: bool
    mode: str
    auth: UpstreamAuth
    batch_size: int
    enabled: bool
    status: UpstreamStatus
    created_at: datetime | None = None
    updated_at: datetime | None = None

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Upstream:
        return cls(
            raw=data,
            id=_int(data.get("id")),
            name=_str(data.get("name")),
            url=_str(data.get("url")),
            kind=_str(data.get("kind")),
            partner=bool(data.get("partner")),
            mode=_str(data.get("mode")),
            auth=UpstreamAuth.from_json(_dict(data.get("auth"))),
            batch_size=_int(data.get("batchSize")),
            enabled=bool(data.get("enabled")),
            status=UpstreamStatus.from_json(_dict(data.get("status"))),
            created_at=parse_time(data.get("createdAt")),
            updated_at=parse_time(data.get("updatedAt")),
        )


# --- shop connections ------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class ShopConnection(Model):
    """A shop platform connection: the shop (``shopify``, ``woocommerce``, ``saleor``) whose
    webhooks the service takes for this merchant, and how they are verified.

    ``webhook_url`` is the delivery URL to give the platform. The secret (and Saleor's public
    keys) are stored sealed and never returned; ``status`` ``unreadable`` says the secret no
    longer opens (the service's signing key changed): set it again.
    ``previous_secret_until`` is when a rotated-out secret stops verifying webhooks."""

    id: int
    platform: str
    shop: str
    status: str
    verification: tuple[str, ...]
    webhook_url: str
    previous_secret_until: datetime | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ShopConnection:
        return cls(
            raw=data,
            id=_int(data.get("id")),
            platform=_str(data.get("platform")),
            shop=_str(data.get("shop")),
            status=_str(data.get("status")),
            verification=tuple(v for v in _list(data.get("verification")) if isinstance(v, str)),
            webhook_url=_str(data.get("webhookUrl")),
            previous_secret_until=parse_time(data.get("previousSecretUntil")),
            created_at=parse_time(data.get("createdAt")),
            updated_at=parse_time(data.get("updatedAt")),
        )


# --- orders ----------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class OrderUnit(Model):
    """A unit bound to an order line."""

    serial: str
    lot: str
    status: str
    uri: str

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> OrderUnit:
        return cls(
            raw=data,
            serial=_str(data.get("serial")),
            lot=_str(data.get("lot")),
            status=_str(data.get("status")),
            uri=_str(data.get("uri")),
        )


@dataclass(frozen=True, kw_only=True)
class OrderLine(Model):
    """An order line (订单行): what was bought, and the units or lot it is traced by.

    ``problem`` (``{code, message: {en, zh-CN}}``) says why a line is not traced."""

    line_no: int
    quantity: int
    status: str
    id: str | None = None
    sku: str | None = None
    gtin: str | None = None
    name: str | None = None
    product_id: int | None = None
    problem: Mapping[str, Any] | None = None
    traced_by: str | None = None
    lot: str | None = None
    unit_count: int = 0
    units: tuple[OrderUnit, ...] = ()

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> OrderLine:
        problem = data.get("problem")
        return cls(
            raw=data,
            line_no=_int(data.get("lineNo")),
            quantity=_int(data.get("quantity")),
            status=_str(data.get("status")),
            id=_opt_str(data.get("id")),
            sku=_opt_str(data.get("sku")),
            gtin=_opt_str(data.get("gtin")),
            name=_opt_str(data.get("name")),
            product_id=_opt_int(data.get("productId")),
            problem=problem if isinstance(problem, dict) else None,
            traced_by=_opt_str(data.get("tracedBy")),
            lot=_opt_str(data.get("lot")),
            unit_count=_int(data.get("unitCount")),
            units=_many(OrderUnit, data.get("units")),
        )


@dataclass(frozen=True, kw_only=True)
class Order(Model):
    """A shop order (订单) by the shop's own id, its status, lines and trace page URL."""

    id: str
    status: str
    source: str
    placed_at: datetime | None
    lines: tuple[OrderLine, ...]
    number: str | None = None
    customer: str | None = None
    destination: Mapping[str, Any] | None = None
    fulfilled_at: datetime | None = None
    delivered_at: datetime | None = None
    cancelled_at: datetime | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    token: str | None = field(default=None, repr=False)
    trace_url: str | None = None
    untraced_lines: int = 0

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Order:
        destination = data.get("destination")
        return cls(
            raw=data,
            id=str(data.get("id") or ""),
            status=_str(data.get("status")),
            source=_str(data.get("source")),
            placed_at=parse_time(data.get("placedAt")),
            lines=_many(OrderLine, data.get("lines")),
            number=_opt_str(data.get("number")),
            customer=_opt_str(data.get("customer")),
            destination=destination if isinstance(destination, dict) else None,
            fulfilled_at=parse_time(data.get("fulfilledAt")),
            delivered_at=parse_time(data.get("deliveredAt")),
            cancelled_at=parse_time(data.get("cancelledAt")),
            created_at=parse_time(data.get("createdAt")),
            updated_at=parse_time(data.get("updatedAt")),
            token=_opt_str(data.get("token")),
            trace_url=_opt_str(data.get("traceUrl")),
            untraced_lines=_int(data.get("untracedLines")),
        )


# --- recalls -------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class RecallOrderLine(Model):
    """An order line a recall reaches: its own units recalled (``binding`` ``units``), or
    bound to a recalled lot (``lot``); ``affected`` is how many units that is."""

    line_no: int
    quantity: int
    status: str
    binding: str
    affected: int
    lots: tuple[str, ...] = ()
    units: tuple[Mapping[str, Any], ...] = ()
    id: str | None = None
    sku: str | None = None
    gtin: str | None = None
    name: str | None = None

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> RecallOrderLine:
        return cls(
            raw=data,
            line_no=_int(data.get("lineNo")),
            quantity=_int(data.get("quantity")),
            status=_str(data.get("status")),
            binding=_str(data.get("binding")),
            affected=_int(data.get("affected")),
            lots=tuple(_list(data.get("lots"))),
            units=tuple(u for u in _list(data.get("units")) if isinstance(u, dict)),
            id=_opt_str(data.get("id")),
            sku=_opt_str(data.get("sku")),
            gtin=_opt_str(data.get("gtin")),
            name=_opt_str(data.get("name")),
        )


@dataclass(frozen=True, kw_only=True)
class RecallOrder(Model):
    """An order to notify of a recall, with the lines it reaches."""

    id: str
    status: str
    source: str
    placed_at: datetime | None
    lines: tuple[RecallOrderLine, ...]
    number: str | None = None
    customer: str | None = None

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> RecallOrder:
        return cls(
            raw=data,
            id=str(data.get("id") or ""),
            status=_str(data.get("status")),
            source=_str(data.get("source")),
            placed_at=parse_time(data.get("placedAt")),
            lines=_many(RecallOrderLine, data.get("lines")),
            number=_opt_str(data.get("number")),
            customer=_opt_str(data.get("customer")),
        )


@dataclass(frozen=True, kw_only=True)
class RecallUnitCounts(Model):
    """The recalled units by where they are: in stock, sold, shipped, delivered, returned."""

    total: int
    in_stock: int
    sold: int
    shipped: int
    delivered: int
    returned: int
    by_status: Mapping[str, int]

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> RecallUnitCounts:
        return cls(
            raw=data,
            total=_int(data.get("total")),
            in_stock=_int(data.get("inStock")),
            sold=_int(data.get("sold")),
            shipped=_int(data.get("shipped")),
            delivered=_int(data.get("delivered")),
            returned=_int(data.get("returned")),
            by_status=_dict(data.get("byStatus")),
        )


@dataclass(frozen=True, kw_only=True)
class RecallImpact(Model):
    """A recall's impact (影响范围): units, order lines, orders and customers reached, and
    (when asked for) a page of the orders to notify."""

    computed_at: datetime | None
    units: RecallUnitCounts
    lines: Mapping[str, int]
    order_count: int
    customer_count: int
    orders: tuple[RecallOrder, ...] = ()
    next_page_token: str | None = None
    recall_id: int | None = None
    status: str | None = None

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> RecallImpact:
        return cls(
            raw=data,
            computed_at=parse_time(data.get("computedAt")),
            units=RecallUnitCounts.from_json(_dict(data.get("units"))),
            lines=_dict(data.get("lines")),
            order_count=_int(data.get("orderCount")),
            customer_count=_int(data.get("customerCount")),
            orders=_many(RecallOrder, data.get("orders")),
            next_page_token=_opt_str(data.get("nextPageToken")),
            recall_id=_opt_int(data.get("recallId")),
            status=_opt_str(data.get("status")),
        )


@dataclass(frozen=True, kw_only=True)
class Recall(Model):
    """A recall (召回) of lots of a GTIN or of single units, and its impact."""

    id: int
    gtin: str
    product_id: int
    scope: str
    lots: tuple[str, ...]
    reason: I18nText | None
    severity: str
    status: str
    impact: RecallImpact
    events: tuple[str, ...] = ()
    created_at: datetime | None = None
    closed_at: datetime | None = None
    close_note: str | None = None

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Recall:
        return cls(
            raw=data,
            id=_int(data.get("id")),
            gtin=_str(data.get("gtin")),
            product_id=_int(data.get("productId")),
            scope=_str(data.get("scope")),
            lots=tuple(_list(data.get("lots"))),
            reason=_i18n(data.get("reason")),
            severity=str(data.get("severity") or ""),
            status=_str(data.get("status")),
            impact=RecallImpact.from_json(_dict(data.get("impact"))),
            events=tuple(_list(data.get("events"))),
            created_at=parse_time(data.get("createdAt")),
            closed_at=parse_time(data.get("closedAt")),
            close_note=_opt_str(data.get("closeNote")),
        )
