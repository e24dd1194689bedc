"""The fast path of capture gives exactly what the general path gives.

For every event it accepts: no problem in the general validation, the same hash ID as the
general hashing, the eventTime and EPCs the store would read. Proved on generated events
(valid ones, and ones wrong in every way), on our rule cases and on every official GS1
example; and its two shortcuts (plain EPCs, plain times) on generated identifiers and times.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from shoptrace.sdk.epcis import epc, hashing
from shoptrace.sdk.epcis.fastpath import FastEvents, event_moment
from shoptrace.sdk.epcis.hashing import EPCISHashError, document_hashes
from shoptrace.sdk.epcis.validate import document_problems, is_date_time
from shoptrace.sdk.gs1.check_digits import check_digit
from tests.sdk.epcis import strategies as gen
from tests.sdk.epcis.conftest import RULES, official_examples, rule_subject

SETTINGS = settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
EVENT_POINTER = re.compile(r"/epcisBody/eventList/0(/.*)?")


def _document(context: Any, event: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "type": "EPCISDocument",
        "schemaVersion": "2.0",
        "creationDate": "2025-01-01T00:00:00Z",
        "epcisBody": {"eventList": [event]},
    }
    if context is not None:
        doc["@context"] = context
    return doc


def _general(context: Any, event: Any) -> tuple[list[tuple[str, str]], str | None]:
    """The general path: the event's problems in a document, and its hash ID (None when it
    cannot be hashed)."""
    doc = _document(context, event)
    problems = [p for p in document_problems(doc) if EVENT_POINTER.fullmatch(p[0])]
    try:
        hash_id: str | None = document_hashes(doc)[0]
    except EPCISHashError:
        hash_id = None
    return problems, hash_id


def _store_time(text: str) -> datetime:
    """eventTime as the store reads it (written out here independently of both paths)."""
    m = re.fullmatch(
        r"(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(?:\.(\d+))?(?:Z|([+-])(\d\d):(\d\d))", text
    )
    assert m is not None
    y, mo, d, h, mi, s, frac, sign, oh, om = m.groups()
    micro = int((frac or "0")[:6].ljust(6, "0"))
    moment = datetime(int(y), int(mo), int(d), int(h), int(mi), int(s), micro, tzinfo=UTC)
    if sign:
        offset = timedelta(hours=int(oh), minutes=int(om))
        moment = moment - offset if sign == "+" else moment + offset
    return moment


def _store_epcs(event: dict[str, Any]) -> dict[str, tuple[str, ...]]:
    found: dict[str, tuple[str, ...]] = {}
    if "parentID" in event:
        found["parentID"] = (epc.try_canonical_dl(event["parentID"]) or event["parentID"],)
    for name in gen.EPC_LISTS:
        if name in event:
            canonical = [epc.try_canonical_dl(v) or v for v in event[name]]
            found[name] = tuple(dict.fromkeys(canonical))
    return found


def assert_agrees(checker: FastEvents, context: Any, event: Any) -> bool:
    """The fast path's answer is the general path's; True when it answered."""
    fast = checker.check(event)
    if fast is None:
        return False
    problems, hash_id = _general(context, event)
    assert problems == [], event
    assert fast.hash_id == hash_id, event
    assert fast.event_time == _store_time(event["eventTime"])
    assert fast.event_time.tzinfo is UTC
    assert dict(fast.epcs) == _store_epcs(event)
    assert [name for name, _ in fast.epcs] == sorted(
        (name for name, _ in fast.epcs), key=("parentID", *gen.EPC_LISTS).index
    )
    return True


@SETTINGS
@given(event=gen.any_events(), context=st.sampled_from(gen.CONTEXTS))
def test_any_event_the_fast_path_accepts_is_valid_with_the_same_hash(
    event: Any, context: Any
) -> None:
    assert_agrees(FastEvents(context), context, event)


@SETTINGS
@given(events=st.lists(gen.any_events(), max_size=12), context=st.sampled_from(gen.CONTEXTS))
def test_one_checker_for_a_whole_document_agrees_event_by_event(
    events: list[Any], context: Any
) -> None:
    checker = FastEvents(context)  # its caches carry what one event taught to the next
    for event in events + events:
        assert_agrees(checker, context, event)


@SETTINGS
@given(event=gen.valid_events(), context=st.sampled_from(gen.CONTEXTS[:4]))
def test_common_valid_events_take_the_fast_path(event: dict[str, Any], context: Any) -> None:
    problems, hash_id = _general(context, event)
    assert problems == [] and hash_id is not None
    assert assert_agrees(FastEvents(context), context, event), event


def test_the_fast_path_refuses_what_it_does_not_handle() -> None:
    base = {
        "type": "ObjectEvent",
        "eventTime": "2024-05-01T10:00:00Z",
        "eventTimeZoneOffset": "+00:00",
        "action": "OBSERVE",
        "epcList": [gen.VALID_EPCS[0]],
    }
    checker = FastEvents(gen.EPCIS_CONTEXT)
    assert checker.check(base) is not None
    for key, value in [
        ("example:note", "x"),
        ("quantityList", []),
        ("ilmd", {}),
        ("@context", gen.EPCIS_CONTEXT),
        ("parentID", gen.VALID_EPCS[1]),  # not a field of an ObjectEvent
        ("bizStep", "shiping"),
        ("eventTime", "2016-12-31T23:59:60Z"),
    ]:
        assert checker.check({**base, key: value}) is None, key
    assert checker.check({**base, "epcList": [gen.VALID_EPCS[0]] * 2}) is None
    assert FastEvents(5).check(base) is None  # a context no event can be hashed with


EVENT_RULES = [c for c in RULES["cases"] if c["base"] not in ("document", "queryDocument")]


@pytest.mark.parametrize("case", EVENT_RULES, ids=[c["id"] for c in EVENT_RULES])
def test_rule_cases(case: dict[str, Any]) -> None:
    for which in ("valid", "invalid"):
        event = rule_subject(case, which)
        context = event.pop("@context", gen.EPCIS_CONTEXT)
        assert_agrees(FastEvents(context), context, event)


@pytest.mark.parametrize("path", official_examples())
def test_official_examples(path: Path) -> None:
    doc = json.loads(path.read_text(encoding="utf-8"))
    body = doc.get("epcisBody", {})
    events = body.get("eventList") or body.get("queryResults", {}).get("resultsBody", {}).get(
        "eventList", []
    )
    context = doc.get("@context")
    checker = FastEvents(context)
    for event in events:
        assert_agrees(checker, context, event)


# --- the shortcuts ------------------------------------------------------------------------


@settings(max_examples=1500, deadline=None)
@given(value=gen.epc_strings)
@example(value=f"{gen.SHOP}/01/{gen.GTIN}/10/01/21/A6")
@example(value=f"https://h/trace/01/{gen.GTIN}/21/X/01/{gen.GTIN}/21/Y")
def test_a_plain_epc_is_an_instance_epc_with_that_canonical_form(value: str) -> None:
    epc.clear_caches()
    canonical = epc.plain_epc_canonical(value)
    if canonical is None:
        return
    info = epc.classify(value)
    assert info is not None and info.level == "instance"
    assert canonical == epc.try_canonical_dl(value) == epc.to_canonical_dl(value)


def test_plain_epcs_are_recognised() -> None:
    for value in gen.VALID_EPCS[:7] + gen.VALID_EPCS[9:10] + gen.VALID_EPCS[11:14]:
        assert epc.plain_epc_canonical(value) == epc.try_canonical_dl(value), value


def _plain_by_one_pattern(value: str) -> str | None:
    """:func:`epc.plain_epc_canonical` of a Digital Link as first written: ``_STRICT_SGTIN``
    matched whole, nothing remembered (it now matches it in two parts, the head remembered)."""
    match = epc._STRICT_SGTIN.fullmatch(value)
    if match is None:
        return None
    gtin, serial = match.groups()
    if check_digit(gtin[:13]) != gtin[13]:
        return None
    return f"{epc.CANONICAL_STEM}/01/{gtin}/21/{epc._hash_escape(serial)}"


@settings(max_examples=1500, deadline=None)
@given(value=gen.epc_strings)
@example(value=f"{gen.SHOP}/01/{gen.GTIN}/10/01/21/A6")
@example(value=f"https://h/trace/01/{gen.GTIN}/21/X/01/{gen.GTIN}/21/Y")
@example(value=f"/21/{gen.GTIN}")
def test_what_plain_epcs_remember_changes_nothing(value: str) -> None:
    # A Digital Link's head (with its GTIN) and a URN's GTIN are remembered: a value reads
    # the same cold and after a sibling (same head, another serial) was read.
    sibling = value[: value.rfind("." if value[:4] == "urn:" else "/") + 1] + "S9"
    epc.clear_caches()
    cold = epc.plain_epc_canonical(value)
    epc.clear_caches()
    epc.plain_epc_canonical(sibling)
    assert epc.plain_epc_canonical(value) == cold
    if value[:4] != "urn:":
        assert cold == _plain_by_one_pattern(value)


@settings(max_examples=1500, deadline=None)
@given(text=gen.time_strings)
def test_an_event_time_read_once_is_what_validation_hashing_and_the_store_read(
    text: str,
) -> None:
    read = event_moment(text)
    if read is None:
        return
    assert is_date_time(text)
    assert read[0] == hashing._utc_millis(text, "eventTime")
    assert read[1] == _store_time(text) and read[1].tzinfo is UTC


def test_common_event_times_are_read() -> None:
    for text in gen.VALID_TIMES:
        assert event_moment(text) is not None, text
    assert event_moment("2024-05-01T10:00:00.000Z") == (
        "2024-05-01T10:00:00.000Z",
        datetime(2024, 5, 1, 10, tzinfo=UTC),
    )
    assert event_moment("2024-05-01T08:00:00.1236+08:00") == (
        "2024-05-01T00:00:00.124Z",
        datetime(2024, 5, 1, 0, 0, 0, 123600, tzinfo=UTC),
    )
