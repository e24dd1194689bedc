"""What a public code names, found fast: the Flask-free core of the resolver.

:meth:`Resolver.find` answers "what is this code, and what state is it in" with at most one
indexed query, and with none at all for a unit serial whose check tag is wrong: the merchants
that own a GTIN and their check-tag keys stay in a TTL cache (:class:`OwnerCache`), so a
forged serial is refused from memory. The state it reads (unit status and scan counters,
product and batch versions, the merchant's chain head, the open recall, the newest change of
the merchant's named places) is the answer's
validator: the public JSON, pages and linksets are cached per process under it
(:class:`Lru`), and a new event, a scan, an edit or a recall opened or closed changes it, so
nothing stale is ever served and several processes agree.
"""

from __future__ import annotations

import functools
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar
from urllib.parse import quote

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from shoptrace.sdk import serials
from shoptrace.sdk.digital_link import DigitalLink, escape
from shoptrace.shop_plugin.services import public_trace
from shoptrace.shop_plugin.services.completeness import batch_completeness
from shoptrace.shop_plugin.services.event_store import canonical_epc
from shoptrace.shop_plugin.services.locations import places_version, public_places
from shoptrace.shop_plugin.services.products import get_product
from shoptrace.shop_plugin.services.public_trace import PublicRecall, Subject
from shoptrace.shop_plugin.services.signing import tag_key
from shoptrace.shop_plugin.services.trace import Trace, assemble_trace
from shoptrace.shop_plugin.store.engine import Store
from shoptrace.shop_plugin.store.tables import (
    batches,
    epc_list_members,
    epcis_vocabulary,
    event_chains,
    merchants,
    products,
    recalls,
    units,
)

__all__ = ["Content", "Item", "Lru", "Missing", "Owner", "OwnerCache", "Resolver", "public_path"]

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")
_STEM = "https://id.gs1.org"


@dataclass(frozen=True, slots=True)
class Owner:
    """A merchant that registered a GTIN, with the key its serials' check tags use."""

    merchant_id: int
    tag_key: bytes


class OwnerCache:
    """GTIN -> owners, kept ``ttl`` seconds, at most ``size`` GTINs (oldest out first)."""

    def __init__(self, ttl: float, size: int = 10_000, clock: Callable[[], float] = time.monotonic):
        self.ttl = ttl
        self.size = size
        self.clock = clock
        self.loads = 0
        """How many lookups went to the database (the others came from memory)."""
        self._entries: OrderedDict[str, tuple[float, tuple[Owner, ...]]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, gtin: str, load: Callable[[], tuple[Owner, ...]]) -> tuple[Owner, ...]:
        now = self.clock()
        with self._lock:
            entry = self._entries.get(gtin)
            if entry is not None and entry[0] > now:
                return entry[1]
        owners = load()
        with self._lock:
            self.loads += 1
            self._entries[gtin] = (now + self.ttl, owners)
            self._entries.move_to_end(gtin)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)
        return owners

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


