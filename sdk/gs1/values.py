"""Checking one AI value against its format and content rules, and AI pairs against each other."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from functools import lru_cache

from shoptrace.sdk.errors import InvalidElementString
from shoptrace.sdk.gs1.ai_table import AI_TABLE, AIEntry
from shoptrace.sdk.gs1.charsets import CSET39, CSET64, CSET82, DIGITS

_CSETS: dict[str, tuple[frozenset[str], str]] = {
    "N": (DIGITS, "digits only"),
    "X": (CSET82, "GS1 character set 82"),
    "Y": (CSET39, "GS1 character set 39"),
    "Z": (CSET64, "GS1 character set 64 (file-safe base64)"),
}

# One compiled step per component: (allowed set, set name, min, max, optional, linter calls).
_Step = tuple[
    frozenset[str], str, int, int, bool, tuple[tuple[str, Callable[[str], str | None]], ...]
]
_COMPILED: dict[str, tuple[_Step, ...]] = {}


def _linters() -> dict[str, Callable[[str], str | None]]:
    from shoptrace.sdk.gs1.linters import LINTERS

    return LINTERS


def _compile(entry: AIEntry) -> tuple[_Step, ...]:
    linters = _linters()
    steps = []
    for c in entry.components:
        allowed, name = _CSETS[c.cset]
        steps.append(
            (
                allowed,
                name,
                c.min_len,
                c.max_len,
                c.optional,
                tuple((n, linters[n]) for n in c.linters),
            )
        )
    compiled = tuple(steps)
    _COMPILED[entry.ai] = compiled
    return compiled


def value_problem(entry: AIEntry, value: str) -> str | None:
    """Why ``value`` is not a valid value of ``entry``'s AI, or ``None`` when it is.

    Components consume prefixes of their prescribed length in turn; optional components
    may be left out once the value is exhausted; only the last component varies in length.
    """
    steps = _COMPILED.get(entry.ai) or _compile(entry)
    pos = 0
    n = len(value)
    if n == 0:
        return "value is empty"
    last = len(steps) - 1
    for i, (allowed, set_name, lo, hi, optional, checks) in enumerate(steps):
        if pos >= n and optional:
            break
        if lo == hi:
            end = pos + hi
            if end > n:
                return f"too short: format {entry.format()} needs {entry.min_len} characters"
        else:
            end = n if i == last else pos + hi
            if end - pos > hi:
                return (
                    f"too long: format {entry.format()} allows at most {entry.max_len} characters"
                )
            if end - pos < lo:
                return f"too short: format {entry.format()}"
        part = value[pos:end]
        if not allowed.issuperset(part):
            bad = next(ch for ch in part if ch not in allowed)
            where = value.index(bad, pos) + 1
            return f"character {bad!r} at position {where} is not allowed ({set_name})"
        for _name, check in checks:
            problem = check(part)
            if problem:
                return problem
        pos = end
    if pos < n:
        return f"too long: format {entry.format()} allows at most {entry.max_len} characters"
    return None


def validate_value(ai: str, value: str) -> None:
    """Raise :class:`InvalidElementString` unless ``value`` is a valid value of ``ai``."""
    entry = AI_TABLE.get(ai)
    if entry is None:
        raise InvalidElementString(
            f"({ai}): unknown Application Identifier", ai=ai, rule="known AI"
        )
    problem = value_problem(entry, value)
    if problem:
        raise InvalidElementString(f"({ai}) {value!r}: {problem}", ai=ai, rule="format")


def _matches(pattern: str, ai: str) -> bool:
    """Does ``ai`` match ``pattern``, where ``n`` in the pattern stands for any digit?"""
    if "n" not in pattern:
        return pattern == ai
    return len(pattern) == len(ai) and all(p in ("n", a) for p, a in zip(pattern, ai, strict=True))


def association_problem(ais: Sequence[str] | Iterable[str]) -> str | None:
    """Why this set of AIs cannot go together (a required AI missing, or an exclusive pair),
    or ``None`` when the combination is valid."""
    return _association_problem(tuple(dict.fromkeys(ais)))


@lru_cache(maxsize=4096)
def _association_problem(present: tuple[str, ...]) -> str | None:
    # Real data uses few distinct AI combinations, so the answer is cached per combination.
    present_set = set(present)
    for ai in present:
        entry = AI_TABLE.get(ai)
        if entry is None:
            continue
        for pattern in entry.ex:
            for other in present:
                if other != ai and _matches(pattern, other):
                    return f"({ai}) must not appear together with ({other})"
        for requirement in entry.req:
            if not any(
                all(any(_matches(p, x) for x in present_set) for p in alternative.split("+"))
                for alternative in requirement
            ):
                wanted = " or ".join("(" + alt.replace("+", ")+(") + ")" for alt in requirement)
                return f"({ai}) requires {wanted}"
    return None
