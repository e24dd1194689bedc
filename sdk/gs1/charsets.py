"""The GS1 character sets: 82 (AI values), 39 (CPID, AI 8010) and 64 (file-safe base64, used
by digital signatures)."""

from __future__ import annotations

CSET82 = frozenset(
    "!\"%&'()*+,-./0123456789:;<=>?ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz"
)
CSET39 = frozenset("#-/0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ")
CSET64 = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_=")
DIGITS = frozenset("0123456789")


def is_cset82(value: str) -> bool:
    """True when every character of ``value`` is in GS1 AI encodable character set 82."""
    return CSET82.issuperset(value)


def is_cset39(value: str) -> bool:
    """True when every character of ``value`` is in GS1 AI encodable character set 39."""
    return CSET39.issuperset(value)


def is_cset64(value: str) -> bool:
    """True when ``value`` is file-safe base64 (GS1 character set 64), padding only at the end."""
    if not CSET64.issuperset(value):
        return False
    stripped = value.rstrip("=")
    return "=" not in stripped and len(value) - len(stripped) <= 2


def first_bad(value: str, allowed: frozenset[str]) -> int:
    """Index of the first character of ``value`` outside ``allowed``, or -1."""
    for i, ch in enumerate(value):
        if ch not in allowed:
            return i
    return -1