class Lru(Generic[K, V]):
    """A bounded, thread-safe least-recently-used map; ``size`` 0 keeps nothing."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._entries: OrderedDict[K, V] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: K) -> V | None:
        with self._lock:
            value = self._entries.get(key)
            if value is not None:
                self._entries.move_to_end(key)
            return value

    def put(self, key: K, value: V) -> V:
        if self.size:
            with self._lock:
                self._entries[key] = value
                self._entries.move_to_end(key)
                while len(self._entries) > self.size:
                    self._entries.popitem(last=False)
        return value

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


@dataclass(frozen=True, slots=True)
class Item:
    """A code the store knows, with the state its public answers depend on."""

    kind: str
    merchant_id: int
    merchant_name: str
    link: DigitalLink
    version: str
    """Everything the answers depend on but scans; it changes when any of it changes."""
    unit_id: int | None = None
    unit_status: str | None = None
    scan_count: int = 0
    first_scan_at: datetime | None = None
    product_id: int | None = None
    batch_id: int | None = None
    lot: str | None = None
    """The lot of a unit as stored (the URI may leave it out)."""
    recall_id: int | None = None
    """The open recall in force: the unit's own, else its lot's (``recalls``)."""

    @property
    def scans(self) -> str:
        return f"{self.scan_count}:{self.first_scan_at}"


@dataclass(frozen=True, slots=True)
class Missing:
    """A code nobody here issued: ``reason`` says why; ``merchant_id`` owns its GTIN, if any."""

    reason: str
    """``unknown-gtin``, ``forged-serial``, ``unknown-serial``, ``unknown-lot``, ``unknown``."""
    link: DigitalLink
    merchant_id: int | None = None


@dataclass(frozen=True)
class Content:
    """The public JSON of an item (without scan counters) and the subject it was made of."""

    subject: Subject
    body: dict[str, Any]


@functools.lru_cache(maxsize=4096)
def public_path(link: DigitalLink, upto: int | None = None) -> str:
    """The path of a link's primary key and its first ``upto`` qualifiers (all by default)."""
    pairs = link.path_ais if upto is None else link.path_ais[: upto + 1]
    return "".join(f"/{ai}/{escape(value)}" for ai, value in pairs)


def canonical(link: DigitalLink) -> str:
    """The item's canonical EPC: its Digital Link on id.gs1.org as the EPC index keeps it."""
    return canonical_epc(_STEM + public_path(link))


_CHAIN = event_chains.c.seq.label("chain")


def _places_key(row: Any) -> str:
    """The version of the merchant's named places (their newest change): a location
    created, changed or deleted changes the answers' validator, as a new event does."""
    return str(row.places_updated)


_UNIT = (
    sa.select(
        units.c.id,
        units.c.merchant_id,
        units.c.status,
        units.c.scan_count,
        units.c.first_scan_at,
        units.c.batch_id,
        units.c.recall_id,
        batches.c.lot,
        batches.c.product_id,
        batches.c.recall_id.label("lot_recall_id"),
        batches.c.updated_at.label("batch_updated"),
        products.c.updated_at.label("product_updated"),
        merchants.c.name,
        _CHAIN,
        places_version(units.c.merchant_id),
    )
    .select_from(
        units.join(batches, batches.c.id == units.c.batch_id)
        .join(products, products.c.id == batches.c.product_id)
        .join(merchants, merchants.c.id == units.c.merchant_id)
        .outerjoin(event_chains, event_chains.c.merchant_id == units.c.merchant_id)
    )
    .where(units.c.gtin == sa.bindparam("gtin"), units.c.serial == sa.bindparam("serial"))
)

_LOT = (
    sa.select(
        batches.c.id,
        batches.c.merchant_id,
        batches.c.product_id,
        batches.c.recall_id,
        batches.c.updated_at.label("batch_updated"),
        products.c.updated_at.label("product_updated"),
        merchants.c.name,
        _CHAIN,
        places_version(batches.c.merchant_id),
    )
    .select_from(
        batches.join(products, products.c.id == batches.c.product_id)
        .join(merchants, merchants.c.id == batches.c.merchant_id)
        .outerjoin(event_chains, event_chains.c.merchant_id == batches.c.merchant_id)
    )
    .where(
        batches.c.gtin == sa.bindparam("gtin"),
        batches.c.lot == sa.bindparam("lot"),
        batches.c.merchant_id.in_(sa.bindparam("owners", expanding=True)),
    )
    .order_by(batches.c.id)
    .limit(1)
)

_PRODUCT = (
    sa.select(
        products.c.id,
        products.c.merchant_id,
        products.c.updated_at.label("product_updated"),
        merchants.c.name,
    )
    .select_from(products.join(merchants, merchants.c.id == products.c.merchant_id))
    .where(
        products.c.gtin == sa.bindparam("gtin"),
        products.c.merchant_id.in_(sa.bindparam("owners", expanding=True)),
    )
    .order_by(products.c.id)
    .limit(1)
)

