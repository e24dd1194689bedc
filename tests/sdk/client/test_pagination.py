"""Iterators over paged lists: nextPageToken in the body or Link: rel="next", filters kept."""

from __future__ import annotations

import pytest
import requests
import responses
from responses import matchers

from shoptrace.sdk.client import Page, Pager, TraceClient
from shoptrace.sdk.client.pagination import next_token
from tests.sdk.client import payloads
from tests.sdk.client.conftest import API, EPCIS


def _products_page(
    mocked: responses.RequestsMock, ids: list[int], token: str | None, params: dict[str, str]
) -> None:
    mocked.get(
        API + "/products",
        json={"products": [payloads.product(i) for i in ids], "nextPageToken": token},
        match=[matchers.query_param_matcher(params)],
    )


def test_products_across_three_pages_keep_the_filters(
    client: TraceClient, mocked: responses.RequestsMock
) -> None:
    first = {"category": "food", "pageSize": "2"}
    _products_page(mocked, [1, 2], "t2", first)
    _products_page(mocked, [3, 4], "t3", {**first, "pageToken": "t2"})
    _products_page(mocked, [5], None, {**first, "pageToken": "t3"})
    pager = client.products.list(category="food", page_size=2)
    assert [p.id for p in pager] == [1, 2, 3, 4, 5]
    assert len(mocked.calls) == 3


def test_a_pager_fetches_nothing_until_iterated(
    client: TraceClient, mocked: responses.RequestsMock
) -> None:
    pager = client.products.list()
    assert len(mocked.calls) == 0
    _products_page(mocked, [1, 2], "t2", {})
    assert [p.id for p in pager.take(2)] == [1, 2]
    assert len(mocked.calls) == 1  # the second page is not needed


def test_pages_and_first_page(client: TraceClient, mocked: responses.RequestsMock) -> None:
    _products_page(mocked, [1], "t2", {})
    _products_page(mocked, [2], None, {"pageToken": "t2"})
    pages = list(client.products.list().pages())
    assert [(len(p), p.next_page_token) for p in pages] == [(1, "t2"), (1, None)]
    assert [p.id for p in pages[0]] == [1]
    _products_page(mocked, [1], "t2", {})
    assert client.products.list().first_page().next_page_token == "t2"


def test_a_list_resumes_from_a_page_token(
    client: TraceClient, mocked: responses.RequestsMock
) -> None:
    _products_page(mocked, [9], None, {"pageToken": "t9"})
    assert [p.id for p in client.products.list(page_token="t9").all()] == [9]


def test_epcis_queries_follow_the_link_header(
    client: TraceClient, mocked: responses.RequestsMock
) -> None:
    query = {"MATCH_epc": payloads.UNIT, "perPage": "2", "orderBy": "eventTime"}
    link = f'<{EPCIS}/events?MATCH_epc=x&perPage=2&nextPageToken=abc>; rel="next"'
    mocked.get(
        EPCIS + "/events",
        json=payloads.query_document([payloads.event(1), payloads.event(2)]),
        headers={"Link": link},
        match=[matchers.query_param_matcher(query)],
    )
    mocked.get(
        EPCIS + "/events",
        json=payloads.query_document([payloads.event(3)]),
        match=[matchers.query_param_matcher({**query, "nextPageToken": "abc"})],
    )
    found = client.events.query(MATCH_epc=payloads.UNIT, per_page=2, order_by="eventTime")
    assert [e["eventID"] for e in found] == [payloads.event(n)["eventID"] for n in (1, 2, 3)]


def test_a_link_to_another_host_only_gives_its_token(
    client: TraceClient, mocked: responses.RequestsMock
) -> None:
    mocked.get(
        API + "/batches",
        json={"batches": [payloads.batch(1)], "nextPageToken": None},
        headers={"Link": '<https://evil.example/steal?pageToken=t2>; rel="next"'},
    )
    mocked.get(
        API + "/batches",
        json={"batches": [payloads.batch(2)], "nextPageToken": None},
        match=[matchers.query_param_matcher({"pageToken": "t2"})],
    )
    assert [b.id for b in client.batches.list()] == [1, 2]
    assert all(c.request.url.startswith(API) for c in mocked.calls)


def test_a_repeating_token_stops_the_iteration() -> None:
    calls: list[str | None] = []

    def fetch(token: str | None) -> Page[int]:
        calls.append(token)
        return Page([len(calls)], "same")

    assert list(Pager(fetch)) == [1, 2]
    assert calls == [None, "same"]


@pytest.mark.parametrize(
    ("link", "expected"),
    [
        (None, None),
        ('<http://x/a?pageToken=p1&b=2>; rel="next"', "p1"),
        ('<http://x/a?b=2>; rel="next"', None),
        ('<http://x/a?pageToken=p1>; rel="prev"', None),
    ],
)
def test_next_token_from_link(
    mocked: responses.RequestsMock, link: str | None, expected: str | None
) -> None:
    mocked.get("http://x/a", json={}, headers={"Link": link} if link else {})
    response = requests.get("http://x/a", timeout=1)
    assert next_token(response, None, "pageToken") == expected
    assert next_token(response, "body-token", "pageToken") == "body-token"


def test_capture_jobs_are_paged_with_next_page_token(
    client: TraceClient, mocked: responses.RequestsMock
) -> None:
    mocked.get(
        EPCIS + "/capture",
        json=[payloads.capture_job("1")],
        headers={"Link": f'<{EPCIS}/capture?perPage=1&nextPageToken=djF8MQ>; rel="next"'},
        match=[matchers.query_param_matcher({"perPage": "1"})],
    )
    mocked.get(
        EPCIS + "/capture",
        json=[payloads.capture_job("2")],
        match=[matchers.query_param_matcher({"perPage": "1", "nextPageToken": "djF8MQ"})],
    )
    assert [job.capture_id for job in client.events.captures(per_page=1)] == ["1", "2"]
