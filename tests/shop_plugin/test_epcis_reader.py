"""The streaming document reader: events one at a time, bounded memory, exact errors."""

from __future__ import annotations

import io
import json
import tracemalloc
from collections.abc import Iterator
from typing import Any

import pytest

from shoptrace.shop_plugin.services.epcis_reader import DocumentReader, MalformedDocument


class _Generated(io.RawIOBase):
    """A byte stream produced piece by piece, never whole in memory."""

    def __init__(self, pieces: Iterator[bytes]) -> None:
        self.pieces = pieces
        self.pending = b""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        while not self.pending:
            try:
                self.pending = next(self.pieces)
            except StopIteration:
                return 0
        size = min(len(buffer), len(self.pending))
        buffer[:size] = self.pending[:size]
        self.pending = self.pending[size:]
        return size


def _event(i: int) -> dict[str, Any]:
    return {"type": "ObjectEvent", "n": i, "epcList": [f"urn:epc:id:sgtin:9506000.013435.{i}"]}


def _pieces(count: int) -> Iterator[bytes]:
    yield b'{"@context": "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld",'
    yield b' "type": "EPCISDocument", "epcisBody": {"eventList": ['
    for i in range(count):
        yield (b"," if i else b"") + json.dumps(_event(i)).encode()
    yield b"]}}"


def test_a_large_document_is_read_in_bounded_memory() -> None:
    count = 100_000  # about 9 MB of JSON
    tracemalloc.start()
    try:
        reader = DocumentReader(io.BufferedReader(_Generated(_pieces(count)), 1 << 16))
        seen = 0
        for index, event in reader.events():
            assert index == seen and event["n"] == seen
            seen += 1
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert seen == count
    assert peak < 2 << 20, f"peak {peak} bytes"
    assert reader.head["epcisBody"] == {"eventList": []}
    assert reader.events_pointer == "/epcisBody/eventList"


class _Trickle(io.BytesIO):
    def read(self, size: int | None = -1) -> bytes:
        return super().read(7)


@pytest.mark.parametrize("indent", [None, 2])
def test_events_split_across_reads_and_members_in_any_order(indent: int | None) -> None:
    events = [_event(i) | {"note": "é" * (i % 5)} for i in range(50)]
    doc = {
        "epcisBody": {"eventList": events, "x:big": 12345678901234567890},
        "type": "EPCISDocument",
        "@context": ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"],
    }
    reader = DocumentReader(_Trickle(json.dumps(doc, indent=indent).encode()))
    assert [event for _, event in reader.events()] == events
    assert reader.head["epcisBody"]["x:big"] == 12345678901234567890
    assert reader.event_count == 50


class _Pieces(io.BytesIO):
    def read(self, size: int | None = -1) -> bytes:
        return super().read(1000)


@pytest.mark.parametrize("stream", [io.BytesIO, _Trickle, _Pieces])
def test_each_event_comes_with_its_text_as_written(stream: type[io.BytesIO]) -> None:
    # Many chunks' worth of events, between all kinds of white space, some cut by the end
    # of a chunk, one a bare number: each comes with its text exactly.
    spacing = ["", " ", "\n  ", "\t\r\n"]
    texts = [
        json.dumps(_event(i), indent=(None, 1)[i % 2]) if i % 7 else str(10**20 + i)
        for i in range(3000)
    ]
    separators = [spacing[i % 4] + "," + spacing[(i // 4) % 4] for i in range(len(texts))]
    body = "".join(sep + text for sep, text in zip(separators, texts, strict=True))[1:]
    raw = '{"@context": "c", "epcisBody": {"eventList": [ ' + body + " ]}}"
    reader = DocumentReader(stream(raw.encode()))
    read = list(reader.events_with_text())
    assert [text for _, _, text in read] == texts
    assert [event for _, event, _ in read] == [json.loads(text) for text in texts]
    assert [index for index, _, _ in read] == list(range(len(texts)))


def test_query_documents_are_read_too() -> None:
    doc = {
        "@context": "c",
        "type": "EPCISQueryDocument",
        "epcisBody": {
            "queryResults": {"queryName": "q", "resultsBody": {"eventList": [_event(1)]}}
        },
    }
    reader = DocumentReader(io.BytesIO(json.dumps(doc).encode()))
    assert [event for _, event in reader.events()] == [_event(1)]
    assert reader.events_pointer == "/epcisBody/queryResults/resultsBody/eventList"


@pytest.mark.parametrize(
    ("raw", "pointer", "fragment"),
    [
        (
            b'{"epcisBody": {"eventList": [{"a": 1}, {"a": ]}}',
            "/epcisBody/eventList/1",
            "character 46",
        ),
        (
            b'{"epcisBody": {"eventList": [], "eventList": []}}',
            "/epcisBody/eventList",
            "more than one",
        ),
        (b'{"a": 1,}', "", "expected '\"'"),
        (b'{"a" 1}', "", "expected ':'"),
        (b"  ", "", "got nothing"),
        (b'{"a": "' + b"x" * 200_000 + b'"}', "/a", "larger than 1000"),
    ],
)
def test_malformed_text_is_reported_with_its_place(raw: bytes, pointer: str, fragment: str) -> None:
    reader = DocumentReader(io.BytesIO(raw), max_value_chars=1000)
    with pytest.raises(MalformedDocument) as caught:
        list(reader.events())
    assert caught.value.pointer == pointer
    assert fragment in caught.value.message
