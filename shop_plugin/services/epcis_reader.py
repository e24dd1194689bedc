"""Read an EPCIS document from a byte stream, one event at a time.

A captured document may hold a hundred thousand events; it is never held whole. The members
around the event list (``@context``, ``type``, the header) are small and decoded whole; the
events of ``epcisBody.eventList`` (or, in an EPCISQueryDocument,
``epcisBody.queryResults.resultsBody.eventList``) are decoded and handed over one by one.
When the event list comes before ``@context`` (JSON does not order members), the events are
kept in a temporary file until the context is known, so memory stays bounded either way.
"""

from __future__ import annotations

import codecs
import json
import re
import tempfile
from collections.abc import Callable, Iterator
from typing import IO, Any

__all__ = ["DocumentReader", "MalformedDocument"]

_WS = frozenset(" \t\n\r")
_DESCEND = frozenset(
    {"/epcisBody", "/epcisBody/queryResults", "/epcisBody/queryResults/resultsBody"}
)
_EVENT_LISTS = frozenset({"/epcisBody/eventList", "/epcisBody/queryResults/resultsBody/eventList"})
_CHUNK = 1 << 16
_SEPARATOR = re.compile(r"[ \t\n\r]*([,\]])[ \t\n\r]*")
"""What follows a list item: white space, a comma or the closing bracket, white space."""


class MalformedDocument(ValueError):
    """The bytes are not a JSON document of the expected shape; ``pointer`` says where."""

    def __init__(self, pointer: str, message: str) -> None:
        super().__init__(message)
        self.pointer = pointer
        self.message = message


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


_DECODER = json.JSONDecoder(parse_constant=_reject_constant)
_scan: Callable[[str, int], tuple[Any, int]] = _DECODER.scan_once  # type: ignore[attr-defined]
"""What ``_DECODER.raw_decode`` calls, without its wrapping (for the quick reads); set in
``JSONDecoder.__init__``, which typeshed does not declare."""


class _Text:
    """UTF-8 text decoded from a byte stream into a sliding buffer."""

    def __init__(self, stream: IO[bytes], max_value_chars: int) -> None:
        self.stream = stream
        self.decoder = codecs.getincrementaldecoder("utf-8-sig")()
        self.buf = ""
        self.pos = 0
        self.offset = 0  # characters dropped from the front of the buffer
        self.eof = False
        self.max_value_chars = max_value_chars

    def more(self, size: int = _CHUNK) -> bool:
        """Read more text; False at the end of the stream."""
        if self.eof:
            return False
        data = self.stream.read(size)
        if self.pos > _CHUNK:
            self.offset += self.pos
            self.buf = self.buf[self.pos :]
            self.pos = 0
        try:
            self.buf += self.decoder.decode(data or b"", final=not data)
        except UnicodeDecodeError as exc:
            raise MalformedDocument(
                "", f"not valid JSON: the bytes are not UTF-8 ({exc.reason})"
            ) from None
        if not data:
            self.eof = True
        return True

    def where(self) -> str:
        return f"at character {self.offset + self.pos + 1}"

    def peek(self) -> str:
        """The next character that is not white space ('' at the end)."""
        while True:
            buf, pos = self.buf, self.pos
            while pos < len(buf) and buf[pos] in _WS:
                pos += 1
            self.pos = pos
            if pos < len(buf):
                return buf[pos]
            if not self.more():
                return ""

    def expect(self, chars: str, pointer: str) -> str:
        found = self.peek()
        if not found or found not in chars:
            shown = repr(found) if found else "the end of the document"
            wanted = " or ".join(repr(c) for c in chars)
            raise MalformedDocument(
                pointer, f"not valid JSON: expected {wanted} {self.where()}, found {shown}"
            )
        self.pos += 1
        return found

    def value(self, pointer: str) -> Any:
        """Decode the JSON value that starts here."""
        return self.value_and_text(pointer)[0]

    def value_and_text(self, pointer: str) -> tuple[Any, str]:
        """Decode the JSON value that starts here; also return its text as written."""
        self.peek()
        size = _CHUNK
        while True:
            try:
                value, end = _DECODER.raw_decode(self.buf, self.pos)
            except json.JSONDecodeError as exc:
                if self._grow(size, pointer):
                    size *= 2
                    continue
                raise MalformedDocument(
                    pointer, f"not valid JSON: {exc.msg} at character {self.offset + exc.pos + 1}"
                ) from None
            except ValueError as exc:
                raise MalformedDocument(pointer, f"not valid JSON: {exc}") from None
            except RecursionError:
                raise MalformedDocument(pointer, "not valid JSON here: nested too deeply") from None
            if end == len(self.buf) and self._grow(size, pointer):
                size *= 2  # a number may go on in the next chunk
                continue
            text = self.buf[self.pos : end]
            self.pos = end
            return value, text

    def quick_value(self) -> tuple[Any, str] | None:
        """:meth:`value_and_text` of a value that starts right here (no white space first)
        and ends before the end of the buffer, the common case, without its checks and
        messages; ``None`` (nothing read) for anything else: ask :meth:`value_and_text`.

        It keeps a chunk of text ahead, so that a value seldom runs past the end of the
        buffer: a value cut short costs a failed decoding, whose error, even unused, counts
        the lines of the whole buffer."""
        if len(self.buf) - self.pos < _CHUNK:
            self.more()
        buf, start = self.buf, self.pos
        try:
            value, end = _scan(buf, start)
        except (StopIteration, ValueError, RecursionError):
            return None
        if end == len(buf):
            return None  # a number may go on in the next chunk
        self.pos = end
        return value, buf[start:end]

    def quick_separator(self) -> str | None:
        """The ``,`` or ``]`` after a list item, and the white space around it, read;
        ``None`` (nothing read) when the buffer does not show one: ask :meth:`expect`."""
        found = _SEPARATOR.match(self.buf, self.pos)
        if found is None:
            return None
        self.pos = found.end()
        return found[1]

    def _grow(self, size: int, pointer: str) -> bool:
        if len(self.buf) - self.pos > self.max_value_chars:
            raise MalformedDocument(
                pointer, f"a single value is larger than {self.max_value_chars} characters"
            )
        return self.more(size)


