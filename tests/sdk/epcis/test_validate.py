"""validate_event / validate_document: every rule, a valid and an invalid case each."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shoptrace.sdk.epcis import vocab
from shoptrace.sdk.epcis.validate import (
    EPCISValidationError,
    document_problems,
    event_problems,
    format_problem,
    is_date_time,
    is_uri,
    validate_document,
    validate_event,
)
from shoptrace.sdk.epcis.vocab import EPCIS_CONTEXT
from shoptrace.sdk.errors import ShoptraceError
from tests.sdk.epcis.conftest import (
    ABSENT,
    EPCIS_DIR,
    RULES,
    official_examples,
    rule_cases,
    rule_subject,
)

CONTEXT = RULES["context"]


def problems_of(case: dict[str, Any], which: str) -> list[tuple[str, str]]:
    subject = rule_subject(case, which)
    if case["base"] in ("document", "queryDocument"):
        return document_problems(subject)
    return event_problems(subject, context=CONTEXT)


@pytest.mark.parametrize("case", rule_cases())
def test_rule_valid_case_passes(case: dict[str, Any]) -> None:
    assert problems_of(case, "valid") == []


@pytest.mark.parametrize("case", rule_cases())
def test_rule_invalid_case_reports_exactly_the_rule(case: dict[str, Any]) -> None:
    problems = problems_of(case, "invalid")
    assert sorted(p for p, _ in problems) == sorted(p for p, _ in case["expect"])
    found = dict(problems)
    for pointer, fragment in case["expect"]:
        assert fragment in found[pointer], (pointer, found[pointer])


def _uri_format(value: object) -> bool:
    if not isinstance(value, str):
        return True
    scheme = urlsplit(value).scheme
    return bool(re.fullmatch(r"[A-Za-z][A-Za-z0-9+.-]*", scheme)) and not re.search(r"\s", value)


def _date_time_format(value: object) -> bool:
    if not isinstance(value, str):
        return True
    if "T" not in value.upper():
        return False
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return False
    return parsed.tzinfo is not None


@pytest.fixture(scope="module")
def official_schema() -> Any:
    """The official EPCIS 2.0 JSON Schema with independent ``uri``/``date-time`` checks."""
    jsonschema = pytest.importorskip("jsonschema")
    if not EPCIS_DIR.is_dir():
        pytest.skip(ABSENT)
    schema = json.loads((EPCIS_DIR / "EPCIS-JSON-Schema.json").read_text(encoding="utf-8"))
    checker = jsonschema.FormatChecker(formats=())
    checker.checks("uri")(_uri_format)
    checker.checks("date-time")(_date_time_format)
    return jsonschema.Draft7Validator(schema, format_checker=checker)


def _as_document(case: dict[str, Any], which: str) -> Any:
    subject = rule_subject(case, which)
    if case["base"] in ("document", "queryDocument"):
        return subject
    return {**RULES["bases"]["document"], "epcisBody": {"eventList": [subject]}}


@pytest.mark.parametrize("case", rule_cases(schema_only=True))
def test_rule_fixture_agrees_with_official_schema(
    case: dict[str, Any], official_schema: Any
) -> None:
    """Our fixtures are faithful: where the official JSON Schema expresses the rule, it
    accepts the valid case and rejects the invalid one too."""
    assert official_schema.is_valid(_as_document(case, "valid"))
    assert not official_schema.is_valid(_as_document(case, "invalid"))


@pytest.mark.conformance
@pytest.mark.parametrize("path", official_examples())
def test_official_example_validates(path: Path) -> None:
    doc = json.loads(path.read_text(encoding="utf-8"))
    assert document_problems(doc) == []
    validate_document(doc)


@pytest.mark.conformance
def test_all_47_official_examples_are_found(epcis_dir: Path) -> None:
    examples = list((epcis_dir / "JSON").rglob("*.jsonld"))
    assert len(examples) == 47
    assert any(p.name == "EPCISQueryDocument.jsonld" for p in examples)


@pytest.mark.conformance
def test_official_schema_test_events_validate_standalone(epcis_dir: Path) -> None:
    paths = sorted((epcis_dir / "JSON-Schema" / "test").glob("*.json"))
    assert len(paths) == 5
    for path in paths:
        assert event_problems(json.loads(path.read_text(encoding="utf-8"))) == [], path.name


def test_every_problem_is_collected_in_document_order() -> None:
    doc = {**RULES["bases"]["document"]}
    broken = {**RULES["bases"]["AggregationEvent"], "action": "MOVE", "eventTime": "noon"}
    doc["epcisBody"] = {"eventList": [broken, RULES["bases"]["ObjectEvent"], broken]}
    with pytest.raises(EPCISValidationError) as info:
        validate_document(doc)
    pointers = [p for p, _ in info.value.problems]
    assert pointers == [
        "/epcisBody/eventList/0/eventTime",
        "/epcisBody/eventList/0/action",
        "/epcisBody/eventList/2/eventTime",
        "/epcisBody/eventList/2/action",
    ]
    text = str(info.value)
    assert text.startswith("EPCIS validation failed: 4 problems")
    assert "/epcisBody/eventList/2/action: action must be one of" in text


def test_error_is_a_shoptrace_error_and_a_value_error() -> None:
    error = EPCISValidationError([("", "broken")])
    assert isinstance(error, ShoptraceError)
    assert isinstance(error, ValueError)
    assert error.problems == [("", "broken")]
    assert "(root): broken" in str(error)
    assert format_problem(("/a~1b", "x")) == "/a~1b: x"


def test_standalone_event_needs_its_own_context() -> None:
    event = RULES["bases"]["AggregationEvent"]
    assert event_problems(event) == [
        ("/@context", f"an event outside a document requires @context ({EPCIS_CONTEXT})")
    ]
    assert event_problems({"@context": EPCIS_CONTEXT, **event}) == []
    assert event_problems({"@context": {"x": "https://x.example/"}, **event}) == [
        ("/@context", f"@context must include the EPCIS 2.0 context {EPCIS_CONTEXT}")
    ]
    assert event_problems(event, in_document=True) == []


def test_event_context_adds_prefixes_to_the_documents() -> None:
    event = {**RULES["bases"]["AggregationEvent"], "acme:grade": "A"}
    assert [p for p, _ in event_problems(event, context=CONTEXT)] == ["/acme:grade"]
    event["@context"] = {"acme": "https://ns.acme.example/"}
    assert event_problems(event, context=CONTEXT) == []


def test_unknown_remote_context_leaves_prefixes_unchecked() -> None:
    event = {
        "@context": [EPCIS_CONTEXT, "https://ns.acme.example/context.jsonld"],
        **RULES["bases"]["AggregationEvent"],
        "acme:grade": "A",
    }
    assert event_problems(event) == []
    event["grade"] = "B"
    assert [p for p, _ in event_problems(event)] == ["/grade"]


def test_context_entries_must_be_uris_or_objects_and_unique() -> None:
    doc = {**RULES["bases"]["document"], "@context": [EPCIS_CONTEXT, EPCIS_CONTEXT, 7]}
    assert [p for p, _ in document_problems(doc)] == ["/@context/1", "/@context/2"]


def test_non_object_inputs_are_reported_not_raised() -> None:
    assert document_problems([]) == [("", "an EPCIS document must be a JSON object, got []")]
    assert event_problems("ObjectEvent")[0][0] == ""
    doc = {**RULES["bases"]["document"], "epcisBody": {"eventList": [1, None]}}
    assert [p for p, _ in document_problems(doc)] == [
        "/epcisBody/eventList/0",
        "/epcisBody/eventList/1",
    ]


def test_validate_event_raises_with_problems() -> None:
    with pytest.raises(EPCISValidationError) as info:
        validate_event({"type": "ObjectEvent"}, in_document=True)
    assert [p for p, _ in info.value.problems] == [
        "/eventTime",
        "/eventTimeZoneOffset",
        "/action",
        "",
    ]


def test_extension_names_in_pointers_are_escaped() -> None:
    event = {**RULES["bases"]["AggregationEvent"], "http://ns.example.com/a b": 1}
    pointers = [p for p, _ in event_problems(event, context=CONTEXT)]
    assert pointers == ["/http:~1~1ns.example.com~1a b"]


@given(
    st.datetimes(
        min_value=datetime(1, 1, 2),
        max_value=datetime(9999, 12, 30),
        timezones=st.sampled_from([UTC, timezone(timedelta(hours=-9, minutes=-30))]),
    )
)
def test_is_date_time_accepts_every_aware_isoformat(moment: datetime) -> None:
    assert is_date_time(moment.isoformat())
    assert is_date_time(moment.isoformat(timespec="milliseconds").replace("+00:00", "Z"))
    assert not is_date_time(moment.replace(tzinfo=None).isoformat())


@given(st.text(max_size=40))
def test_is_date_time_agrees_with_datetime(text: str) -> None:
    if is_date_time(text):
        assert datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))


@given(st.from_regex(r"[a-z][a-z0-9+.-]{0,8}:[A-Za-z0-9/?#@._~-]{0,30}", fullmatch=True))
def test_is_uri_accepts_scheme_and_uri_characters(text: str) -> None:
    assert is_uri(text)
    assert not is_uri(text + " x")
    assert not is_uri(text.split(":", 1)[1])


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=12), children, max_size=3)
    ),
    max_leaves=12,
)
FIELDS = sorted(
    {key for base in RULES["bases"].values() for key in base} | {"ilmd", "quantityList"}
)


@settings(max_examples=300)
@given(
    st.sampled_from(
        [
            "ObjectEvent",
            "AggregationEvent",
            "TransactionEvent",
            "TransformationEvent",
            "AssociationEvent",
        ]
    ),
    st.dictionaries(st.sampled_from(FIELDS), JSON, max_size=6),
)
def test_any_field_values_give_problems_never_crashes(etype: str, fields: dict[str, Any]) -> None:
    event = {**RULES["bases"][etype], **fields}
    problems = event_problems(event, context=CONTEXT)
    assert all(isinstance(p, str) and isinstance(m, str) for p, m in problems)
    doc = {**RULES["bases"]["document"], "epcisBody": {"eventList": [event]}}
    try:
        validate_document(doc)
    except EPCISValidationError as exc:
        assert exc.problems


@settings(max_examples=200)
@given(JSON)
def test_any_json_document_gives_problems_never_crashes(value: Any) -> None:
    problems = document_problems(value)
    assert problems
    assert all(p == "" or p.startswith("/") for p, _ in problems)


SCHEMA_ENUMS = {
    "bizStep": "bizStep",
    "disposition": "disposition",
    "bizTransactionType": "bizTransaction-type",
    "sourceDestType": "source-dest-type",
    "errorReason": "error-reason",
    "component": "component",
    "measurementType": "measurementType",
    "sensorAlertType": "sensorAlertType",
}


@pytest.mark.conformance
@pytest.mark.parametrize("name", sorted(SCHEMA_ENUMS))
def test_vocabulary_constants_match_the_official_schema(name: str, epcis_dir: Path) -> None:
    schema = json.loads((epcis_dir / "EPCIS-JSON-Schema.json").read_text(encoding="utf-8"))
    choices = schema["definitions"][SCHEMA_ENUMS[name]]["anyOf"]
    enum = next(choice["enum"] for choice in choices if "enum" in choice)
    assert set(map(str, vocab.VOCABULARIES[name])) == set(enum)


@pytest.mark.parametrize(
    ("kind", "value", "word"),
    [
        ("bizStep", "urn:epcglobal:cbv:bizstep:receiving", "receiving"),
        ("bizStep", "https://ref.gs1.org/cbv/BizStep-receiving", "receiving"),
        ("disposition", "cbv:Disp-recalled", "recalled"),
        ("bizTransactionType", "urn:epcglobal:cbv:btt:po", "po"),
        ("measurementType", "gs1:Temperature", "Temperature"),
        (
            "bizStep",
            "https://ns.example.com/bizstep/weighing",
            "https://ns.example.com/bizstep/weighing",
        ),
        ("bizStep", "urn:epcglobal:cbv:bizstep:nonsense", "urn:epcglobal:cbv:bizstep:nonsense"),
        ("disposition", vocab.Disposition.IN_TRANSIT, "in_transit"),
    ],
)
def test_bare_word_normalises_standard_values_only(kind: str, value: str, word: str) -> None:
    assert vocab.bare_word(kind, value) == word
    assert type(vocab.bare_word(kind, value)) is str
