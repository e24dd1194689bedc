"""The public resolver as a GS1-Conformant Resolver: forms of answer, link types, linksets,
errors, CORS, caching, and that public answers hold public data only.

Scenarios are modelled on the GS1 Resolver CE scenarios and the resolver test-suite checks in
../shared/conformance/digital-link/resolver, played against our own fixtures (codes issued
through the issuance service, events captured through the capture service).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import quote

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from limits import parse_many
from limits.storage import MemoryStorage
from limits.strategies import SlidingWindowCounterRateLimiter

from shoptrace.sdk.epcis import events as ev
from tests._conformance import conformance_cases, conformance_json
from tests.shop_plugin.epcis_helpers import CASE, STORE, at, unit_uri
from tests.shop_plugin.helpers import GTIN2
from tests.shop_plugin.resolver_helpers import (
    BASE,
    CERT_URL,
    LISTING,
    SECRETS,
    Shop,
    capture,
    flush_scans,
    forged,
    make_shop,
)

JSON = {"Accept": "application/json"}
LINKSET = {"Accept": "application/linkset+json"}
BROWSER = {
    "Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
    "Accept-Language": "en-GB,en;q=0.9",
}
VOC = "https://gs1.org/voc/"
ANCHOR = re.compile(r"^https?://[a-zA-Z0-9./]+")


@pytest.fixture
def app_config() -> dict[str, Any]:
    return {"SHOPTRACE_PUBLIC_RATE_LIMIT": "", "SHOPTRACE_RESOLVER_STATE_TTL": 0}


@pytest.fixture(autouse=True)
def _scans_stored(app: Flask) -> Iterator[None]:
    yield
    flush_scans(app)


@pytest.fixture
def shop(app: Flask) -> Shop:
    return make_shop(app)


def _secret_free(text: str) -> None:
    for secret in SECRETS:
        assert secret not in text, secret


@contextmanager
def db_uses(app: Flask) -> Iterator[list[str]]:
    """Every connection this thread takes from the pool (any read or write) while inside."""
    engine = app.extensions["shoptrace"].store.engine
    me = threading.get_ident()
    seen: list[str] = []

    def checkout(*_args: Any) -> None:
        if threading.get_ident() == me:
            seen.append("checkout")

    sa.event.listen(engine, "checkout", checkout)
    try:
        yield seen
    finally:
        sa.event.remove(engine, "checkout", checkout)


def assert_linkset(body: Any) -> list[dict[str, Any]]:
    """The RFC 9264 shape and the GS1-Conformant Resolver rules for a linkset."""
    assert set(body) == {"linkset"} and body["linkset"]
    defaults = []
    for entry in body["linkset"]:
        assert ANCHOR.match(entry["anchor"]), entry["anchor"]
        for key, targets in entry.items():
            if key in ("anchor", "description"):
                continue
            assert key.startswith(VOC), key
            assert isinstance(targets, list) and targets
            for target in targets:
                assert re.match(r"^https?://", target["href"])
                assert isinstance(target["title"], str) and target["title"]
                assert set(target) <= {"href", "title", "type", "hreflang"}
                if "type" in target:
                    assert re.fullmatch(r"[a-z]+/[a-z0-9.+-]+", target["type"])
                if "hreflang" in target:
                    assert all(isinstance(lang, str) for lang in target["hreflang"])
        if VOC + "defaultLink" in entry:
            defaults.extend(entry[VOC + "defaultLink"])
            described = [t["href"] for k, ts in entry.items() if k.startswith(VOC) for t in ts[:1]]
            for target in entry[VOC + "defaultLink"]:
                assert described.count(target["href"]) >= 2  # also under a descriptive type
    assert len(defaults) == 1 and set(defaults[0]) == {"href", "title"}
    entries: list[dict[str, Any]] = body["linkset"]
    return entries


# --- the forms of answer ---------------------------------------------------------------------


def test_json_trace_of_a_unit_follows_the_public_contract(client: FlaskClient, shop: Shop) -> None:
    response = client.get(shop.unit() + "?lang=en", headers=JSON)
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    body = response.get_json()
    assert body["code"] == BASE + shop.unit()[len("/trace") :]
    assert (body["kind"], body["lang"], body["gtin"], body["lot"]) == (
        "unit",
        "en",
        shop.gtin,
        "LOT42",
    )
    assert body["serial"] == shop.serials[0]
    assert body["product"] == {
        "name": "Longjing tea",
        "category": {
            "code": "edible-agricultural-products",
            "label": "Edible agricultural products",
        },
        "listingUrl": LISTING,
    }
    assert body["batch"] == {
        "lot": "LOT42",
        "productionDate": "2025-02-20",
        "origin": {"name": "Longjing village"},
    }
    assert body["certifications"] == [
        {
            "scheme": "organic",
            "label": "organic",
            "issuer": "CQC",
            "number": "CN-ORG-1",
            "validUntil": "2030-01-01",
            "verification": "third-party-verified",
            "verificationLabel": "Third-party verified",
            "url": CERT_URL,
        }
    ]
    steps = [(e["step"], e["title"]) for e in body["timeline"]]
    assert steps[-1] == ("retail_selling", "Sold")
    assert ("shipping", "Shipped") in steps and ("packing", "Packed") in steps
    assert [e["time"] for e in body["timeline"]] == sorted(e["time"] for e in body["timeline"])
    assert all("place" not in e for e in body["timeline"])
    assert body["now"]["statusLabel"] == "Sold"
    assert body["verification"] == {
        "genuine": True,
        "label": "Genuine",
        "soldBy": "Acme Tea",
        "soldAt": "2025-03-01",
        "checkCount": 0,
    }
    assert 0 <= body["completeness"]["percent"] <= 100
    assert "recall" not in body
    _secret_free(response.get_data(as_text=True))


def test_a_lot_and_a_product_resolve_too(client: FlaskClient, shop: Shop) -> None:
    lot = client.get(shop.lot_path + "?lang=zh-CN", headers=JSON).get_json()
    assert (lot["kind"], lot["lot"], lot["product"]["name"]) == ("lot", "LOT42", "西湖龙井茶")
    assert "verification" not in lot and "now" not in lot and lot["timeline"]
    product = client.get(shop.product_path, headers=JSON).get_json()
    assert product["kind"] == "product" and "timeline" not in product and "batch" not in product
    assert product["certifications"][0]["number"] == "CN-ORG-1"


def test_browsers_get_the_trace_page_in_place(client: FlaskClient, shop: Shop) -> None:
    response = client.get(shop.unit(), headers=BROWSER)
    assert response.status_code == 200 and response.mimetype == "text/html"
    html = response.get_data(as_text=True)
    assert '<html lang="en">' in html and "Longjing tea" in html and "Genuine" in html
    assert "<script" not in html
    policy = response.headers["Content-Security-Policy"]
    assert "default-src 'none'" in policy and "frame-ancestors 'none'" in policy
    assert re.search(r"style-src 'sha256-[A-Za-z0-9+/=]+'", policy)
    _secret_free(html)


@pytest.mark.parametrize(
    ("query", "header", "lang"),
    [
        ("?lang=en", "zh-CN", "en"),
        ("?lang=zh-CN", "en", "zh-CN"),
        ("", "en-US,en;q=0.8", "en"),
        ("", "zh-TW,zh;q=0.9,en;q=0.5", "zh-CN"),
        ("", "fr-FR", "zh-CN"),  # SHOPTRACE_DEFAULT_LANGUAGE
        ("", None, "zh-CN"),
    ],
)
def test_language_from_lang_or_accept_language(
    client: FlaskClient, shop: Shop, query: str, header: str | None, lang: str
) -> None:
    headers = {**JSON, **({"Accept-Language": header} if header else {})}
    response = client.get(shop.unit() + query, headers=headers)
    assert response.get_json()["lang"] == lang
    assert response.headers["Content-Language"] == lang
    assert "Accept-Language" in response.headers["Vary"]


def test_partner_and_private_fields_never_appear_in_any_public_answer(
    client: FlaskClient, shop: Shop
) -> None:
    urls = [shop.unit(), shop.unit(lot=False), shop.lot_path, shop.product_path]
    for url in urls:
        for lang in ("en", "zh-CN"):
            for headers in (JSON, BROWSER, LINKSET):
                response = client.get(f"{url}?lang={lang}", headers=headers)
                assert response.status_code == 200, (url, headers)
                _secret_free(response.get_data(as_text=True))
    embed = client.get("/trace/embed" + shop.unit()[len("/trace") :])
    assert embed.status_code == 200
    _secret_free(embed.get_data(as_text=True))


def test_fields_the_merchant_makes_public_appear(app: Flask, client: FlaskClient) -> None:
    shop = make_shop(app, batch={"visibility": {"producer": "public", "expiryDate": "public"}})
    body = client.get(shop.lot_path + "?lang=en", headers=JSON).get_json()
    assert body["batch"]["producer"] == {"name": "Partner Farm Ltd"}
    assert body["batch"]["expiryDate"] == "2031-07-19"
    assert "LIC-SECRET-9" not in str(body)  # the licence is not part of the public contract


def test_a_gtin_of_two_merchants_resolves_to_the_one_that_signed_the_serial(
    app: Flask, client: FlaskClient
) -> None:
    first = make_shop(app, name="Acme Tea")
    second = make_shop(app, name="Rival Tea", product={"name": {"en": "Rival tea"}})
    ours = client.get(first.unit() + "?lang=en", headers=JSON).get_json()
    theirs = client.get(second.unit() + "?lang=en", headers=JSON).get_json()
    assert (ours["product"]["name"], ours["verification"]["soldBy"]) == ("Longjing tea", "Acme Tea")
    assert (theirs["product"]["name"], theirs["verification"]["soldBy"]) == (
        "Rival tea",
        "Rival Tea",
    )


# --- linksets and link types -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "headers"),
    [("", LINKSET), ("?linkType=linkset", {}), ("?linkType=all", JSON)],
)
def test_linkset_lists_the_links_of_every_level(
    client: FlaskClient, shop: Shop, query: str, headers: dict[str, str]
) -> None:
    response = client.get(
        shop.unit() + query + ("&" if query else "?") + "lang=en", headers=headers
    )
    assert response.status_code == 200
    assert response.mimetype == "application/linkset+json"
    assert "json-ld#context" in response.headers["Link"]
    entries = assert_linkset(response.get_json())
    unit, lot, product = (
        BASE + p[len("/trace") :] for p in (shop.unit(), shop.lot_path, shop.product_path)
    )
    assert [e["anchor"] for e in entries] == [unit, lot, product]
    assert entries[0][VOC + "defaultLink"] == [{"href": unit, "title": "Traceability information"}]
    assert {VOC + "traceability", VOC + "recallStatus", VOC + "epcis"} <= set(entries[0])
    epcis = entries[0][VOC + "epcis"][0]["href"]
    unit_epc = quote(f"https://id.gs1.org/01/{shop.gtin}/21/{shop.serials[0]}", safe="")
    assert epcis == f"{BASE}/epcis/epcs/{unit_epc}/events"
    assert entries[2][VOC + "pip"] == [
        {"href": LISTING, "title": "Product page", "type": "text/html"}
    ]
    assert entries[2][VOC + "certificationInfo"] == [
        {"href": CERT_URL, "title": "organic CN-ORG-1"}
    ]
    assert VOC + "certificationInfo" not in entries[1]  # the lot's certificates are partner data
    assert entries[0]["description"] == "Longjing tea"


def test_a_link_type_redirects_with_the_query_passed_on(client: FlaskClient, shop: Shop) -> None:
    for link_type in ("gs1:pip", "https://gs1.org/voc/pip", "https://ref.gs1.org/voc/pip"):
        response = client.get(shop.unit() + f"?linkType={quote(link_type)}&foo=bar")
        assert response.status_code == 307
        location = response.headers["Location"]
        assert location.startswith(LISTING + "?") and "foo=bar" in location
        assert "linkType=" in location
        assert response.headers["Access-Control-Allow-Origin"] == "*"
        assert 'rel="linkset"' in response.headers["Link"]


def test_a_link_type_walks_up_to_the_level_that_has_it(client: FlaskClient, shop: Shop) -> None:
    response = client.get(shop.unit() + "?linkType=gs1:certificationInfo")
    assert response.status_code == 307
    assert response.headers["Location"] == CERT_URL + "?linkType=gs1:certificationInfo"
    own = client.get(shop.unit() + "?linkType=gs1:traceability&x=1")
    assert own.status_code == 200  # the unit's own trace page: served in place
    assert own.mimetype == "text/html"


def test_a_link_type_the_item_lacks_is_404(client: FlaskClient, shop: Shop) -> None:
    response = client.get(shop.unit() + "?linkType=gs1:safetyInfo")
    assert response.status_code == 404
    assert response.mimetype == "application/problem+json"
    assert "safetyInfo" in response.get_json()["detail"]


def test_several_equally_good_links_answer_300(app: Flask, client: FlaskClient) -> None:
    certificate = {"scheme": "haccp", "issuer": "X", "verification": "third-party-verified"}
    shop = make_shop(
        app,
        events=False,
        product={
            "certifications": [
                {**certificate, "number": "H-1", "url": "https://cert.example/h1"},
                {**certificate, "number": "H-2", "url": "https://cert.example/h2"},
            ]
        },
    )
    response = client.get(shop.product_path + "?linkType=gs1:certificationInfo")
    assert response.status_code == 300
    body = response.get_json()
    assert [t["href"] for t in body["linkset"][0][VOC + "certificationInfo"]] == [
        "https://cert.example/h1",
        "https://cert.example/h2",
    ]


def test_the_default_link_is_served_in_place(client: FlaskClient, shop: Shop) -> None:
    for query in ("", "?linkType=gs1:defaultLink", "?linkType=gs1:recallStatus"):
        response = client.get(shop.unit() + query, headers=BROWSER)
        assert response.status_code == 200 and response.mimetype == "text/html", query
    as_json = client.get(shop.unit() + "?linkType=gs1:traceability", headers=JSON)
    assert as_json.get_json()["kind"] == "unit"


# --- unknown codes and bad syntax ------------------------------------------------------------


def test_a_forged_serial_is_a_possible_counterfeit(client: FlaskClient, shop: Shop) -> None:
    path = shop.unit()[: -len(shop.serials[0])] + forged(shop.serials[0])
    response = client.get(path + "?lang=en", headers=JSON)
    assert response.status_code == 404
    assert response.get_json() == {
        "code": BASE + path[len("/trace") :],
        "kind": "unknown",
        "lang": "en",
        "warning": {
            "label": "Possible counterfeit",
            "detail": "We could not find this trace code. The item may not be genuine.",
        },
    }
    page = client.get(path, headers={"Accept-Language": "zh-CN"})
    assert page.status_code == 404 and page.mimetype == "text/html"
    assert "疑似假冒" in page.get_data(as_text=True)
    assert page.headers["Access-Control-Allow-Origin"] == "*"


@pytest.mark.parametrize(
    "path",
    [
        "/trace/01/09506000134369/10/LOT42/21/7KQ2M9XH4C8RTW3HZP",  # a GTIN nobody registered
        "/trace/01/{gtin}/10/NOSUCHLOT",
        "/trace/01/{gtin}/21/7KQ2M9XH4C8RTW3HZP",  # no lot to check the tag: looked up
        "/trace/00/095060000000000992",
        "/trace/414/9506000000992",
        "/trace/8004/0950600013430000001",
    ],
)
def test_unknown_codes_are_404(client: FlaskClient, shop: Shop, path: str) -> None:
    response = client.get(path.format(gtin=shop.gtin), headers=JSON)
    assert response.status_code == 404
    assert response.get_json()["kind"] == "unknown"


@pytest.mark.parametrize(
    ("path", "fragment"),
    [
        ("/trace/01/09506000134376/badrequest", "primary key"),  # CE scenario ce-09
        ("/trace/01/123", "too short"),
        ("/trace/01/09506000134353", "check digit"),
        ("/trace/01/09506000134352/21/S/10/LOT", "order"),
        ("/trace/01/09506000134352/10/" + "L" * 21, "too long"),
        ("/trace/01/09506000134352/10/a%00b", "NUL"),
        ("/trace/01/09506000134352/00/095060000000000015", "primary key and its qualifiers"),
        ("/trace/01/09506000134352?17=251340", "AI (17)"),
        ("/trace/01/", "primary key"),
        ("/trace/01", "primary key"),
        ("/trace/00/123", "too short"),
        ("/trace/414/9506000000023", "check digit"),
        ("/trace/01/09506000134352/10/%E2%82%AC", "character set"),
    ],
)
def test_bad_syntax_is_400_with_the_reason(client: FlaskClient, path: str, fragment: str) -> None:
    response = client.get(path, headers=JSON)
    assert response.status_code == 400, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    problem = response.get_json()
    assert problem["status"] == 400 and fragment.lower() in problem["detail"].lower()
    assert response.headers["Access-Control-Allow-Origin"] == "*"


def test_a_trailing_slash_is_tolerated(client: FlaskClient, shop: Shop) -> None:
    response = client.get(shop.unit() + "/", headers=JSON)
    assert response.status_code == 200 and response.get_json()["serial"] == shop.serials[0]


def test_a_lot_holding_a_slash_stays_one_segment(app: Flask, client: FlaskClient) -> None:
    shop = make_shop(app, gtin=GTIN2, events=False, batch={"lot": "LJ/04"})
    path = f"/trace/01/{GTIN2}/10/LJ%2F04/21/{shop.serials[0]}"
    body = client.get(path, headers=JSON).get_json()
    assert body["lot"] == "LJ/04" and body["code"].endswith("/10/LJ%2F04/21/" + shop.serials[0])


# --- containers and places -------------------------------------------------------------------


def test_sscc_gln_and_giai_keys_resolve(app: Flask, client: FlaskClient, shop: Shop) -> None:
    giai = "https://shop.example.com/8004/0950600013430000001"
    capture(
        app,
        shop.merchant_id,
        [ev.object_event("OBSERVE", epcs=[giai], biz_step="inspecting", event_time=at(50))],
    )
    case = client.get("/trace/00/095060000000000015?lang=en", headers=JSON).get_json()
    assert case["kind"] == "container" and [e["step"] for e in case["timeline"]][:2] == [
        "commissioning",
        "packing",
    ]
    assert CASE  # the case of the supply chain
    place = client.get("/trace/414/9506000000022", headers=JSON)
    assert place.status_code == 200 and place.get_json()["kind"] == "location"
    assert STORE  # the store's GLN is one the merchant's events name
    asset = client.get("/trace/8004/0950600013430000001?lang=en", headers=JSON).get_json()
    assert asset["kind"] == "container" and asset["timeline"][0]["title"] == "Inspected"
    linkset = client.get("/trace/8004/0950600013430000001", headers=LINKSET).get_json()
    assert_linkset(linkset)


def test_a_recalled_unit_says_so(app: Flask, client: FlaskClient, shop: Shop) -> None:
    capture(
        app,
        shop.merchant_id,
        [
            ev.object_event(
                "OBSERVE",
                epcs=[unit_uri(shop.serials[0])],
                biz_step="holding",
                disposition="recalled",
                event_time=at(60),
            )
        ],
    )
    body = client.get(shop.unit() + "?lang=en", headers=JSON).get_json()
    assert body["recall"] == {"recalled": True, "label": "Recalled", "since": "2025-03-01"}
    page = client.get(shop.unit() + "?lang=en", headers=BROWSER).get_data(as_text=True)
    assert "Stop using this product" in page


# --- HTTP: methods, CORS, caching, limits ----------------------------------------------------


# The GET is a scan, and with a state TTL of 0 a scan stored before the HEAD (the writer
# thread's timing) would change the ETag: keep the state the GET read.
@pytest.mark.parametrize(
    "app_config", [{"SHOPTRACE_PUBLIC_RATE_LIMIT": "", "SHOPTRACE_RESOLVER_STATE_TTL": 60}]
)
def test_head_and_options(client: FlaskClient, shop: Shop) -> None:
    got = client.get(shop.unit(), headers=JSON)
    head = client.head(shop.unit(), headers=JSON)
    assert head.status_code == 200 and head.data == b""
    assert head.headers["ETag"] == got.headers["ETag"]
    assert head.headers["Content-Length"] == got.headers["Content-Length"]
    options = client.options(
        shop.unit(),
        headers={"Origin": "https://other.example", "Access-Control-Request-Method": "GET"},
    )
    assert options.status_code == 204
    assert options.headers["Allow"] == "GET, HEAD, OPTIONS"
    assert options.headers["Access-Control-Allow-Origin"] == "*"
    assert "GET" in options.headers["Access-Control-Allow-Methods"]
    assert "Accept-Language" in options.headers["Access-Control-Allow-Headers"]
    assert client.post(shop.unit()).status_code == 405


def test_etag_follows_events_and_scans(app: Flask, client: FlaskClient, shop: Shop) -> None:
    first = client.head(shop.unit(), headers=JSON)
    tag = first.headers["ETag"]
    assert first.headers["Cache-Control"] == "public, no-cache"
    again = client.get(shop.unit(), headers={**JSON, "If-None-Match": tag})
    assert again.status_code == 304 and again.data == b"" and again.headers["ETag"] == tag
    flush_scans(app)  # that GET was a scan: the unit's scan state moved on
    scanned = client.head(shop.unit(), headers=JSON).headers["ETag"]
    assert scanned != tag
    capture(
        app,
        shop.merchant_id,
        [ev.object_event("OBSERVE", epcs=[unit_uri(shop.serials[1])], event_time=at(70))],
    )
    moved = client.head(shop.unit(), headers=JSON)
    assert moved.headers["ETag"] not in (tag, scanned)  # a new event of the merchant
    body = client.get(shop.unit(), headers=JSON).get_json()
    assert body["verification"]["checkCount"] == 1
    lot = client.head(shop.lot_path, headers=JSON)
    assert lot.headers["Cache-Control"] == "public, max-age=60" and lot.headers["ETag"]


def test_state_is_reread_after_its_ttl(app: Flask, client: FlaskClient, shop: Shop) -> None:
    resolver = app.extensions["shoptrace"].public.resolver
    now = [1000.0]
    resolver.state_ttl, resolver.clock = 1.0, lambda: now[0]
    tag = client.head(shop.unit(), headers=JSON).headers["ETag"]
    capture(
        app,
        shop.merchant_id,
        [ev.object_event("OBSERVE", epcs=[unit_uri(shop.serials[1])], event_time=at(70))],
    )
    assert client.head(shop.unit(), headers=JSON).headers["ETag"] == tag
    now[0] += 1.5
    assert client.head(shop.unit(), headers=JSON).headers["ETag"] != tag


def test_a_wrong_check_tag_is_refused_without_reading_the_database(
    app: Flask, client: FlaskClient, shop: Shop
) -> None:
    resolver = app.extensions["shoptrace"].public.resolver
    with db_uses(app) as uses:
        assert client.get(shop.unit(), headers=JSON).status_code == 200
    assert uses and resolver.owner_cache.loads == 1  # first lookup: owners, then the unit
    with db_uses(app) as uses:
        for serial in shop.serials[:3]:
            path = shop.unit()[: -len(shop.serials[0])] + forged(serial)
            assert client.get(path, headers=JSON).status_code == 404
    assert uses == []
    assert client.get(shop.unit(1), headers=JSON).status_code == 200
    with db_uses(app) as uses:
        assert client.get(shop.unit(1), headers=JSON).status_code == 200
    assert len(uses) == 1  # the unit's state only: owners and the trace came from memory
    assert resolver.owner_cache.loads == 1


def test_public_routes_are_rate_limited_per_client(
    app: Flask, client: FlaskClient, shop: Shop
) -> None:
    public = app.extensions["shoptrace"].public
    public.limiter = SlidingWindowCounterRateLimiter(MemoryStorage())
    public.limits = parse_many("3 per minute")
    for _ in range(3):
        assert client.get(shop.unit(), headers=JSON).status_code == 200
    limited = client.get(shop.unit(), headers=JSON)
    assert limited.status_code == 429
    assert limited.mimetype == "application/problem+json"
    assert int(limited.headers["Retry-After"]) >= 1
    assert limited.headers["Access-Control-Allow-Origin"] == "*"
    assert client.get("/trace/widget.js").status_code == 429
    other = client.get(shop.unit(), headers=JSON, environ_base={"REMOTE_ADDR": "10.0.0.9"})
    assert other.status_code == 200


# --- description file, widget script, embed --------------------------------------------------


def test_resolver_description_file(client: FlaskClient) -> None:
    response = client.get("/trace/.well-known/gs1resolver")
    assert response.status_code == 200 and response.mimetype == "application/json"
    body = response.get_json()
    assert body["resolverRoot"] == BASE
    assert {"01", "00", "414", "8004"} <= set(body["supportedPrimaryKeys"])
    assert body["supportedLinkType"] == [{"namespace": VOC, "prefix": "gs1:"}]
    assert body["jsonLdContextLocation"].startswith("https://ref.gs1.org/")
    assert body["linkTypeDefaultCanBeLinkset"] is False
    for lang in ("en", "zh-CN"):
        assert body["activeLinkTypes"][lang]["gs1:traceability"]["url"] == VOC + "traceability"
    assert response.headers["Access-Control-Allow-Origin"] == "*"


def test_widget_script_is_cached_long_with_an_etag(client: FlaskClient) -> None:
    from shoptrace.widgets import widget_js

    response = client.get("/trace/widget.js")
    assert response.status_code == 200 and response.data == widget_js()
    assert response.mimetype == "text/javascript"
    assert "max-age=86400" in response.headers["Cache-Control"]
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert response.headers["Cross-Origin-Resource-Policy"] == "cross-origin"
    again = client.get("/trace/widget.js", headers={"If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304 and again.data == b""


def test_embed_allows_framing(client: FlaskClient, shop: Shop) -> None:
    response = client.get(f"/trace/embed/01/{shop.gtin}/10/LOT42?lang=en")
    assert response.status_code == 200 and response.mimetype == "text/html"
    assert "frame-ancestors *" in response.headers["Content-Security-Policy"]
    assert "X-Frame-Options" not in response.headers
    html = response.get_data(as_text=True)
    assert 'class="embed"' in html and "Longjing tea" in html and "Open the full trace" in html
    unknown = client.get(f"/trace/embed/01/{shop.gtin}/10/NOPE?lang=en")
    assert unknown.status_code == 404 and "Possible counterfeit" in unknown.get_data(as_text=True)
    assert client.get("/trace/embed/01/123").status_code == 400


# --- the resolver test-suite's checks, against our fixtures ----------------------------------


def _report_with_400(client: FlaskClient, shop: Shop) -> None:
    response = client.get(shop.unit() + "/foo")
    assert response.status_code == 400


def _trailing_slash(client: FlaskClient, shop: Shop) -> None:
    assert client.get(shop.unit() + "/").status_code == 200


def _linkset_no_redirect(client: FlaskClient, shop: Shop) -> None:
    response = client.get(shop.unit() + "?linkType=linkset")
    assert response.status_code == 200
    assert_linkset(response.get_json())


def _all_no_redirect(client: FlaskClient, shop: Shop) -> None:
    assert client.get(shop.unit() + "?linkType=all").status_code == 200


def _accept_header(client: FlaskClient, shop: Shop) -> None:
    response = client.get(shop.unit(), headers=LINKSET)
    assert response.status_code == 200 and response.mimetype == "application/linkset+json"


def _valid_linkset(client: FlaskClient, shop: Shop) -> None:
    for path in (shop.unit(), shop.lot_path, shop.product_path):
        assert_linkset(client.get(path, headers=LINKSET).get_json())


def _jsonld_context(client: FlaskClient, shop: Shop) -> None:
    link = client.get(shop.unit(), headers=LINKSET).headers["Link"]
    assert 'rel="http://www.w3.org/ns/json-ld#context"' in link


def _link_on_redirect(client: FlaskClient, shop: Shop) -> None:
    response = client.get(shop.unit() + "?linkType=gs1:pip")
    assert response.status_code == 307 and 'rel="linkset"' in response.headers["Link"]


def _cors(client: FlaskClient, shop: Shop) -> None:
    for path in (shop.unit(), "/trace/01/1", "/trace/.well-known/gs1resolver"):
        assert client.get(path).headers["Access-Control-Allow-Origin"] == "*"


def _methods(client: FlaskClient, shop: Shop) -> None:
    assert client.options(shop.unit()).headers["Allow"] == "GET, HEAD, OPTIONS"
    assert client.head(shop.unit()).status_code == 200


def _rd_file(client: FlaskClient, shop: Shop) -> None:
    body = client.get("/trace/.well-known/gs1resolver", headers=JSON).get_json()
    assert body["resolverRoot"] and body["supportedPrimaryKeys"]


def _qs_passed_on(client: FlaskClient, shop: Shop) -> None:
    location = client.get(shop.unit() + "?linkType=gs1:pip&foo=bar").headers["Location"]
    assert "foo=bar" in location


def _default_link_exists(client: FlaskClient, shop: Shop) -> None:
    for path in (shop.unit(), shop.lot_path, shop.product_path, "/trace/00/095060000000000015"):
        assert_linkset(client.get(path, headers=LINKSET).get_json())


def _every_link_type(client: FlaskClient, shop: Shop) -> None:
    entries = client.get(shop.unit(), headers=LINKSET).get_json()["linkset"]
    for rel in {k for entry in entries for k in entry if k.startswith(VOC)}:
        response = client.get(shop.unit() + f"?linkType={quote(rel, safe='')}")
        assert response.status_code in (200, 300, 307), rel


def _not_found(client: FlaskClient, shop: Shop) -> None:
    assert client.get(shop.unit() + "?linkType=gs1:dpp").status_code == 404


def _walk_up(client: FlaskClient, shop: Shop) -> None:
    response = client.get(shop.unit() + "?linkType=gs1:pip")
    assert response.headers["Location"].startswith(LISTING)


CHECKS: dict[str, Callable[[FlaskClient, Shop], None]] = {
    "reportWith400": _report_with_400,
    "trailingSlash": _trailing_slash,
    "ltLinksetNoRedirect": _linkset_no_redirect,
    "ltAllNoRedirect": _all_no_redirect,
    "ltAcceptHeader": _accept_header,
    "validLinkset": _valid_linkset,
    "linksetJsonldCheck": _jsonld_context,
    "linkOnRedirect": _link_on_redirect,
    "corsCheck": _cors,
    "methodsCheck": _methods,
    "rdFile": _rd_file,
    "qsPassedOn": _qs_passed_on,
    "defaultLinkExists": _default_link_exists,
    "loFor<linkType>": _every_link_type,
    "specificLinkTypeNotFound": _not_found,
    "basicWalkUp": _walk_up,
}
NOT_APPLICABLE = {
    "legacyLinkHeaders": "deprecated since resolver standard 1.0.0: we do not list every link "
    "in the Link header, only the linkset's address",
}
CRITERIA = "digital-link/resolver/resolver_conformance_criteria.json"


def test_every_test_suite_check_is_covered() -> None:
    checks = conformance_json(CRITERIA)["testsuite_checks"]
    assert {c["id"] for c in checks} == set(CHECKS) | set(NOT_APPLICABLE)


@pytest.mark.conformance
@pytest.mark.parametrize(
    "check", conformance_cases(CRITERIA, "testsuite_checks", lambda c: c["id"] in CHECKS)
)
def test_resolver_test_suite_check(client: FlaskClient, shop: Shop, check: dict[str, Any]) -> None:
    CHECKS[check["id"]](client, shop)
