"""Scans of unit codes: who checked a code (coarsely), when, and what the resolver found.

A scan keeps the client's *class* (phone, desktop, WeChat, bot ...) and a keyed hash of its
address and user agent, never the address: enough to count distinct clients, not to find
anyone. :func:`record_scans` stores a batch of scans, moves the units' scan counters and
applies :class:`Rule`: a serial with a wrong check tag, or one no unit has, of a merchant's
GTIN is flagged at once; a delivered unit that more distinct clients than ``Rule.clients``
scan within ``Rule.window`` is flagged too (a code copied onto fakes). Each code is flagged
once per reason.

:class:`ScanRecorder` takes scans off the request path: the resolver appends a scan to a
buffer and a thread of the process writes them in batches, then reports new flags.
"""

from __future__ import annotations

import atexit
import functools
import hashlib
import hmac
import logging
import os
import re
import threading
import time
import weakref
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, NamedTuple

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from shoptrace.shop_plugin.services.bulk_writer import copy_rows, multi_insert
from shoptrace.shop_plugin.services.clock import utcnow
from shoptrace.shop_plugin.store.engine import Store
from shoptrace.shop_plugin.store.tables import code_flags, units
from shoptrace.shop_plugin.store.tables import scans as scans_table

__all__ = [
    "CLIENT_CLASSES",
    "Flag",
    "Rule",
    "Scan",
    "ScanRecorder",
    "client_class",
    "client_id",
    "client_key",
    "record_scans",
]

log = logging.getLogger(__name__)

CLIENT_CLASSES = ("bot", "wechat", "alipay", "app", "mobile", "desktop", "other")
"""Coarse kinds of client a scan records instead of anything that identifies it."""

_CLASSES = (
    ("bot", re.compile(r"bot|crawl|spider|slurp|curl|wget|python|java/|go-http|okhttp|wrk", re.I)),
    ("wechat", re.compile(r"MicroMessenger", re.I)),
    ("alipay", re.compile(r"AlipayClient", re.I)),
    ("app", re.compile(r"DingTalk|Weibo|QQ/|Taobao|AliApp", re.I)),
    ("mobile", re.compile(r"Mobi|Android|iPhone|iPad|HarmonyOS", re.I)),
    ("desktop", re.compile(r"Windows|Macintosh|X11|CrOS", re.I)),
)
_CLIENT_DOMAIN = b"shoptrace scan client v1\x00"


@functools.lru_cache(maxsize=1024)
def client_class(user_agent: str | None) -> str:
    """The coarse class of a client from its ``User-Agent`` (see :data:`CLIENT_CLASSES`)."""
    agent = (user_agent or "")[:512]
    for name, pattern in _CLASSES:
        if pattern.search(agent):
            return name
    return "other"


def client_key(signing_key: str) -> bytes:
    """The key client ids are hashed with, derived from the master signing key."""
    return hmac.digest(signing_key.encode("utf-8"), _CLIENT_DOMAIN, "sha256")


def client_id(key: bytes, address: str | None, user_agent: str | None) -> str:
    """A keyed hash (32 hex digits) of a client's address and user agent."""
    message = f"{address or ''}\x00{(user_agent or '')[:512]}".encode("utf-8", "replace")
    return hmac.new(key, message, hashlib.sha256).hexdigest()[:32]


class Scan(NamedTuple):
    """One resolution of a unit code, as the resolver saw it (a tuple: cheap to make on the
    request path)."""

    merchant_id: int
    gtin: str
    lot: str | None
    serial: str
    unit_id: int | None
    verdict: str
    """``genuine``, ``forged`` (wrong check tag) or ``unknown`` (no such unit)."""
    unit_status: str | None
    client_class: str
    client_id: str
    at: datetime


@dataclass(frozen=True)
class Rule:
    """When a code is suspicious: ``clients`` distinct clients (0: never) scanning a unit in
    one of ``statuses`` within ``window``; forged and unknown serials always are."""

    clients: int
    window: timedelta
    statuses: frozenset[str] = field(default_factory=lambda: frozenset({"delivered"}))


@dataclass(frozen=True, slots=True)
class Flag:
    """A code found suspicious, and why (see :data:`~shoptrace.shop_plugin.signals`)."""

    merchant_id: int
    gtin: str
    lot: str | None
    serial: str
    unit_id: int | None
    reason: str
    clients: int


_REASONS = {"forged": "forged-serial", "unknown": "unknown-serial"}

