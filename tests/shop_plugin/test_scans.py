"""Scans: every resolution of a unit is recorded off the request path, coarsely and without
the client's address; the rule flags forged, unknown and over-scanned codes once and sends
``code_suspicious``."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from shoptrace.shop_plugin.services.scans import (
    Rule,
    Scan,
    ScanRecorder,
    client_class,
    client_id,
    client_key,
    record_scans,
)
from shoptrace.shop_plugin.signals import code_suspicious
from shoptrace.shop_plugin.store.tables import code_flags, scans, units
from tests.shop_plugin.helpers import make_app
from tests.shop_plugin.resolver_helpers import Shop, flush_scans, forged, make_shop

JSON = {"Accept": "application/json"}
IPHONE = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 Mobile"
ADDRESS = "203.0.113.7"


@pytest.fixture
def app_config() -> dict[str, Any]:
    return {
        "SHOPTRACE_PUBLIC_RATE_LIMIT": "",
        "SHOPTRACE_RESOLVER_STATE_TTL": 0,
        "SHOPTRACE_SUSPICIOUS_CLIENTS": 3,
    }


@pytest.fixture(autouse=True)
def _scans_stored(app: Flask) -> Iterator[None]:
    yield
    flush_scans(app)


@pytest.fixture
def shop(app: Flask) -> Shop:
    return make_shop(app)


def _rows(app: Flask, table: sa.Table) -> list[Any]:
    with app.extensions["shoptrace"].store.read() as conn:
        return list(conn.execute(sa.select(table).order_by(table.c.id)).all())


def _unit(app: Flask, serial: str) -> Any:
    with app.extensions["shoptrace"].store.read() as conn:
        return conn.execute(sa.select(units).where(units.c.serial == serial)).one()


@contextmanager
def statements(app: Flask) -> Iterator[list[tuple[bool, str]]]:
    """``(in this thread?, SQL)`` of every statement run through SQLAlchemy meanwhile."""
    engine = app.extensions["shoptrace"].store.engine
    me = threading.get_ident()
    seen: list[tuple[bool, str]] = []

    def before(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen.append((threading.get_ident() == me, statement))

    sa.event.listen(engine, "before_cursor_execute", before)
    try:
        yield seen
    finally:
        sa.event.remove(engine, "before_cursor_execute", before)


@contextmanager
def suspicious(app: Flask) -> Iterator[list[dict[str, Any]]]:
    sent: list[dict[str, Any]] = []

    def receiver(sender: Flask, **extra: Any) -> None:
        assert sender is app
        sent.append(extra)

    with code_suspicious.connected_to(receiver, app):
        yield sent


def test_a_scan_is_recorded_off_the_request_path(
    app: Flask, client: FlaskClient, shop: Shop
) -> None:
    with statements(app) as seen:
        response = client.get(
            shop.unit(),
            headers={**JSON, "User-Agent": IPHONE},
            environ_base={"REMOTE_ADDR": ADDRESS},
        )
    assert response.status_code == 200
    writes = ("INSERT", "UPDATE", "DELETE")
    assert not [sql for mine, sql in seen if mine and sql.lstrip().upper().startswith(writes)]
    flush_scans(app)
    [row] = _rows(app, scans)
    unit = _unit(app, shop.serials[0])
    assert (row.merchant_id, row.unit_id, row.gtin, row.lot, row.serial) == (
        shop.merchant_id,
        unit.id,
        shop.gtin,
        "LOT42",
        shop.serials[0],
    )
    assert (row.verdict, row.unit_status, row.client_class) == ("genuine", "sold", "mobile")
    assert re.fullmatch(r"[0-9a-f]{32}", row.client_id)
    assert ADDRESS not in str(tuple(row)) and "203" not in row.client_id[:3]
    assert row.scanned_at.tzinfo is not None
    assert unit.scan_count == 1 and unit.first_scan_at == unit.last_scan_at == row.scanned_at


def test_the_verification_block_counts_earlier_scans(
    app: Flask, client: FlaskClient, shop: Shop
) -> None:
    for _ in range(3):
        client.get(shop.unit(), headers=JSON)
    flush_scans(app)
    body = client.get(shop.unit(), headers=JSON).get_json()
    unit = _unit(app, shop.serials[0])
    assert body["verification"]["checkCount"] == 3 == unit.scan_count
    first = unit.first_scan_at.astimezone(UTC).isoformat(timespec="seconds")
    assert body["verification"]["firstCheckedAt"] == first.replace("+00:00", "Z")
    assert unit.last_scan_at >= unit.first_scan_at


def test_only_resolutions_of_units_are_scans(app: Flask, client: FlaskClient, shop: Shop) -> None:
    embed = "/trace/embed" + shop.unit()[len("/trace") :]
    for method, path, headers in (
        ("HEAD", shop.unit(), JSON),
        ("OPTIONS", shop.unit(), {}),
        ("GET", shop.unit() + "?linkType=linkset", {}),
        ("GET", shop.unit() + "?linkType=gs1:pip", {}),
        ("GET", shop.lot_path, JSON),
        ("GET", shop.product_path, {}),
        ("GET", "/trace/01/09506000134369/10/L/21/7KQ2M9XH4C8RTW3HZP", JSON),  # nobody's GTIN
        ("GET", shop.unit(), JSON),
        ("GET", shop.unit(1), {"Accept": "text/html"}),
        ("GET", embed, {}),
    ):
        assert client.open(path, method=method, headers=headers).status_code < 500
    flush_scans(app)
    assert [(r.serial, r.verdict) for r in _rows(app, scans)] == [
        (shop.serials[0], "genuine"),
        (shop.serials[1], "genuine"),
        (shop.serials[0], "genuine"),
    ]


def test_a_forged_serial_is_flagged_once(app: Flask, client: FlaskClient, shop: Shop) -> None:
    fake = forged(shop.serials[0])
    path = shop.unit()[: -len(fake)] + fake
    with suspicious(app) as sent:
        for _ in range(2):
            assert client.get(path, headers=JSON).status_code == 404
            flush_scans(app)
    assert [(r.serial, r.verdict, r.unit_id) for r in _rows(app, scans)] == [
        (fake, "forged", None),
        (fake, "forged", None),
    ]
    [flag] = _rows(app, code_flags)
    assert (flag.serial, flag.reason, flag.unit_id) == (fake, "forged-serial", None)
    assert sent == [
        {
            "merchant_id": shop.merchant_id,
            "gtin": shop.gtin,
            "lot": "LOT42",
            "serial": fake,
            "unit_id": None,
            "reason": "forged-serial",
            "clients": 1,
        }
    ]


def test_an_unknown_serial_of_a_real_gtin_is_flagged(
    app: Flask, client: FlaskClient, shop: Shop
) -> None:
    with suspicious(app) as sent:
        response = client.get(f"/trace/01/{shop.gtin}/21/7KQ2M9XH4C8RTW3HZP", headers=JSON)
        assert response.status_code == 404
        flush_scans(app)
    assert [s["reason"] for s in sent] == ["unknown-serial"]
    assert [r.verdict for r in _rows(app, scans)] == ["unknown"]


def _set_status(app: Flask, serial: str, status: str) -> None:
    with app.extensions["shoptrace"].store.begin() as conn:
        conn.execute(units.update().where(units.c.serial == serial).values(status=status))


def test_many_distinct_clients_after_delivery_flag_the_unit(
    app: Flask, client: FlaskClient, shop: Shop
) -> None:
    def scan(serial: str, address: str, agent: str = IPHONE) -> None:
        path = shop.unit(shop.serials.index(serial))
        headers = {**JSON, "User-Agent": agent}
        assert (
            client.get(path, headers=headers, environ_base={"REMOTE_ADDR": address}).status_code
            == 200
        )
        flush_scans(app)

    before, after = shop.serials[0], shop.serials[1]
    _set_status(app, after, "delivered")
    with suspicious(app) as sent:
        for n in range(4):
            scan(before, f"198.51.100.{n}")  # not delivered yet: shop staff, couriers ...
        scan(after, "198.51.100.1")
        scan(after, "198.51.100.1")  # the same client again
        scan(after, "198.51.100.2")
        assert sent == []
        scan(after, "198.51.100.2", agent="Mozilla/5.0 (Windows NT 10.0)")  # a third client
        scan(after, "198.51.100.9")
    unit = _unit(app, after)
    assert sent == [
        {
            "merchant_id": shop.merchant_id,
            "gtin": shop.gtin,
            "lot": "LOT42",
            "serial": after,
            "unit_id": unit.id,
            "reason": "many-clients",
            "clients": 3,
        }
    ]
    assert [(f.serial, f.reason, f.clients) for f in _rows(app, code_flags)] == [
        (after, "many-clients", 3)
    ]


def test_recording_can_be_off(db_url: str, tmp_path: Path) -> None:
    app = make_app(db_url, tmp_path / "instance", SHOPTRACE_SCAN_RECORDING="off")
    try:
        assert app.extensions["shoptrace"].public.recorder is None
        shop = make_shop(app)
        assert app.test_client().get(shop.unit(), headers=JSON).status_code == 200
        assert _rows(app, scans) == []
    finally:
        app.extensions["shoptrace"].store.dispose()


# --- the service itself ----------------------------------------------------------------------


def _scan(shop: Shop, unit_id: int | None, client: str, at: datetime, status: str) -> Scan:
    return Scan(
        shop.merchant_id,
        shop.gtin,
        "LOT42",
        shop.serials[0],
        unit_id,
        "genuine",
        status,
        "mobile",
        client,
        at,
    )


def test_the_rule_counts_clients_within_its_window(app: Flask, shop: Shop) -> None:
    unit_id = _unit(app, shop.serials[0]).id
    now = datetime.now(UTC)
    rule = Rule(2, timedelta(days=1))
    store = app.extensions["shoptrace"].store
    with store.begin() as conn:
        old = _scan(shop, unit_id, "a" * 32, now - timedelta(days=3), "delivered")
        assert record_scans(conn, [old], rule) == []
        late = _scan(shop, unit_id, "b" * 32, now, "delivered")
        assert record_scans(conn, [late], rule) == []  # "a" is out of the window
        again = _scan(shop, unit_id, "c" * 32, now, "delivered")
        [flag] = record_scans(conn, [again], rule)
        assert (flag.reason, flag.clients) == ("many-clients", 2)
        assert record_scans(conn, [again], rule) == []  # flagged once
        assert (
            conn.execute(sa.select(units.c.scan_count).where(units.c.id == unit_id)).scalar() == 4
        )
    with store.begin() as conn:
        assert record_scans(conn, [], Rule(0, timedelta(days=1))) == []


def test_the_recorder_drops_scans_when_its_buffer_is_full(app: Flask, shop: Shop) -> None:
    store = app.extensions["shoptrace"].store
    flagged: list[Any] = []
    recorder = ScanRecorder(
        store, Rule(0, timedelta(days=1)), on_flags=flagged.extend, capacity=2, interval=30
    )
    now = datetime.now(UTC)
    results = [recorder.submit(_scan(shop, None, f"{n:032d}", now, "issued")) for n in range(3)]
    assert results == [True, True, False] and recorder.dropped == 1
    assert recorder.flush()
    assert len(_rows(app, scans)) == 2 and flagged == []


def test_a_failing_receiver_does_not_lose_scans(
    app: Flask, client: FlaskClient, shop: Shop, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(_sender: Flask, **_extra: Any) -> None:
        raise RuntimeError("receiver down")

    fake = forged(shop.serials[0])
    with code_suspicious.connected_to(broken, app):
        client.get(shop.unit()[: -len(fake)] + fake, headers=JSON)
        flush_scans(app)
    assert len(_rows(app, scans)) == 1 and len(_rows(app, code_flags)) == 1
    assert "code_suspicious receiver failed" in caplog.text


@pytest.mark.parametrize(
    ("agent", "kind"),
    [
        (IPHONE, "mobile"),
        ("Mozilla/5.0 (Linux; Android 14) ... MicroMessenger/8.0.47", "wechat"),
        ("Mozilla/5.0 (iPhone) AlipayClient/10.5", "alipay"),
        ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/126", "desktop"),
        ("Googlebot/2.1 (+http://www.google.com/bot.html)", "bot"),
        ("curl/8.5.0", "bot"),
        ("", "other"),
        (None, "other"),
    ],
)
def test_clients_are_classed_coarsely(agent: str | None, kind: str) -> None:
    assert client_class(agent) == kind


def test_client_ids_are_keyed_hashes() -> None:
    key = client_key("a" * 40)
    one = client_id(key, ADDRESS, IPHONE)
    assert one == client_id(key, ADDRESS, IPHONE) and re.fullmatch(r"[0-9a-f]{32}", one)
    assert one != client_id(key, "203.0.113.8", IPHONE)
    assert one != client_id(key, ADDRESS, "curl/8")
    assert one != client_id(client_key("b" * 40), ADDRESS, IPHONE)
