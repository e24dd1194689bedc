"""Digits of other scripts and other Unicode traps are refused by name, never a 500.

Python's ``\\d``, ``str.isdigit()`` and ``int()`` take Arabic-Indic (٠١٢), Devanagari
(०१२) and fullwidth (０１２) digits; ``isdigit()`` also takes superscripts (²) that ``int()``
then refuses, and ``int()`` refuses more than 4300 digits. Sent to the public resolver, the
merchant API (bodies and query parameters), the EPCIS interface, the admin forms, the
settings and the commands, such values get a 4xx problem naming the field and the rule
(an error line for the commands) and are never taken for GS1 digits.
"""

from __future__ import annotations

import json
import random
import socket
import threading
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import quote

import pytest
import requests
import responses
import sqlalchemy as sa
from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskClient

from shoptrace.sdk.cli import main
from shoptrace.sdk.epcis import events as ev
from shoptrace.shop_plugin.config import ConfigError, Settings
from shoptrace.shop_plugin.services.outbox import deliver_due, enqueue_event
from shoptrace.shop_plugin.services.retry import post
from shoptrace.shop_plugin.store.tables import batches, locations, outbox
from tests.shop_plugin.epcis_helpers import (
    APPLES,
    EPCIS,
    FACTORY,
    STORE,
    at,
    capture,
    document,
    event_list,
    get,
    supply_chain,
    unit_uri,
)
from tests.shop_plugin.helpers import API, GTIN, SIGNING_KEY, Api, count_rows
from tests.shop_plugin.resolver_helpers import Shop, flush_scans, make_shop
from tests.shop_plugin.test_admin import Admin, auth

_SCRIPTS = {
    "arabic-indic": "٠١٢٣٤٥٦٧٨٩",
    "eastern-arabic": "۰۱۲۳۴۵۶۷۸۹",
    "devanagari": "०१२३४५६७८९",
    "fullwidth": "０１２３４５６７８９",
    "superscript": "⁰¹²³⁴⁵⁶⁷⁸⁹",
}
SCRIPTS = sorted(_SCRIPTS)
GLN = "9506000000022"
DIGIT_TRAPS = [*(f"last-{s}" for s in SCRIPTS), *(f"all-{s}" for s in SCRIPTS)]
OTHER_TRAPS = ["combining", "sharp-s", "lone-surrogate"]
SPACE_TRAPS = ["line-separator", "ideographic-space"]
"""White space that ``str.strip()`` removes: fields that trim a value trim these too."""
TRAPS = DIGIT_TRAPS + OTHER_TRAPS + SPACE_TRAPS


def _in(script: str, text: str) -> str:
    return text.translate(str.maketrans("0123456789", _SCRIPTS[script]))


def trap(kind: str, value: str) -> str:
    """``value`` with the trap ``kind``: its last or all digits in another script, a
    combining mark, a ß, a lone surrogate or white space that is not ASCII."""
    head, _, script = kind.partition("-")
    if head == "last":
        last = max((i for i, ch in enumerate(value) if ch in "0123456789"), default=None)
        if last is None:
            return value
        return value[:last] + _in(script, value[last]) + value[last + 1 :]
    if head == "all":
        return _in(script, value)
    return {
        "combining": value[:1] + "\u0301" + value[1:],
        "sharp-s": value[:-1] + "ß",
        "lone-surrogate": value + "\ud800",
        "line-separator": value + "\u2028",
        "ideographic-space": value + "\u3000",
    }[kind]


def segment(value: str) -> str:
    """``value`` as one percent-encoded path segment or query value (UTF-8, as browsers)."""
    return quote(value.encode("utf-8", "surrogatepass"), safe="")


def _send(api: Api, method: str, path: str, body: Any) -> Any:
    """``body`` as JSON written with \\u escapes, so a lone surrogate travels as JSON allows."""
    return api.client.open(
        API + path,
        method=method,
        data=json.dumps(body, ensure_ascii=True),
        headers=api.headers(),
        content_type="application/json",
    )


def _names(response: Any, field: str, *, status: tuple[int, ...] = (400, 422)) -> None:
    """``response`` is a problem of one of ``status`` whose errors name ``field``."""
    text = response.get_data(as_text=True)
    assert response.status_code in status, (field, response.status_code, text[:500])
    assert response.mimetype == "application/problem+json", text[:500]
    problem = response.get_json()
    assert problem["status"] == response.status_code
    assert field in [e["field"] for e in problem["errors"]], (field, problem)