_BUMP = (
    units.update()
    .where(units.c.id == sa.bindparam("u_id"))
    .values(
        scan_count=units.c.scan_count + sa.bindparam("u_n", type_=sa.Integer()),
        first_scan_at=sa.func.coalesce(units.c.first_scan_at, sa.bindparam("u_first")),
        last_scan_at=sa.case(
            (units.c.last_scan_at.is_(None), sa.bindparam("u_last")),
            (units.c.last_scan_at < sa.bindparam("u_last"), sa.bindparam("u_last")),
            else_=units.c.last_scan_at,
        ),
    )
)


def _bump_units(conn: Connection, batch: Sequence[Scan]) -> None:
    by_unit: dict[int, list[datetime]] = {}
    for scan in batch:
        if scan.unit_id is not None:
            by_unit.setdefault(scan.unit_id, []).append(scan.at)
    if by_unit:
        conn.execute(
            _BUMP,
            [
                {"u_id": unit_id, "u_n": len(times), "u_first": min(times), "u_last": max(times)}
                for unit_id, times in sorted(by_unit.items())
            ],
        )


def _crowded(conn: Connection, batch: Sequence[Scan], rule: Rule) -> list[Flag]:
    """Flags for units in ``rule.statuses`` that too many distinct clients scanned."""
    if rule.clients <= 0:
        return []
    touched = {
        s.unit_id: s for s in batch if s.unit_id is not None and s.unit_status in rule.statuses
    }
    if not touched:
        return []
    since = max(s.at for s in batch) - rule.window
    distinct = sa.func.count(sa.distinct(scans_table.c.client_id))
    rows = conn.execute(
        sa.select(scans_table.c.unit_id, distinct)
        .where(
            scans_table.c.unit_id.in_(sorted(touched)),
            scans_table.c.unit_status.in_(sorted(rule.statuses)),
            scans_table.c.scanned_at >= since,
        )
        .group_by(scans_table.c.unit_id)
        .having(distinct >= rule.clients)
    ).all()
    flags = []
    for unit_id, clients in rows:
        scan = touched[unit_id]
        flags.append(
            Flag(
                scan.merchant_id,
                scan.gtin,
                scan.lot,
                scan.serial,
                unit_id,
                "many-clients",
                int(clients),
            )
        )
    return flags


def _new_flags(conn: Connection, candidates: Iterable[Flag]) -> list[Flag]:
    """Store the flags not stored yet (one per code and reason); return those."""
    created: list[Flag] = []
    seen: set[tuple[int, str, str, str]] = set()
    for flag in candidates:
        key = (flag.merchant_id, flag.gtin, flag.serial, flag.reason)
        if key in seen:
            continue
        seen.add(key)
        exists = conn.execute(
            sa.select(code_flags.c.id).where(
                code_flags.c.merchant_id == flag.merchant_id,
                code_flags.c.gtin == flag.gtin,
                code_flags.c.serial == flag.serial,
                code_flags.c.reason == flag.reason,
            )
        ).first()
        if exists is not None:
            continue
        try:
            with conn.begin_nested():
                conn.execute(
                    code_flags.insert().values(
                        merchant_id=flag.merchant_id,
                        unit_id=flag.unit_id,
                        gtin=flag.gtin,
                        lot=flag.lot,
                        serial=flag.serial,
                        reason=flag.reason,
                        clients=flag.clients,
                        created_at=utcnow(),
                    )
                )
        except IntegrityError:
            continue  # another process flagged it first
        created.append(flag)
    return created


_SCAN_COLUMNS = (
    "merchant_id",
    "unit_id",
    "gtin",
    "lot",
    "serial",
    "scanned_at",
    "verdict",
    "unit_status",
    "client_class",
    "client_id",
)


_ROWS_PER_INSERT = 200


def _values(scan: Scan, at: Any) -> tuple[Any, ...]:
    return (
        scan.merchant_id,
        scan.unit_id,
        scan.gtin,
        scan.lot,
        scan.serial,
        at,
        scan.verdict,
        scan.unit_status,
        scan.client_class,
        scan.client_id,
    )


def _insert(conn: Connection, batch: Sequence[Scan]) -> None:
    """Write the scan rows: one ``COPY`` on PostgreSQL, multi-row INSERTs on SQLite (a batch
    holds up to a thousand rows; the per-row work of Core would cost more than the
    database's)."""
    if conn.dialect.name == "postgresql":
        copy_rows(conn, "scans", _SCAN_COLUMNS, [_values(scan, scan.at) for scan in batch])
        return
    # SQLite: multi-row INSERTs, so the driver releases and retakes the GIL once per 200
    # rows, not once per row (an executemany stalls behind busy request threads).
    assert conn.dialect.paramstyle == "qmark", conn.dialect.paramstyle
    stamp = scans_table.c.scanned_at.type.dialect_impl(conn.dialect).bind_processor(conn.dialect)
    for start in range(0, len(batch), _ROWS_PER_INSERT):
        chunk = batch[start : start + _ROWS_PER_INSERT]
        values = [v for s in chunk for v in _values(s, stamp(s.at) if stamp else s.at)]
        conn.exec_driver_sql(multi_insert("scans", _SCAN_COLUMNS, len(chunk)), tuple(values))