class DocumentReader:
    """The members and events of one EPCIS document read from ``stream``.

    Iterate :meth:`events` for ``(index, event)``; afterwards :attr:`head` is the document
    with an empty event list and :attr:`events_pointer` the JSON pointer of the list.
    :attr:`context` is the document's ``@context`` as soon as the first event is handed over.
    Raises :class:`MalformedDocument` for text that is not a JSON object of that shape.
    """

    def __init__(self, stream: IO[bytes], *, max_value_chars: int = 8 << 20) -> None:
        self._text = _Text(stream, max_value_chars)
        self.head: dict[str, Any] = {}
        self.events_pointer: str | None = None
        self._spool: IO[str] | None = None
        self._count = 0

    @property
    def context(self) -> Any:
        """The document's ``@context`` (None while unknown or absent)."""
        return self.head.get("@context")

    @property
    def event_count(self) -> int:
        """Events read so far."""
        return self._count

    def events(self) -> Iterator[tuple[int, Any]]:
        """Every event in document order, numbered from 0."""
        for index, event, _text in self.events_with_text():
            yield index, event

    def events_with_text(self) -> Iterator[tuple[int, Any, str]]:
        """Every event in document order, numbered from 0, with its JSON text as written."""
        text = self._text
        first = text.peek()
        if first != "{":
            shown = repr(first) if first else "nothing"
            if first and first not in '[{"-0123456789tfn':
                raise MalformedDocument("", f"not valid JSON: unexpected {shown} {text.where()}")
            raise MalformedDocument("", f"an EPCIS document must be a JSON object, got {shown}")
        try:
            yield from self._object(self.head, "")
            if text.peek():
                raise MalformedDocument("", f"not valid JSON: extra data {text.where()}")
            if self._spool is not None:
                yield from self._replay()
        finally:
            if self._spool is not None:
                self._spool.close()
                self._spool = None

    def _object(self, target: dict[str, Any], pointer: str) -> Iterator[tuple[int, Any, str]]:
        """Members of the object that starts here into ``target``, events handed over."""
        text = self._text
        text.expect("{", pointer)
        if text.peek() == "}":
            text.pos += 1
            return
        while True:
            if text.peek() != '"':
                text.expect('"', pointer)
            key = text.value(pointer)
            text.expect(":", pointer)
            here = f"{pointer}/{_escape(key)}"
            if here in _DESCEND and text.peek() == "{":
                inner: dict[str, Any] = {}
                target[key] = inner
                yield from self._object(inner, here)
            elif here in _EVENT_LISTS and text.peek() == "[":
                if self.events_pointer is not None:
                    raise MalformedDocument(here, "the document has more than one event list")
                self.events_pointer = here
                target[key] = []
                yield from self._list(here)
            else:
                target[key] = text.value(here)
            if text.expect(",}", pointer) == "}":
                return

    def _list(self, pointer: str) -> Iterator[tuple[int, Any, str]]:
        text = self._text
        text.expect("[", pointer)
        if text.peek() == "]":
            text.pos += 1
            return
        while True:  # the quick reads serve every event but one cut short by the buffer end
            index = self._count
            read = text.quick_value()
            event, written = read or text.value_and_text(f"{pointer}/{index}")
            self._count = index + 1
            if "@context" in self.head:
                yield index, event, written
            else:
                self._keep(written)
            if (text.quick_separator() or text.expect(",]", pointer)) == "]":
                return

    def _keep(self, written: str) -> None:
        if self._spool is None:
            self._spool = tempfile.SpooledTemporaryFile(
                max_size=16 << 20, mode="w+", encoding="utf-8"
            )
        self._spool.write(json.dumps(written) + "\n")

    def _replay(self) -> Iterator[tuple[int, Any, str]]:
        spool = self._spool
        assert spool is not None
        spool.seek(0)
        for index, line in enumerate(spool):
            written = json.loads(line)
            yield index, _DECODER.decode(written), written


def _escape(key: Any) -> str:
    return str(key).replace("~", "~0").replace("/", "~1")