@pytest.fixture
def app_config() -> dict[str, Any]:
    return {
        "SHOPTRACE_PUBLIC_RATE_LIMIT": "",
        "SHOPTRACE_ADMIN_AUTH": auth,
        "SHOPTRACE_ADMIN_LOGIN_URL": "/login",
    }


# --- the public resolver ----------------------------------------------------------------


@pytest.fixture
def shop(app: Flask) -> Iterator[Shop]:
    yield make_shop(app, events=False)
    flush_scans(app)


def test_the_resolver_refuses_codes_with_foreign_characters_naming_the_ai(
    client: FlaskClient, shop: Shop
) -> None:
    serial = shop.serials[0]
    for accept in ("application/json", "text/html"):
        assert client.get(shop.unit(), headers={"Accept": accept}).status_code == 200
    codes: list[tuple[Callable[[str], str], str]] = [
        (lambda k: f"/trace/01/{segment(trap(k, GTIN))}/21/{serial}", "01"),
        (lambda k: f"/trace/01/{segment(trap(k, GTIN))}/10/LOT42", "01"),
        (lambda k: f"/trace/01/{segment(trap(k, GTIN[1:]))}", "01"),
        (lambda k: f"/trace/embed/01/{segment(trap(k, GTIN))}/21/{serial}", "01"),
        (lambda k: f"/trace/01/{GTIN}/10/{segment(trap(k, 'LOT42'))}", "10"),
        (lambda k: f"/trace/01/{GTIN}/10/{segment(trap(k, 'LOT42'))}/21/{serial}", "10"),
        (lambda k: f"/trace/01/{GTIN}/21/{segment(trap(k, serial + '7'))}", "21"),
        (lambda k: f"/trace/01/{GTIN}/10/LOT42?17={segment(trap(k, '271231'))}", "17"),
        (lambda k: f"/trace/01/{GTIN}/21/{serial}?17={segment(trap(k, '271231'))}", "17"),
        (lambda k: f"/trace/414/{segment(trap(k, GLN))}", "414"),
        (lambda k: f"/trace/00/{segment(trap(k, '095060001343520000'))}", "00"),
    ]
    for kind in TRAPS:
        for code, ai in codes:
            path = code(kind)
            for accept in ("application/json", "text/html"):
                response = client.get(path, headers={"Accept": accept})
                assert response.status_code == 400, (path, accept, response.status_code)
                assert response.mimetype == "application/problem+json", (path, accept)
                assert f"AI ({ai})" in response.get_json()["detail"], (path, response.get_json())


def test_a_listing_of_a_gtin_in_foreign_digits_is_refused(client: FlaskClient) -> None:
    for kind in DIGIT_TRAPS + OTHER_TRAPS:
        for gtin in (GTIN, GTIN[1:]):
            response = client.get(f"/trace/listings/{segment(trap(kind, gtin))}")
            assert response.status_code == 400, (kind, response.status_code)
            assert response.mimetype == "application/problem+json"
            assert "GTIN" in response.get_json()["detail"]


# --- the merchant API: bodies -----------------------------------------------------------

CERTIFICATE = {
    "scheme": "organic",
    "issuer": "CQC",
    "number": "CN-ORG-1",
    "verification": "third-party-verified",
}