def record_scans(conn: Connection, batch: Sequence[Scan], rule: Rule) -> list[Flag]:
    """Store ``batch``, count the scans on their units, and return the codes newly flagged."""
    if not batch:
        return []
    _insert(conn, batch)
    _bump_units(conn, batch)
    candidates = [
        Flag(s.merchant_id, s.gtin, s.lot, s.serial, s.unit_id, _REASONS[s.verdict], 1)
        for s in batch
        if s.verdict in _REASONS
    ]
    candidates.extend(_crowded(conn, batch, rule))
    return _new_flags(conn, candidates)


class ScanRecorder:
    """Writes scans in a background thread, in batches, and reports new flags.

    :meth:`submit` never blocks, never takes a lock, never touches the database and never
    wakes the writer: it appends to a buffer (dropping the scan, and logging it, when
    ``capacity`` scans wait). The writer thread starts with the first scan (again after a
    fork, or after ``idle`` seconds without scans), wakes every ``interval`` seconds and
    stores what has come in, one transaction per ``batch_size`` scans. :meth:`flush` writes
    what is waiting and returns once every scan submitted before it is stored.
    """

    def __init__(
        self,
        store: Store,
        rule: Rule,
        *,
        on_flags: Callable[[list[Flag]], None],
        capacity: int = 10_000,
        batch_size: int = 1000,
        interval: float = 0.1,
        idle: float = 5.0,
    ) -> None:
        self.store = store
        self.rule = rule
        self.on_flags = on_flags
        self.capacity = capacity
        self.batch_size = batch_size
        self.interval = interval
        self.idle = idle
        self.dropped = 0
        self._buffer: deque[Scan] = deque()
        self._write_lock = threading.Lock()
        """Held while a batch is taken from the buffer and stored."""
        self._start_lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._pid = 0
        ref = weakref.ref(self)
        atexit.register(lambda: (recorder := ref()) is not None and recorder.flush())

    def submit(self, scan: Scan) -> bool:
        """Hand a scan to the writer thread; False when it was dropped (buffer full)."""
        if len(self._buffer) >= self.capacity:
            self.dropped += 1
            if self.dropped in (1, 10, 100) or self.dropped % 1000 == 0:
                log.warning("scan buffer full: %d scans dropped so far", self.dropped)
            return False
        self._buffer.append(scan)  # deque.append is atomic: no lock on the request path
        if self._thread is None or self._pid != os.getpid():
            self._start()
        return True

    def _start(self) -> None:
        with self._start_lock:
            if self._thread is not None and self._pid == os.getpid():
                return
            self._pid = os.getpid()
            self._thread = threading.Thread(target=self._run, name="shoptrace-scans", daemon=True)
            self._thread.start()

    def flush(self) -> bool:
        """Store every scan submitted so far; True when none was lost to a database error."""
        ok = True
        with self._write_lock:
            while batch := self._take():
                ok = self._write(batch) and ok
        return ok

    def _take(self) -> list[Scan]:
        items: list[Scan] = []
        while len(items) < self.batch_size:
            try:
                items.append(self._buffer.popleft())
            except IndexError:
                break
        return items

    def _run(self) -> None:
        quiet = 0.0
        while True:
            time.sleep(self.interval)
            with self._write_lock:
                batch = self._take()
                while batch:
                    quiet = 0.0
                    self._write(batch)
                    batch = self._take()
            quiet += self.interval
            if quiet >= self.idle:
                with self._start_lock:
                    self._thread = None
                    if not self._buffer:
                        return
                    self._thread = threading.current_thread()  # a scan came in meanwhile

    def _write(self, batch: list[Scan]) -> bool:
        try:
            with self.store.begin() as conn:
                if conn.dialect.name == "postgresql":
                    # Scans are telemetry: a crash may lose the last instant of them, and
                    # the writer need not wait for the WAL to reach the disk.
                    conn.exec_driver_sql("SET LOCAL synchronous_commit TO OFF")
                flags = record_scans(conn, batch, self.rule)
        except Exception:
            log.exception("could not store %d scans; they are lost", len(batch))
            return False
        if flags:
            try:
                self.on_flags(flags)
            except Exception:
                log.exception("a code_suspicious receiver failed")
        return True