_OWNERS = (
    sa.select(products.c.merchant_id, merchants.c.tag_key_salt)
    .select_from(products.join(merchants, merchants.c.id == products.c.merchant_id))
    .where(products.c.gtin == sa.bindparam("gtin"), merchants.c.status == "active")
    .order_by(products.c.merchant_id)
)


def _holder(condition: Any) -> Any:
    """The first merchant with events whose data meets ``condition`` (one probe per merchant
    with events: EPCs and places carry no owner, so their merchants are asked in turn)."""
    return (
        sa.select(merchants.c.id, merchants.c.name, _CHAIN, places_version(merchants.c.id))
        .select_from(merchants.join(event_chains, event_chains.c.merchant_id == merchants.c.id))
        .where(sa.exists().where(condition))
        .order_by(merchants.c.id)
        .limit(1)
    )


_CONTAINER = _holder(
    sa.and_(
        epc_list_members.c.merchant_id == merchants.c.id,
        epc_list_members.c.epc == sa.bindparam("epc"),
    )
)
_PLACE = _holder(
    sa.and_(
        epcis_vocabulary.c.merchant_id == merchants.c.id,
        epcis_vocabulary.c.kind.in_(("bizLocation", "readPoint")),
        epcis_vocabulary.c.value == sa.bindparam("epc"),
    )
)


class _Row:
    """A result row with attribute access by column name (what ``_Prepared`` returns)."""

    __slots__ = ("__dict__",)

    def __init__(self, values: dict[str, Any]) -> None:
        self.__dict__.update(values)


class _Prepared:
    """A Core SELECT compiled once for the engine's dialect and run straight on a pooled DBAPI
    connection: the per-scan lookup without the per-execution work of a SQLAlchemy
    ``Connection`` (a fifth of the resolver's time). Results go through the column types'
    own result processors, so values come back as ``Connection.execute`` gives them."""

    def __init__(self, store: Store, statement: sa.Select[Any]) -> None:
        dialect = store.engine.dialect
        compiled = statement.compile(dialect=dialect)
        self.store = store
        self.sql = compiled.string
        self.order = list(compiled.positiontup or ()) if dialect.positional else None
        self.names = [str(column.key) for column in statement.selected_columns]
        self.processors = [
            column.type.dialect_impl(dialect).result_processor(dialect, None)
            for column in statement.selected_columns
        ]

    def first(self, params: dict[str, Any]) -> Any:
        """The first row (attributes by column name) or None."""
        args: Any = [params[name] for name in self.order] if self.order is not None else params
        connection = self.store.engine.raw_connection()
        try:
            cursor = connection.cursor()
            try:
                cursor.execute(self.sql, args)
                row = cursor.fetchone()
            finally:
                cursor.close()
        finally:
            connection.close()  # back to the pool, which ends the transaction
        if row is None:
            return None
        return _Row(
            {
                name: process(value) if process is not None else value
                for name, process, value in zip(self.names, self.processors, row, strict=True)
            }
        )