def _body_cases(product_id: int, batch_id: int) -> list[tuple[str, str, Any, str, bool]]:
    """``(method, path, body of a value, field, trims)``: ``trims`` when the field drops
    white space around the value (the result is then right: the ASCII value)."""
    product = {"name": {"en": "Tea"}, "category": "food"}
    recall = {"gtin": GTIN, "reason": "Glass found", "severity": "2"}
    order_line = {"gtin": GTIN, "quantity": 1}
    place = {"name": {"en": "Store"}}
    return [
        ("POST", "/products", lambda v: {**product, "gtin": v}, "gtin", False),
        (
            "POST",
            "/products",
            lambda v: {
                **product,
                "gtin": GTIN,
                "certifications": [{**CERTIFICATE, "validUntil": v}],
            },
            "certifications[0].validUntil",
            False,
        ),
        ("POST", "/batches", lambda v: {"productId": product_id, "lot": v}, "lot", False),
        (
            "POST",
            "/batches",
            lambda v: {"productId": product_id, "lot": "L1", "productionDate": v},
            "productionDate",
            False,
        ),
        (
            "POST",
            "/batches",
            lambda v: {"productId": product_id, "lot": "L1", "expiryDate": v},
            "expiryDate",
            False,
        ),
        (
            "POST",
            "/batches",
            lambda v: {
                "productId": product_id,
                "lot": "L1",
                "origin": {"place": {"en": "Farm"}, "countryCode": v},
            },
            "origin.countryCode",
            False,
        ),
        (
            "POST",
            "/batches",
            lambda v: {
                "productId": product_id,
                "lot": "L1",
                "producer": {"name": {"en": "Farm"}, "gln": v},
            },
            "producer.gln",
            False,
        ),
        (
            "POST",
            "/batches",
            lambda v: {
                "productId": product_id,
                "lot": "L1",
                "inspectionReports": [
                    {"issuer": "Lab", "number": "R1", "date": v, "result": "pass"}
                ],
            },
            "inspectionReports[0].date",
            False,
        ),
        ("PATCH", f"/batches/{batch_id}", lambda v: {"lot": v}, "lot", False),
        ("PATCH", f"/batches/{batch_id}", lambda v: {"expiryDate": v}, "expiryDate", False),
        (
            "POST",
            "/orders",
            lambda v: {"id": "SO-1", "lines": [{**order_line, "gtin": v}]},
            "lines[0].gtin",
            True,
        ),
        (
            "POST",
            "/orders",
            lambda v: {"id": "SO-1", "placed_at": v, "lines": [order_line]},
            "placed_at",
            True,
        ),
        (
            "POST",
            "/orders",
            lambda v: {"id": "SO-1", "destination": {"country": v}, "lines": [order_line]},
            "destination.country",
            False,
        ),
        ("POST", "/recalls", lambda v: {**recall, "gtin": v, "lots": ["LOT42"]}, "gtin", False),
        ("POST", "/recalls", lambda v: {**recall, "lots": [v]}, "lots[0]", False),
        (
            "POST",
            "/recalls",
            lambda v: {**recall, "lots": ["LOT42"], "severity": v},
            "severity",
            False,
        ),
        (
            "POST",
            "/recalls",
            lambda v: {**recall, "lots": ["LOT42"], "location": v},
            "location",
            False,
        ),
        ("POST", "/locations", lambda v: {**place, "id": v}, "id", True),
        (
            "POST",
            "/locations",
            lambda v: {**place, "id": GLN, "address": {"countryCode": v}},
            "address.countryCode",
            False,
        ),
    ]


_VALUES = {
    "gtin": GTIN,
    "lines[0].gtin": GTIN,
    "certifications[0].validUntil": "2030-01-01",
    "lot": "LOT43",
    "lots[0]": "LOT42",
    "productionDate": "2025-02-20",
    "expiryDate": "2030-07-19",
    "inspectionReports[0].date": "2025-02-21",
    "origin.countryCode": "CN",
    "destination.country": "CN",
    "address.countryCode": "CN",
    "producer.gln": GLN,
    "location": GLN,
    "severity": "2",
    "id": GLN,
    "placed_at": "2026-04-02T10:30:00+08:00",
}


def test_create_and_update_bodies_refuse_foreign_characters_naming_the_field(
    app: Flask, api: Api
) -> None:
    product = api.product()
    batch = api.batch(product["id"])
    for method, path, body, field, trims in _body_cases(product["id"], batch["id"]):
        good = _VALUES[field]
        for kind in TRAPS:
            value = trap(kind, good)
            if value == good or (trims and kind in SPACE_TRAPS):
                continue  # no digit to change; or white space the field trims
            _names(_send(api, method, path, body(value)), field)
    assert count_rows(app, batches) == 1
    assert count_rows(app, locations) == 0
    assert api.get("/products").get_json()["products"] == [product]
    assert api.get("/orders").get_json()["orders"] == []
    assert api.get("/recalls").get_json()["recalls"] == []


def test_numbers_written_in_other_digits_are_not_numbers(api: Api) -> None:
    product = api.product()
    batch = api.batch(product["id"])
    for script in SCRIPTS:
        for method, path, body, field in (
            ("POST", f"/batches/{batch['id']}/codes", {"count": _in(script, "5")}, "count"),
            ("POST", "/batches", {"productId": _in(script, "1"), "lot": "L9"}, "productId"),
            (
                "POST",
                "/orders",
                {"id": "SO-2", "lines": [{"gtin": GTIN, "quantity": _in(script, "2")}]},
                "lines[0].quantity",
            ),
        ):
            _names(_send(api, method, path, body), field)
    assert api.get(f"/batches/{batch['id']}/codes").get_json()["codes"] == []


