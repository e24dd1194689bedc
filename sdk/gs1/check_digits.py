"""GS1 check digits: the mod-10 check digit of numeric keys and the GMN check character pair."""

from __future__ import annotations

from shoptrace.sdk.errors import InvalidElementString

_DIGITS = frozenset("0123456789")


def check_digit(digits: str) -> str:
    """Return the GS1 mod-10 check digit for ``digits`` (the key without its check digit).

    Weights 3 and 1 alternate from the rightmost digit, as in every GS1 numeric key
    (GTIN, SSCC, GLN, GSIN, GRAI, GDTI, GCN, GSRN, ...).
    """
    if not digits or not _DIGITS.issuperset(digits):
        raise InvalidElementString(
            f"check digit: {digits!r} must be one or more digits", rule="numeric"
        )
    # Summed a group at a time (the bytes' codes, each 48 above its digit): twice as fast as
    # a loop over the characters, and capture computes one for every new EPC URN.
    codes = digits.encode("ascii")
    threes = codes[-1::-2]
    ones = codes[-2::-2]
    total = 3 * sum(threes) + sum(ones) - 48 * (3 * len(threes) + len(ones))
    return str(-total % 10)


def has_valid_check_digit(value: str) -> bool:
    """True when the last digit of ``value`` is the mod-10 check digit of the rest."""
    if len(value) < 2 or not _DIGITS.issuperset(value):
        return False
    return check_digit(value[:-1]) == value[-1]


# GMN (AI 8013) check character pair: ISO/IEC 7064 MOD 1021,32 over the CSET 82 values.
_CSET82 = "!\"%&'()*+,-./0123456789:;<=>?ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz"
_CSET32 = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
_PRIMES = (
    2,
    3,
    5,
    7,
    11,
    13,
    17,
    19,
    23,
    29,
    31,
    37,
    41,
    43,
    47,
    53,
    59,
    61,
    67,
    71,
    73,
    79,
    83,
    89,
    97,
    101,
    103,
    107,
    109,
    113,
    127,
    131,
    137,
    139,
    149,
    151,
    157,
    163,
    167,
    173,
    179,
    181,
    191,
    193,
    197,
    199,
    211,
    223,
    227,
    229,
    233,
    239,
    241,
    251,
    257,
    263,
    269,
    271,
    277,
    281,
    283,
    293,
    307,
    311,
    313,
    317,
    331,
    337,
    347,
    349,
    353,
    359,
    367,
    373,
    379,
    383,
    389,
    397,
    401,
    409,
    419,
    421,
    431,
    433,
    439,
    443,
    449,
    457,
    461,
    463,
    467,
    479,
    487,
    491,
    499,
    503,
    509,
)


def check_pair(data: str) -> str:
    """Return the two check characters of a GMN (AI 8013) for ``data`` (without them).

    Data of up to 97 characters (one prime weight each, as the GS1 reference linter) is
    supported; empty data has the pair ``"22"``.
    """
    if len(data) > len(_PRIMES):
        raise InvalidElementString("check pair: data too long", ai="8013", rule="csumalpha")
    total = 0
    n = len(data)
    for i, ch in enumerate(data):
        pos = _CSET82.find(ch)
        if pos < 0:
            raise InvalidElementString(
                f"check pair: {ch!r} is not in GS1 character set 82", ai="8013", rule="cset82"
            )
        total += pos * _PRIMES[n - i - 1]
    total %= 1021
    return _CSET32[total >> 5] + _CSET32[total & 31]


def has_valid_check_pair(value: str) -> bool:
    """True when the last two characters of ``value`` are the GMN check pair of the rest."""
    if len(value) < 2:
        return False
    try:
        return check_pair(value[:-2]) == value[-2:]
    except InvalidElementString:
        return False
