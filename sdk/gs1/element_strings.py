"""GS1 element strings: the AI data a barcode carries.

Two forms:

* the *unbracketed* element string read from a barcode, AIs concatenated, a value of
  variable length ended by FNC1 (transmitted as GS, ``\\x1d``) unless it is the last;
* the *bracketed* human-readable interpretation (HRI), ``(01)09506000134352(10)LOT42``,
  where a literal ``(`` inside a value is written ``\\(``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from shoptrace.sdk.errors import InvalidElementString
from shoptrace.sdk.gs1.ai_table import AI_TABLE, ai_prefix_length
from shoptrace.sdk.gs1.values import association_problem, value_problem

GS = "\x1d"
"""The ASCII group separator that stands for FNC1 in transmitted data."""

_SYMBOLOGY_IDS = ("]C1", "]e0", "]d2", "]Q3", "]J1")

AIPairs = list[tuple[str, str]]


def _check(pairs: AIPairs, *, check_associations: bool) -> AIPairs:
    seen: dict[str, str] = {}
    for ai, value in pairs:
        entry = AI_TABLE[ai]
        problem = value_problem(entry, value)
        if problem:
            raise InvalidElementString(f"({ai}) {value!r}: {problem}", ai=ai, rule="format")
        if ai in seen and seen[ai] != value:
            raise InvalidElementString(
                f"({ai}) appears twice with different values", ai=ai, rule="duplicate AI"
            )
        seen[ai] = value
    if check_associations:
        problem = association_problem(ai for ai, _ in pairs)
        if problem:
            raise InvalidElementString(problem, rule="AI association")
    return pairs


def parse_element_string(
    data: str, *, separator: str = GS, check_associations: bool = True
) -> AIPairs:
    """Parse an unbracketed element string into ``[(ai, value), ...]``.

    A leading symbology identifier (``]d2``, ``]Q3``, ...) or a leading separator (FNC1 in
    first position) is skipped. ``separator`` is the character that stands for FNC1: GS by
    default, ``"^"`` for the notation of the GS1 Barcode Syntax Engine.
    """
    if not isinstance(data, str):
        raise InvalidElementString("element string must be text", rule="type")
    for sid in _SYMBOLOGY_IDS:
        if data.startswith(sid):
            data = data[3:]
            break
    if data.startswith(separator):
        data = data[1:]
    if not data:
        raise InvalidElementString("element string is empty", rule="not empty")
    pairs: AIPairs = []
    pos = 0
    n = len(data)
    while pos < n:
        ailen = ai_prefix_length(data[pos : pos + 4])
        if not ailen:
            raise InvalidElementString(
                f"no known Application Identifier at position {pos + 1}: {data[pos : pos + 4]!r}",
                rule="known AI",
            )
        ai = data[pos : pos + ailen]
        entry = AI_TABLE[ai]
        pos += ailen
        if entry.fixed:
            end = pos + entry.max_len
            if end > n:
                raise InvalidElementString(
                    f"({ai}): value is too short for format {entry.format()}", ai=ai, rule="format"
                )
        else:
            sep = data.find(separator, pos)
            end = n if sep < 0 else sep
        value = data[pos:end]
        if not value:
            raise InvalidElementString(f"({ai}): value is empty", ai=ai, rule="not empty")
        pairs.append((ai, value))
        pos = end
        if pos < n and data[pos] == separator:
            pos += 1
            if pos == n:
                raise InvalidElementString(
                    "element string ends with a separator", rule="no trailing FNC1"
                )
    return _check(pairs, check_associations=check_associations)


def build_element_string(
    pairs: Iterable[tuple[str, str]], *, separator: str = GS, fnc1_first: bool = False
) -> str:
    """Concatenate ``(ai, value)`` pairs, with ``separator`` after every variable-length value
    that is not last. ``fnc1_first`` prefixes the separator (FNC1 in first position)."""
    out: list[str] = [separator] if fnc1_first else []
    need_sep = False
    for ai, value in pairs:
        entry = AI_TABLE.get(ai)
        if entry is None:
            raise InvalidElementString(
                f"({ai}): unknown Application Identifier", ai=ai, rule="known AI"
            )
        if need_sep:
            out.append(separator)
        out.append(ai)
        out.append(value)
        need_sep = not entry.fixed
    return "".join(out)


def parse_hri(text: str, *, check_associations: bool = True) -> AIPairs:
    """Parse bracketed AI data, ``(01)09506000134352(10)LOT42``, into ``[(ai, value), ...]``.

    ``\\(`` in a value stands for a literal ``(``.
    """
    if not isinstance(text, str):
        raise InvalidElementString("bracketed AI data must be text", rule="type")
    if not text.startswith("("):
        raise InvalidElementString(
            "bracketed AI data must start with '(' and an AI", rule="bracketed syntax"
        )
    pairs: AIPairs = []
    pos = 0
    n = len(text)
    while pos < n:
        close = text.find(")", pos)
        if text[pos] != "(" or close < 0:
            raise InvalidElementString(
                f"expected '(AI)' at position {pos + 1}", rule="bracketed syntax"
            )
        ai = text[pos + 1 : close]
        if ai not in AI_TABLE:
            raise InvalidElementString(
                f"({ai}): unknown Application Identifier", ai=ai, rule="known AI"
            )
        pos = close + 1
        chars: list[str] = []
        while pos < n:
            ch = text[pos]
            if ch == "\\" and pos + 1 < n and text[pos + 1] == "(":
                chars.append("(")
                pos += 2
                continue
            if ch == "(":
                break
            chars.append(ch)
            pos += 1
        value = "".join(chars)
        if not value:
            raise InvalidElementString(f"({ai}): value is empty", ai=ai, rule="not empty")
        pairs.append((ai, value))
    return _check(pairs, check_associations=check_associations)


def build_hri(pairs: Sequence[tuple[str, str]] | Iterable[tuple[str, str]]) -> str:
    """Bracketed AI data for people and for ``parse_hri``: ``(01)09506000134352(10)LOT42``."""
    return "".join(f"({ai}){value.replace('(', chr(92) + '(')}" for ai, value in pairs)