# --- the merchant API: query parameters -------------------------------------------------

ENDLESS = "1" * 5000
"""More digits than int() converts (4300): a ValueError, once a 500."""


def test_query_parameters_refuse_foreign_and_endless_digits_naming_the_parameter(
    api: Api,
) -> None:
    product = api.product()
    batch = api.batch(product["id"])
    lists = [
        "/products",
        "/batches",
        f"/batches/{batch['id']}/codes",
        f"/batches/{batch['id']}/codes.pdf",
        "/integrity",
        "/orders",
        "/recalls",
        "/locations",
        "/webhooks",
        "/connections",
        "/upstreams",
    ]
    numbers = [_in(s, "5") for s in SCRIPTS] + [_in(s, "25") for s in SCRIPTS]
    numbers += ["²", "5²", ENDLESS, "9" * 25]
    for value in numbers:
        for path in lists:
            _names(api.get(f"{path}?pageSize={segment(value)}"), "pageSize", status=(400,))
            _names(api.get(f"{path}?pageToken={segment(value)}"), "pageToken", status=(400,))
        for path, name in (
            ("/batches", "productId"),
            (f"/batches/{batch['id']}/codes", "issuance"),
            (f"/batches/{batch['id']}/downstream", "unitLimit"),
        ):
            _names(api.get(f"{path}?{name}={segment(value)}"), name, status=(400,))
        _names(api.post(f"/upstreams/1/rewind?seq={segment(value)}"), "seq", status=(400,))
    # (A lone surrogate cannot travel in a URL: its UTF-8 escape stays as text, %ED%A0%80.)
    for kind in DIGIT_TRAPS + ["combining", "sharp-s"]:
        for path, name, good in (
            ("/products", "gtin", GTIN),
            ("/recalls", "gtin", GTIN),
            ("/batches", "lot", "LOT42"),
            ("/locations", "place", GLN),
        ):
            value = trap(kind, good)
            if value != good:
                _names(api.get(f"{path}?{name}={segment(value)}"), name, status=(400,))


def test_a_trace_query_by_code_in_foreign_digits_is_refused(api: Api) -> None:
    product = api.product()
    api.batch(product["id"])
    for kind in DIGIT_TRAPS:
        code = f"https://id.gs1.org/01/{trap(kind, GTIN)}/10/LOT42"
        _names(api.get(f"/trace?code={segment(code)}"), "code")


# --- EPCIS ------------------------------------------------------------------------------


def test_epcis_query_parameters_refuse_foreign_digits_naming_the_parameter(api: Api) -> None:
    assert capture(api, document(supply_chain(["S1", "S2", "S3"]))).status_code == 202
    # Query values are trimmed, U+2028 and U+3000 as well: those are not tried here.
    for kind in DIGIT_TRAPS + OTHER_TRAPS:
        for name, good in (
            ("GE_eventTime", "2025-03-01T08:00:00Z"),
            ("LT_recordTime", "2025-03-01T08:00:00+08:00"),
            ("perPage", "25"),
        ):
            value = trap(kind, good)
            response = get(api, f"/events?{name}={segment(value)}")
            _names(response, name, status=(400,))
            assert response.get_json()["type"] == "epcisException:QueryParameterException"
    for value in [_in(s, "5") for s in SCRIPTS] + ["²", ENDLESS]:
        for path in ("/events", "/capture", "/epcs", "/bizSteps"):
            _names(get(api, f"{path}?perPage={segment(value)}"), "perPage", status=(400,))
        _names(get(api, f"/events?nextPageToken={segment(value)}"), "nextPageToken")


def test_an_epc_or_place_in_foreign_digits_matches_no_event(api: Api) -> None:
    assert capture(api, document(supply_chain(["S1", "S2", "S3"]))).status_code == 202
    queries = [
        ("EQ_bizLocation", STORE),
        ("EQ_bizLocation", f"https://id.gs1.org/414/{GLN}"),
        ("EQ_readPoint", FACTORY),
        ("MATCH_epc", unit_uri("S1")),
        ("MATCH_anyEPC", "urn:epc:id:sgtin:9506000.013435.S2"),
        ("MATCH_epcClass", APPLES),
    ]
    for name, good in queries:
        found = get(api, f"/events?{name}={segment(good)}")
        assert found.status_code == 200 and event_list(found), (name, good)
        for kind in DIGIT_TRAPS:
            value = trap(kind, good)
            response = get(api, f"/events?{name}={segment(value)}")
            assert response.status_code in (200, 400), (name, value, response.status_code)
            if response.status_code == 200:
                assert event_list(response) == [], (name, value)
            else:
                _names(response, name, status=(400,))
    for kind in DIGIT_TRAPS:
        for path in (
            f"/epcs/{segment(trap(kind, unit_uri('S1')))}/events",
            f"/bizLocations/{segment(trap(kind, STORE))}/events",
        ):
            response = get(api, path)
            assert response.status_code in (200, 400, 404), (path, response.status_code)
            if response.status_code == 200:
                assert event_list(response) == [], path


