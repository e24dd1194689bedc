"""No request to the public routes produces a 500: arbitrary paths, queries and headers."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.shop_plugin.resolver_helpers import Shop, flush_scans, make_shop

FUZZ = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
SEGMENTS = st.one_of(
    st.text(max_size=25),
    st.sampled_from(["01", "00", "414", "8004", "10", "21", "22", "254", "17", "%2F", "%00"]),
    st.from_regex(r"[0-9]{8,18}", fullmatch=True),
    st.from_regex(r"[23456789A-HJ-NP-Z]{13,20}", fullmatch=True),
)
QUERY_KEYS = ["linkType", "linktype", "lang", "17", "10", "99", "context", "foo", ""]
LINK_TYPES = ["linkset", "all", "gs1:pip", "gs1:epcis", "gs1:defaultLink", "https://gs1.org/voc/x"]
header_text = st.text(
    st.characters(min_codepoint=32, max_codepoint=255, exclude_characters="\x7f"), max_size=40
)
HEADERS = st.fixed_dictionaries(
    {},
    optional={
        "Accept": st.sampled_from(
            ["application/json", "application/linkset+json", "text/html", "*/*", "a/b;q=x", ""]
        )
        | header_text,
        "Accept-Language": st.sampled_from(["zh-CN", "en;q=0", "zh-TW,en;q=0.5", ";;;"])
        | header_text,
        "If-None-Match": st.sampled_from(['"x"', "*", 'W/"y"', '"']) | header_text,
        "User-Agent": header_text,
    },
)


@pytest.fixture
def app_config() -> dict[str, Any]:
    return {"SHOPTRACE_PUBLIC_RATE_LIMIT": ""}


@pytest.fixture(autouse=True)
def _scans_stored(app: Flask) -> Iterator[None]:
    yield
    flush_scans(app)


@pytest.fixture
def shop(app: Flask) -> Shop:
    return make_shop(app)


def _assert_handled(response: Any) -> None:
    assert response.status_code < 500, response.get_data(as_text=True)
    assert response.headers.get("Access-Control-Allow-Origin") == "*"
    if response.request.method == "HEAD":
        assert response.data == b""
    elif response.status_code >= 400 and response.mimetype == "application/json":
        assert response.get_json()["kind"] == "unknown"
    elif response.status_code >= 400 and response.mimetype != "text/html":
        assert response.mimetype == "application/problem+json"
        assert response.get_json()["status"] == response.status_code


def _safe(text: str) -> str:
    return quote(text, safe="")


@FUZZ
@given(
    segments=st.lists(SEGMENTS, min_size=0, max_size=7),
    query=st.lists(
        st.tuples(st.sampled_from(QUERY_KEYS), st.sampled_from(LINK_TYPES) | st.text(max_size=15)),
        max_size=3,
    ),
    headers=HEADERS,
    method=st.sampled_from(["GET", "HEAD", "OPTIONS"]),
)
def test_any_code_query_and_headers_are_answered_without_500(
    client: FlaskClient,
    shop: Shop,
    segments: list[str],
    query: list[tuple[str, str]],
    headers: dict[str, str],
    method: str,
) -> None:
    qs = "&".join(f"{_safe(k)}={_safe(v)}" for k, v in query)
    tail = "/".join(_safe(s) if "%" not in s else s for s in segments)
    for root in ("/trace/01/", "/trace/00/", "/trace/414/", "/trace/8004/", "/trace/embed/01/"):
        path = root + tail + (f"?{qs}" if qs else "")
        _assert_handled(client.open(path, method=method, headers=headers))
    real = shop.unit() + (f"?{qs}" if qs else "")
    _assert_handled(client.open(real, method=method, headers=headers))


@FUZZ
@given(headers=HEADERS, suffix=st.sampled_from(["", "/", "/x", "?lang=en", "?linkType=linkset"]))
def test_fixed_routes_are_answered_without_500(
    client: FlaskClient, headers: dict[str, str], suffix: str
) -> None:
    for path in ("/trace/widget.js", "/trace/.well-known/gs1resolver"):
        response = client.get(path + suffix, headers=headers)
        assert response.status_code < 500