class Resolver:
    """Finds public codes and builds their public content, with the caches described above."""

    def __init__(
        self,
        store: Store,
        signing_key: str,
        *,
        owner_ttl: float,
        cache_size: int,
        state_ttl: float = 0.0,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.store = store
        self.signing_key = signing_key
        self.state_ttl = state_ttl
        self.clock = clock
        self.owner_cache = OwnerCache(owner_ttl, clock=clock)
        self.states: Lru[str, tuple[float, Item | Missing]] = Lru(cache_size)
        """What :meth:`find` read, by code, kept ``state_ttl`` seconds."""
        self.contents: Lru[tuple[str, str, str], Content] = Lru(cache_size)
        self.answers: Lru[str, Any] = Lru(cache_size)
        """Finished answers (bytes and headers) by ETag, for the views."""
        self._unit = _Prepared(store, _UNIT)

    # --- owners and check tags ---------------------------------------------------------------

    def owners(self, gtin: str) -> tuple[Owner, ...]:
        """The active merchants that registered ``gtin`` (from memory after the first ask)."""
        return self.owner_cache.get(gtin, lambda: self._load_owners(gtin))

    def _load_owners(self, gtin: str) -> tuple[Owner, ...]:
        with self.store.read() as conn:
            rows = conn.execute(_OWNERS, {"gtin": gtin}).all()
        return tuple(Owner(r.merchant_id, tag_key(self.signing_key, r.tag_key_salt)) for r in rows)

    # --- finding -----------------------------------------------------------------------------

    def find(self, link: DigitalLink) -> Item | Missing:
        """What ``link`` names and its state (as read at most ``state_ttl`` seconds ago), or
        why it names nothing known here."""
        if self.state_ttl <= 0:
            return self._find(link)
        code = public_path(link)
        now = self.clock()
        kept = self.states.get(code)
        if kept is not None and kept[0] > now:
            return kept[1]
        found = self._find(link)
        self.states.put(code, (now + self.state_ttl, found))
        return found

    def _find(self, link: DigitalLink) -> Item | Missing:
        key = link.primary_key[0]
        if key == "01":
            return self._find_gtin(link)
        with self.store.read() as conn:
            row = conn.execute(_PLACE if key == "414" else _CONTAINER, {"epc": canonical(link)})
            found = row.first()
        if found is None:
            return Missing("unknown", link)
        kind = "location" if key == "414" else "container"
        version = f"{kind}:{found.id}:{found.name}:{found.chain}:{_places_key(found)}"
        return Item(kind, found.id, found.name, link, version)

    def _find_gtin(self, link: DigitalLink) -> Item | Missing:
        gtin = link.primary_key[1]
        owners = self.owners(gtin)
        if not owners:
            return Missing("unknown-gtin", link)
        lot, serial = link.lot, link.serial
        if serial is not None:
            if lot is not None:
                owners = tuple(
                    o for o in owners if serials.verify(serial, gtin=gtin, lot=lot, key=o.tag_key)
                )
                if not owners:
                    return Missing("forged-serial", link, self.owners(gtin)[0].merchant_id)
            return self._find_unit(link, gtin, serial, owners)
        ids = [o.merchant_id for o in owners]
        with self.store.read() as conn:
            if lot is not None:
                row = conn.execute(_LOT, {"gtin": gtin, "lot": lot, "owners": ids}).first()
                if row is None:
                    return Missing("unknown-lot", link, ids[0])
                version = (
                    f"lot:{row.id}:{row.batch_updated}:{row.product_updated}:{row.name}:"
                    f"{row.chain}:{row.recall_id}:{_places_key(row)}"
                )
                return Item(
                    "lot",
                    row.merchant_id,
                    row.name,
                    link,
                    version,
                    product_id=row.product_id,
                    batch_id=row.id,
                    lot=lot,
                    recall_id=row.recall_id,
                )
            product = conn.execute(_PRODUCT, {"gtin": gtin, "owners": ids}).first()
        if product is None:
            return Missing("unknown", link, ids[0])
        version = f"product:{product.id}:{product.product_updated}:{product.name}"
        return Item(
            "product", product.merchant_id, product.name, link, version, product_id=product.id
        )

    def _find_unit(
        self, link: DigitalLink, gtin: str, serial: str, owners: tuple[Owner, ...]
    ) -> Item | Missing:
        row = self._unit.first({"gtin": gtin, "serial": serial})
        mine = {o.merchant_id for o in owners}
        if row is None or row.merchant_id not in mine or link.lot not in (None, row.lot):
            return Missing("unknown-serial", link, min(mine))
        recall_id = row.recall_id or row.lot_recall_id
        version = (
            f"unit:{row.id}:{row.status}:{row.batch_updated}:{row.product_updated}:"
            f"{row.name}:{row.chain}:{recall_id}:{_places_key(row)}"
        )
        return Item(
            "unit",
            row.merchant_id,
            row.name,
            link,
            version,
            unit_id=row.id,
            unit_status=row.status,
            scan_count=row.scan_count,
            first_scan_at=row.first_scan_at,
            product_id=row.product_id,
            batch_id=row.batch_id,
            lot=row.lot,
            recall_id=recall_id,
        )

    # --- content -----------------------------------------------------------------------------

    def content(self, item: Item, *, base: str, lang: str) -> Content:
        """The public JSON of ``item`` in ``lang`` (cached under its version)."""
        key = (item.version + public_path(item.link), base, lang)
        cached = self.contents.get(key)
        if cached is not None:
            return cached
        with self.store.read() as conn:
            subject, trace = self._subject(conn, item, base)
        body = public_trace.public_trace(subject, trace, lang=lang)
        return self.contents.put(key, Content(subject, body))

    def _subject(self, conn: Connection, item: Item, base: str) -> tuple[Subject, Trace | None]:
        link = item.link
        code = base + public_path(link)
        if item.kind == "location":
            return Subject("location", code, merchant_name=item.merchant_name), None
        if item.kind == "container":
            trace = assemble_trace(conn, item.merchant_id, canonical(link))
            places = _trace_places(conn, item.merchant_id, trace)
            subject = Subject("container", code, merchant_name=item.merchant_name, places=places)
            return subject, trace
        gtin = link.primary_key[1]
        if item.kind == "product":
            assert item.product_id is not None
            product = get_product(conn, item.merchant_id, item.product_id)
            return Subject("product", code, gtin=gtin, product=product), None
        lot = item.lot
        uri = _STEM + f"/01/{gtin}/10/{escape(lot or '')}"
        if link.serial is not None:
            uri += f"/21/{escape(link.serial)}"
        trace = assemble_trace(conn, item.merchant_id, uri)
        completeness = None
        if item.batch_id is not None:
            completeness = batch_completeness(conn, item.merchant_id, item.batch_id)["score"]
        recall, recall_events = None, frozenset[str]()
        if item.recall_id is not None or any(
            e["disposition"] == "recalled" for e in trace["events"]
        ):
            recall, recall_events = _recalls(conn, item.merchant_id, gtin, item.recall_id)
        subject = Subject(
            item.kind,
            code,
            gtin=gtin,
            lot=lot,
            serial=link.serial,
            product=trace["product"],
            batch=trace["batch"],
            merchant_name=item.merchant_name,
            completeness=completeness,
            recall=recall,
            recall_events=recall_events,
            places=_trace_places(conn, item.merchant_id, trace),
        )
        return subject, trace


def _trace_places(conn: Connection, merchant_id: int, trace: Trace) -> dict[str, Any]:
    """Public names of every place the trace's events (and its inputs' events) name, read
    in one query."""
    events = [*trace["events"], *(e for m in trace["inputs"] for e in m.get("events", []))]
    ids = {p for e in events for p in (e["bizLocation"], e["readPoint"]) if p}
    return public_places(conn, merchant_id, ids)


def _recalls(
    conn: Connection, merchant_id: int, gtin: str, open_id: int | None
) -> tuple[PublicRecall | None, frozenset[str]]:
    """The open recall ``open_id`` as shoppers see it, and the eventIDs of every recall event
    the merchant's recalls of ``gtin`` captured (their banner comes from ``recalls``, so a
    closed recall's event shows none)."""
    rows = conn.execute(
        sa.select(
            recalls.c.id,
            recalls.c.status,
            recalls.c.reason,
            recalls.c.severity,
            recalls.c.created_at,
            recalls.c.impact["events"].label("events"),
        ).where(recalls.c.merchant_id == merchant_id, recalls.c.gtin == gtin)
    ).all()
    found = None
    events: set[str] = set()
    for row in rows:
        events.update(e for e in row.events or () if isinstance(e, str))
        if row.id == open_id and row.status == "open":
            found = PublicRecall(row.reason or {}, row.severity, row.created_at)
    return found, frozenset(events)


def epcis_href(base: str, item: Item) -> str:
    """Where the item's events are in the EPCIS binding (an API key is needed to read them)."""
    value = quote(canonical(item.link), safe="")
    if item.kind == "location":
        return f"{base}/epcis/bizLocations/{value}/events"
    return f"{base}/epcis/epcs/{value}/events"