def test_captured_events_with_foreign_digits_are_refused_naming_the_member(api: Api) -> None:
    event = ev.object_event(
        "OBSERVE",
        epcs=[unit_uri("S1")],
        biz_location=STORE,
        read_point=FACTORY,
        event_time=at(0),
    )
    event["@context"] = ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"]
    members = [
        ("epcList", "/epcList/0", "urn:epc:id:sgtin:9506000.013435.S1"),
        ("bizLocation", "/bizLocation/id", STORE),
        ("readPoint", "/readPoint/id", FACTORY),
        ("eventTime", "/eventTime", "2025-03-01T08:00:00.000Z"),
    ]
    for member, pointer, good in members:
        for kind in DIGIT_TRAPS + OTHER_TRAPS:
            value = trap(kind, good)
            if value == good:
                continue
            wrapped = {"epcList": [value], "eventTime": value}.get(member, {"id": value})
            changed = {**event, member: wrapped}
            response = api.client.post(
                EPCIS + "/events",
                data=json.dumps(changed, ensure_ascii=True),
                headers=api.headers(),
                content_type="application/json",
            )
            _names(response, pointer, status=(400,))
    assert event_list(get(api, "/events")) == []


# --- the admin forms ---------------------------------------------------------------------


@pytest.fixture
def admin(client: FlaskClient, api: Api) -> Admin:
    return Admin(client, api.merchant_id)


def test_the_admin_capitalises_only_ascii_country_codes(app: Flask, admin: Admin, api: Api) -> None:
    """ "ß".upper() is "SS" (South Sudan) and "ﬁ".upper() "FI" (Finland): a country code
    typed in other letters is refused, not turned into someone else's country."""
    product = api.product()
    for code in ("ß", "ﬁ", "ǆ", "ｃｎ", "٠١"):
        batch = admin.post(
            f"/products/{product['id']}/batches/new",
            {"lot": "L1", "origin.place.en": "Farm", "origin.countryCode": code},
        )
        assert batch.status_code == 422, (code, batch.status_code)
        place = admin.post(
            "/locations/new", {"id": GLN, "name.en": "Store", "address.countryCode": code}
        )
        assert place.status_code == 422, (code, place.status_code)
    assert count_rows(app, batches) == 0 and count_rows(app, locations) == 0
    made = admin.post(
        f"/products/{product['id']}/batches/new",
        {"lot": "L1", "origin.place.en": "Farm", "origin.countryCode": "cn"},
    )
    assert made.status_code == 303
    [batch] = api.get("/batches").get_json()["batches"]
    assert batch["origin"]["countryCode"] == "CN"


def test_the_admin_refuses_foreign_digits_in_codes_counts_and_dates(
    app: Flask, admin: Admin, api: Api
) -> None:
    product = api.product()
    batch = api.batch(product["id"])
    for script in SCRIPTS:
        for path, form in (
            ("/products/new", {"gtin": _in(script, GTIN), "name.en": "Tea", "category": "food"}),
            (
                "/recalls/new",
                {
                    "gtin": _in(script, GTIN[1:]),
                    "scope": "lots",
                    "lots": "LOT42",
                    "reason.en": "Glass",
                    "severity": "2",
                },
            ),
            (f"/batches/{batch['id']}/codes", {"count": _in(script, "5")}),
            (
                f"/products/{product['id']}/batches/new",
                {"lot": "L2", "productionDate": _in(script, "2025-02-20")},
            ),
        ):
            response = admin.post(path, form)
            assert response.status_code in (400, 422), (path, form, response.status_code)
            assert response.mimetype == "text/html"
    assert count_rows(app, batches) == 1
    assert api.get(f"/batches/{batch['id']}/codes").get_json()["codes"] == []


# --- answers of other servers: Retry-After ----------------------------------------------


def _one_answer(raw: bytes) -> tuple[str, threading.Thread, socket.socket]:
    """A server on localhost that answers one request with the bytes ``raw``."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)

    def serve() -> None:
        conn, _ = server.accept()
        with conn:
            conn.recv(65536)
            conn.sendall(raw)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    return f"http://127.0.0.1:{server.getsockname()[1]}/hook", thread, server


def test_a_retry_after_of_a_latin1_superscript_digit_is_ignored_not_raised() -> None:
    """Byte B2 in a header is "²" to requests: isdigit() says yes, float() raises; post()
    promises never to raise, and the webhook and upstream workers rely on it."""
    url, thread, server = _one_answer(
        b"HTTP/1.1 503 Busy\r\nRetry-After: \xb2\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    )
    try:
        with requests.Session() as session:
            outcome = post(session, url, b"{}", {}, timeout=5, what="test")
    finally:
        thread.join(5)
        server.close()
    assert (outcome.ok, outcome.status, outcome.retry_after) == (False, 503, None)


def test_a_webhook_answered_with_a_foreign_retry_after_is_retried(app: Flask, api: Api) -> None:
    hook = "https://hooks.example.com/in"
    made = api.post("/webhooks", {"url": hook, "topics": ["recall.created"]})
    assert made.status_code == 201, made.get_json()
    store = app.extensions["shoptrace"].store
    with store.begin() as conn:
        enqueue_event(
            conn,
            api.merchant_id,
            topic="recall.created",
            data={"recall": {"id": 1, "gtin": GTIN, "lots": ["LOT42"]}},
            key="recall:1:created",
        )
    with responses.RequestsMock() as mocked:
        for value in ("²", "٣٠", "³⁰"):
            mocked.add(responses.POST, hook, status=503, headers={"Retry-After": value})
        with requests.Session() as session:
            for _ in range(3):
                report = deliver_due(
                    store,
                    SIGNING_KEY,
                    session=session,
                    now=_later(store),
                    rng=random.Random(7),
                )
                assert (report.delivered, report.retrying, report.dead) == (0, 1, 0)
    with store.read() as conn:
        [row] = conn.execute(sa.select(outbox.c.attempts, outbox.c.last_status)).all()
    assert tuple(row) == (3, 503)


def _later(store: Any) -> Any:
    """The moment the outbox's next message is due."""
    with store.read() as conn:
        return conn.execute(sa.select(sa.func.min(outbox.c.next_attempt_at))).scalar_one()


# --- settings and commands --------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("SHOPTRACE_MAX_PAGE_SIZE", "²"),  # isdigit(), and int() raised a ValueError
        ("SHOPTRACE_MAX_PAGE_SIZE", "٥٠"),
        ("SHOPTRACE_PAGE_SIZE", "５０"),
        ("SHOPTRACE_PAGE_SIZE", "--5"),
        ("SHOPTRACE_PAGE_SIZE", ENDLESS),
        ("SHOPTRACE_SIGNING_KEY", "k" * 40 + "\udcff"),  # an environment's byte FF
        ("SHOPTRACE_URL_PREFIX", "/tr\udcffce"),
        ("SHOPTRACE_URL_PREFIX", "/trace\u2028"),
    ],
)
def test_settings_in_foreign_digits_or_undecodable_bytes_are_config_errors(
    key: str, value: str
) -> None:
    with pytest.raises(ConfigError, match=key):
        Settings.from_mapping({key: value}, instance_path="/srv/instance")


def test_settings_still_take_ascii_numbers_and_unicode_prefixes() -> None:
    settings = Settings.from_mapping(
        {"SHOPTRACE_PAGE_SIZE": " 50 ", "SHOPTRACE_URL_PREFIX": "/溯源"},
        instance_path="/srv/instance",
    )
    assert (settings.page_size, settings.url_prefix) == (50, "/溯源")


@pytest.mark.parametrize("command", ["revoke", "rotate"])
def test_a_key_prefix_of_undecodable_bytes_is_an_error_line(db_url: str, command: str) -> None:
    result = CliRunner().invoke(
        main,
        ["merchants", "keys", command, "st_\udcff", "--db", db_url],
        env={"SHOPTRACE_SIGNING_KEY": SIGNING_KEY},
    )
    assert result.exit_code == 2, (result.output, result.exception)
    assert result.stderr.startswith("error: no API key with prefix")
