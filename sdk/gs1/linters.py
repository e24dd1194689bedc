"""GS1 content linters: the content rules that the AI table names for each component.

Each linter takes one component value (already checked for its character set and length) and
returns ``None`` when the value is fine, or a short English phrase naming the rule it breaks.
The rules follow the GS1 General Specifications as the GS1 Barcode Syntax Tests implement them
(the ``lint_*`` rules of the GS1 Barcode Syntax Dictionary). Linters sit on the hot path of the
Digital Link parser: each is a few set look-ups or one pass over the value, never raises for
any ``str``, and builds nothing per call that could be built once.

Code lists (ISO 3166-1, ISO 4217, PackageTypeCode, AIDC media types, the IBAN registry) are
the current published ones; they change now and then and must be kept up to date here.
"""

from __future__ import annotations

from collections.abc import Callable

from shoptrace.sdk.errors import InvalidElementString
from shoptrace.sdk.gs1.charsets import DIGITS
from shoptrace.sdk.gs1.check_digits import check_pair

Linter = Callable[[str], str | None]
"""A content rule: the component value in, ``None`` or the name of the broken rule out."""

_NON_DIGIT = "non-digit character"


# ``isascii() and isdigit()`` is ``DIGITS.issuperset`` for non-empty strings, done in C; the
# hot-path linters below use it where the empty string is already ruled out.


# -- Check digits ---------------------------------------------------------------------------


def csum(value: str) -> str | None:
    """The last digit is the GS1 mod-10 check digit of the digits before it."""
    if not value:
        return "too short for a check digit"
    if not (value.isascii() and value.isdigit()):
        return _NON_DIGIT
    # Weight 1 from the check digit leftwards, alternating with 3; ASCII digit = byte - 48.
    raw = value.encode("ascii")
    ones, threes = raw[-1::-2], raw[-2::-2]
    total = sum(ones) - 48 * len(ones) + 3 * (sum(threes) - 48 * len(threes))
    return None if total % 10 == 0 else "incorrect check digit"


def csumalpha(value: str) -> str | None:
    """The last two characters are the GS1 check character pair of the rest (GMN, AI 8013)."""
    if len(value) < 2:
        return "too short for a check character pair"
    try:
        expected = check_pair(value[:-2])
    except InvalidElementString as exc:
        if exc.rule == "cset82":
            return "invalid GS1 character set 82 character"
        return "too long for a check character pair"
    return None if expected == value[-2:] else "incorrect check character pair"


# -- GS1 Company Prefix ---------------------------------------------------------------------

_GCP_MIN_LENGTH = 4  # the shortest GS1 Company Prefix


def gcppos1(value: str) -> str | None:
    """The value starts with a GS1 Company Prefix.

    Without a table of allocated prefixes this checks what the GS1 reference linter checks
    without one: the value is long enough and starts with the digits of the shortest GCP.
    """
    if len(value) < _GCP_MIN_LENGTH:
        return "too short to start with a GS1 Company Prefix"
    prefix = value[:_GCP_MIN_LENGTH]
    if not (prefix.isascii() and prefix.isdigit()):
        return "does not start with a GS1 Company Prefix"
    return None


def gcppos2(value: str) -> str | None:
    """The value starts with a GS1 Company Prefix from its second character (after a digit
    such as an indicator or extension digit)."""
    if len(value) < 2:
        return "too short to start with a GS1 Company Prefix"
    return gcppos1(value[1:])


# -- Dates and times ------------------------------------------------------------------------

_MONTH_DAYS = (0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def _date_problem(value: str, year_len: int, day_zero: bool, fmt: str) -> str | None:
    if len(value) != year_len + 4 or not (value.isascii() and value.isdigit()):
        return f"invalid date ({fmt})"
    month = int(value[year_len : year_len + 2])
    if not 1 <= month <= 12:
        return f"invalid month ({fmt})"
    day = int(value[year_len + 2 :])
    if day == 0:
        return None if day_zero else f"invalid day ({fmt})"
    last = _MONTH_DAYS[month]
    if month == 2:
        # For YY the GS1 century window holds 2000 as its only century year, a leap year,
        # so the Gregorian rule applied to YY itself gives the right answer.
        year = int(value[:year_len])
        if year % 4 == 0 and (year % 100 != 0 or year % 400 == 0):
            last = 29
    return None if day <= last else f"invalid day ({fmt})"


def yymmd0(value: str) -> str | None:
    """A date YYMMDD where day 00 means the last day of the month."""
    return _date_problem(value, 2, True, "YYMMDD")


def yymmdd(value: str) -> str | None:
    """A calendar date YYMMDD."""
    return _date_problem(value, 2, False, "YYMMDD")


def yyyymmdd(value: str) -> str | None:
    """A calendar date YYYYMMDD."""
    return _date_problem(value, 4, False, "YYYYMMDD")


_HOURS = frozenset(f"{h:02d}" for h in range(24))
_SIXTY = frozenset(f"{m:02d}" for m in range(60))


def hh(value: str) -> str | None:
    """An hour HH, 00 to 23."""
    return None if value in _HOURS else "invalid hour (HH)"


def mi(value: str) -> str | None:
    """A minute MI, 00 to 59."""
    return None if value in _SIXTY else "invalid minute (MI)"


def ss(value: str) -> str | None:
    """A second SS, 00 to 59."""
    return None if value in _SIXTY else "invalid second (SS)"


def hhmi(value: str) -> str | None:
    """A time of day HHMI."""
    if len(value) != 4 or not (value.isascii() and value.isdigit()):
        return "invalid time (HHMI)"
    if value[:2] not in _HOURS:
        return "invalid hour (HHMI)"
    if value[2:] not in _SIXTY:
        return "invalid minute (HHMI)"
    return None


# -- Code lists -----------------------------------------------------------------------------

# ISO 3166-1: all 249 officially assigned codes, alpha-2 and numeric, in alpha-2 order.
_ISO3166 = """
AD020 AE784 AF004 AG028 AI660 AL008 AM051 AO024 AQ010 AR032 AS016 AT040 AU036 AW533 AX248
AZ031 BA070 BB052 BD050 BE056 BF854 BG100 BH048 BI108 BJ204 BL652 BM060 BN096 BO068 BQ535
BR076 BS044 BT064 BV074 BW072 BY112 BZ084 CA124 CC166 CD180 CF140 CG178 CH756 CI384 CK184
CL152 CM120 CN156 CO170 CR188 CU192 CV132 CW531 CX162 CY196 CZ203 DE276 DJ262 DK208 DM212
DO214 DZ012 EC218 EE233 EG818 EH732 ER232 ES724 ET231 FI246 FJ242 FK238 FM583 FO234 FR250
GA266 GB826 GD308 GE268 GF254 GG831 GH288 GI292 GL304 GM270 GN324 GP312 GQ226 GR300 GS239
GT320 GU316 GW624 GY328 HK344 HM334 HN340 HR191 HT332 HU348 ID360 IE372 IL376 IM833 IN356
IO086 IQ368 IR364 IS352 IT380 JE832 JM388 JO400 JP392 KE404 KG417 KH116 KI296 KM174 KN659
KP408 KR410 KW414 KY136 KZ398 LA418 LB422 LC662 LI438 LK144 LR430 LS426 LT440 LU442 LV428
LY434 MA504 MC492 MD498 ME499 MF663 MG450 MH584 MK807 ML466 MM104 MN496 MO446 MP580 MQ474
MR478 MS500 MT470 MU480 MV462 MW454 MX484 MY458 MZ508 NA516 NC540 NE562 NF574 NG566 NI558
NL528 NO578 NP524 NR520 NU570 NZ554 OM512 PA591 PE604 PF258 PG598 PH608 PK586 PL616 PM666
PN612 PR630 PS275 PT620 PW585 PY600 QA634 RE638 RO642 RS688 RU643 RW646 SA682 SB090 SC690
SD729 SE752 SG702 SH654 SI705 SJ744 SK703 SL694 SM674 SN686 SO706 SR740 SS728 ST678 SV222
SX534 SY760 SZ748 TC796 TD148 TF260 TG768 TH764 TJ762 TK772 TL626 TM795 TN788 TO776 TR792
TT780 TV798 TW158 TZ834 UA804 UG800 UM581 US840 UY858 UZ860 VA336 VC670 VE862 VG092 VI850
VN704 VU548 WF876 WS882 YE887 YT175 ZA710 ZM894 ZW716
""".split()
ISO3166_ALPHA2: frozenset[str] = frozenset(code[:2] for code in _ISO3166)
"""ISO 3166-1 alpha-2 country codes."""
ISO3166_NUMERIC: frozenset[str] = frozenset(code[2:] for code in _ISO3166)
"""ISO 3166-1 numeric (num-3) country codes."""

ISO4217_NUMERIC: frozenset[str] = frozenset(
    """
    008 012 032 036 044 048 050 051 052 060 064 068 072 084 090 096 104 108 116 124 132 136
    144 152 156 170 174 188 192 203 208 214 222 230 232 238 242 262 270 292 320 324 328 332
    340 344 348 352 356 360 364 368 376 388 392 396 398 400 404 408 410 414 417 418 422 426
    430 434 446 454 458 462 480 484 496 498 504 512 516 524 532 533 548 554 558 566 578 586
    590 598 600 604 608 634 643 646 654 682 690 702 704 706 710 728 748 752 756 760 764 776
    780 784 788 800 807 818 826 834 840 858 860 882 886 901 924 925 926 927 928 929 930 933
    934 936 938 940 941 943 944 946 947 948 949 950 951 952 953 955 956 957 958 959 960 961
    962 963 964 965 967 968 969 970 971 972 973 975 976 977 978 979 980 981 984 985 986 990
    994 997 999
    """.split()
)
"""ISO 4217 numeric codes of current currencies and funds (List One)."""

# GS1 PackageTypeCode list: UN/ECE Recommendation 21 codes plus GS1 additions.
PACKAGE_TYPES: frozenset[str] = frozenset(
    """
    1A 1B 1D 1F 1G 1W 200 201 202 203 204 205 206 210 211 212 2C 3A 3H 43 44 4A 4B 4C 4D 4F
    4G 4H 5H 5L 5M 6H 6P 7A 7B 8 8A 8B 8C 9
    AA AB AC AD AF AG AH AI AJ AL AM AP APE AT AV
    B4 BB BC BD BE BF BG BGE BH BI BJ BK BL BM BME BN BO BP BQ BR BRI BS BT BU BV BW BX BY BZ
    CA CB CBL CC CCE CD CE CF CG CH CI CJ CK CL CM CN CO CP CQ CR CS CT CU CV CW CX CY CZ
    DA DB DC DG DH DI DJ DK DL DM DN DP DPE DR DS DT DU DV DW DX DY
    E1 E2 E3 EC ED EE EF EG EH EI EN
    FB FC FD FE FI FL FO FOB FP FPE FR FT FW FX
    GB GI GL GR GU GY GZ HA HB HC HG HN HR
    IA IB IC ID IE IF IG IH IK IL IN IZ JB JC JG JR JT JY KG KI
    LAB LE LG LT LU LV LZ MA MB MC ME MPE MR MS MT MW MX
    NA NE NF NG NS NT NU NV OA OB OC OD OE OF OK OPE OT OU
    P2 PA PAE PB PC PD PE PF PG PH PI PJ PK PL PLP PN PO POP PP PPE PR PT PU PUE PV PX PY PZ
    QA QB QC QD QF QG QH QJ QK QL QM QN QP QQ QR QS
    RB1 RB2 RB3 RCB RD RG RJ RK RL RO RT RZ
    S1 SA SB SC SD SE SEC SH SI SK SL SM SO SP SS ST STL SU SV SW SX SY SZ
    T1 TB TC TD TE TEV TG THE TI TK TL TN TO TR TRE TS TT TTE TU TV TW TWE TY TZ
    UC UN UUE VA VG VI VK VL VN VO VP VQ VR VS VY
    WA WB WC WD WF WG WH WJ WK WL WM WN WP WQ WR WRP WS WT WU WV WW WX WY WZ
    X11 X12 X15 X16 X17 X18 X19 X20 X3 XA XB XC XD XF XG XH XJ XK
    YA YB YC YD YF YG YH YJ YK YL YM YN YP YQ YR YS YT YV YW YX YY YZ
    ZA ZB ZC ZD ZF ZG ZH ZJ ZK ZL ZM ZN ZP ZQ ZR ZS ZT ZU ZV ZW ZX ZY ZZ
    """.split()
)
"""GS1 PackageTypeCode values (AI 7041)."""

# AIDC media types: 01-10 assigned by ICCBBA, 80-99 for ICCBBA local or national use; the
# rest are reserved.
MEDIA_TYPES: frozenset[str] = frozenset(
    [f"{n:02d}" for n in range(1, 11)] + [f"{n:02d}" for n in range(80, 100)]
)
"""AIDC media type values (AI 7241)."""


def iso3166(value: str) -> str | None:
    """An ISO 3166-1 numeric country code."""
    return None if value in ISO3166_NUMERIC else "not an ISO 3166 numeric country code"


def iso3166999(value: str) -> str | None:
    """An ISO 3166-1 numeric country code, or 999 (country not known or not given)."""
    if value == "999" or value in ISO3166_NUMERIC:
        return None
    return "not an ISO 3166 numeric country code or 999"


def iso3166alpha2(value: str) -> str | None:
    """An ISO 3166-1 alpha-2 country code."""
    return None if value in ISO3166_ALPHA2 else "not an ISO 3166 alpha-2 country code"


def iso4217(value: str) -> str | None:
    """An ISO 4217 numeric currency code."""
    return None if value in ISO4217_NUMERIC else "not an ISO 4217 numeric currency code"


_ISO5218 = frozenset(("0", "1", "2", "9"))


def iso5218(value: str) -> str | None:
    """An ISO/IEC 5218 sex code: 0 not known, 1 male, 2 female, 9 not applicable."""
    return None if value in _ISO5218 else "not an ISO/IEC 5218 sex code (0, 1, 2 or 9)"


def packagetype(value: str) -> str | None:
    """A GS1 PackageTypeCode."""
    return None if value in PACKAGE_TYPES else "not a GS1 package type code"


def mediatype(value: str) -> str | None:
    """An assigned AIDC media type."""
    return None if value in MEDIA_TYPES else "not an AIDC media type"


# -- Flags and small numbers ----------------------------------------------------------------


def yesno(value: str) -> str | None:
    """A flag: 0 (no) or 1 (yes)."""
    return None if value == "0" or value == "1" else "not 0 (no) or 1 (yes)"


def zero(value: str) -> str | None:
    """The digit 0."""
    return None if value == "0" else "must be 0"


def winding(value: str) -> str | None:
    """A roll's winding direction: 0 face out, 1 face in, 9 undefined."""
    if value == "0" or value == "1" or value == "9":
        return None
    return "invalid winding direction (0, 1 or 9)"


def nonzero(value: str) -> str | None:
    """A number that is not zero."""
    if not DIGITS.issuperset(value):
        return _NON_DIGIT
    return None if value.strip("0") else "must not be zero"


def nozeroprefix(value: str) -> str | None:
    """A number written without a leading zero."""
    if not DIGITS.issuperset(value):
        return _NON_DIGIT
    return "must not start with 0" if value[:1] == "0" else None


def hasnondigit(value: str) -> str | None:
    """At least one character that is not a digit (so the value cannot be read as a number)."""
    return "must contain a non-digit character" if DIGITS.issuperset(value) else None


def hyphen(value: str) -> str | None:
    """Hyphens only."""
    return None if value and not value.strip("-") else "must be a hyphen"


def latitude(value: str) -> str | None:
    """A WGS84 latitude as 10 digits: degrees + 90, times 10 000 000 (0000000000-1800000000)."""
    if len(value) != 10 or not DIGITS.issuperset(value) or int(value) > 1_800_000_000:
        return "invalid latitude"
    return None


def longitude(value: str) -> str | None:
    """A WGS84 longitude as 10 digits: degrees + 180, times 10 000 000 (to 3600000000)."""
    if len(value) != 10 or not DIGITS.issuperset(value) or int(value) > 3_600_000_000:
        return "invalid longitude"
    return None


def pieceoftotal(value: str) -> str | None:
    """A piece number followed by the total number of pieces, both the same width."""
    n = len(value)
    if n == 0 or n % 2:
        return "piece and total must have the same number of digits"
    if not DIGITS.issuperset(value):
        return _NON_DIGIT
    half = n // 2
    piece, total = value[:half], value[half:]
    if not piece.strip("0"):
        return "piece number must not be zero"
    if not total.strip("0"):
        return "total number of pieces must not be zero"
    return "piece number exceeds the total" if piece > total else None


def posinseqslash(value: str) -> str | None:
    """A position in a sequence written ``<pos>/<end>``, both without leading zeros."""
    pos, slash, end = value.partition("/")
    if not slash or not pos or not end or not DIGITS.issuperset(pos) or not DIGITS.issuperset(end):
        return "not a position in a sequence (<pos>/<end>)"
    if pos[0] == "0" or end[0] == "0":
        return "position and end must not be zero or start with 0"
    if (len(pos), pos) > (len(end), end):
        return "position exceeds the end of the sequence"
    return None


_IMPORTER_INDEX = frozenset("-0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz")


def importeridx(value: str) -> str | None:
    """An importer index (EU 2018/574 tobacco traceability): one character of
    ``-``, ``0-9``, ``A-Z``, ``_``, ``a-z``."""
    return None if value in _IMPORTER_INDEX else "invalid importer index"


_HEX = frozenset("0123456789ABCDEFabcdef")


def pcenc(value: str) -> str | None:
    """Every ``%`` starts a percent-encoded byte: ``%`` and two hex digits (RFC 3986)."""
    n = len(value)
    i = value.find("%")
    while i >= 0:
        if i + 2 >= n or value[i + 1] not in _HEX or value[i + 2] not in _HEX:
            return "invalid percent-encoding"
        i = value.find("%", i + 3)
    return None


# -- IBAN -----------------------------------------------------------------------------------

# IBAN length per country code, from the SWIFT IBAN registry (ISO 13616). Territories that
# use another country's IBAN format (e.g. GF, GG, AX) are written with that country's code.
IBAN_LENGTHS: dict[str, int] = {
    cc: int(length)
    for cc, length in (
        item.split(":")
        for item in """
        AD:24 AE:23 AL:28 AT:20 AZ:28 BA:20 BE:16 BG:22 BH:22 BI:27 BR:29 BY:28 CH:21 CR:22
        CY:28 CZ:24 DE:22 DJ:27 DK:18 DO:28 EE:20 EG:29 ES:24 FI:18 FK:18 FO:18 FR:27 GB:22
        GE:22 GI:23 GL:18 GR:27 GT:28 HN:28 HR:21 HU:28 IE:22 IL:23 IQ:23 IS:26 IT:27 JO:30
        KW:30 KZ:20 LB:28 LC:32 LI:21 LT:20 LU:20 LV:21 LY:25 MC:27 MD:24 ME:22 MK:19 MN:20
        MR:27 MT:31 MU:30 NI:28 NL:18 NO:15 OM:23 PK:24 PL:28 PS:29 PT:25 QA:29 RO:24 RS:22
        RU:33 SA:24 SC:31 SD:18 SE:24 SI:19 SK:24 SM:27 SO:23 ST:25 SV:28 TL:23 TN:24 TR:26
        UA:29 VA:22 VG:24 XK:20 YE:30
        """.split()
    )
}
"""IBAN length per country (SWIFT IBAN registry)."""

_IBAN_CHARS = frozenset("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ")
_IBAN_LETTER_VALUES = str.maketrans({chr(65 + i): str(10 + i) for i in range(26)})


def iban(value: str) -> str | None:
    """An International Bank Account Number: a registered country code, that country's
    length, two check digits and an ISO 7064 MOD 97-10 check that leaves 1."""
    length = IBAN_LENGTHS.get(value[:2])
    if length is None:
        return "not an IBAN country code"
    if len(value) != length:
        return "wrong IBAN length for its country"
    if not DIGITS.issuperset(value[2:4]) or not "02" <= value[2:4] <= "98":
        return "invalid IBAN check digits"
    if not _IBAN_CHARS.issuperset(value[4:]):
        return "invalid IBAN character"
    rearranged = (value[4:] + value[:4]).translate(_IBAN_LETTER_VALUES)
    return None if int(rearranged) % 97 == 1 else "incorrect IBAN check digits"


# -- North American coupons (AI 8110, AI 8112) ----------------------------------------------

_GCP_VLI = {str(i): i + 6 for i in range(7)}
_OPTIONAL_GCP_VLI = {**_GCP_VLI, "9": 0}
_VALUE_VLI = {str(i): i for i in range(1, 6)}
_SERIAL_VLI = {str(i): i + 6 for i in range(10)}
_RETAILER_VLI = {str(i): i + 6 for i in range(1, 8)}
_REQUIREMENT_CODES = frozenset("012349")


def _vli_field(value: str, pos: int, vli: dict[str, int], name: str) -> tuple[int, str | None]:
    """Read a field led by a variable length indicator; return the position after it."""
    if pos >= len(value):
        return pos, f"missing {name} length indicator"
    length = vli.get(value[pos])
    if length is None:
        return pos, f"invalid {name} length indicator"
    pos += 1
    if len(value) - pos < length:
        return pos, f"truncated {name}"
    return pos + length, None


def _gcp_field(value: str, pos: int, vli: dict[str, int], name: str) -> tuple[int, str | None]:
    """A GCP (or GLN) field led by its length indicator, checked as a GCP when present."""
    end, problem = _vli_field(value, pos, vli, name)
    if problem is None and end > pos + 1:
        problem = gcppos1(value[pos + 1 : end])
    return end, problem


def _purchase(value: str, pos: int, nth: str) -> tuple[int, str | None]:
    """A purchase requirement (length indicator + value), its code and its family code."""
    pos, problem = _vli_field(value, pos, _VALUE_VLI, f"{nth} purchase requirement")
    if problem:
        return pos, problem
    if pos >= len(value):
        return pos, f"missing {nth} purchase requirement code"
    if value[pos] not in _REQUIREMENT_CODES:
        return pos, f"invalid {nth} purchase requirement code"
    pos += 1
    if len(value) - pos < 3:
        return pos, f"truncated {nth} purchase family code"
    return pos + 3, None


def couponcode(value: str) -> str | None:
    """The structure of a North American coupon code (AI 8110): GCP, offer code, save value,
    first purchase requirement and family, then optional fields 1 (second purchase),
    2 (third purchase), 3 (expiration date), 4 (start date), 5 (serial number),
    6 (retailer GCP/GLN) and 9 (miscellaneous), each at most once and in that order."""
    if not DIGITS.issuperset(value):
        return _NON_DIGIT
    n = len(value)
    pos, problem = _gcp_field(value, 0, _GCP_VLI, "GCP")
    if problem:
        return problem
    if n - pos < 6:
        return "truncated offer code"
    pos, problem = _vli_field(value, pos + 6, _VALUE_VLI, "save value")
    if problem:
        return problem
    pos, problem = _purchase(value, pos, "first")
    if problem:
        return problem

    if pos < n and value[pos] == "1":
        pos += 1
        if pos >= n:
            return "missing additional purchase rules code"
        if value[pos] > "3":
            return "invalid additional purchase rules code"
        pos, problem = _purchase(value, pos + 1, "second")
        if problem:
            return problem
        pos, problem = _gcp_field(value, pos, _OPTIONAL_GCP_VLI, "second purchase GCP")
        if problem:
            return problem

    if pos < n and value[pos] == "2":
        pos, problem = _purchase(value, pos + 1, "third")
        if problem:
            return problem
        pos, problem = _gcp_field(value, pos, _OPTIONAL_GCP_VLI, "third purchase GCP")
        if problem:
            return problem

    expiry = None
    if pos < n and value[pos] == "3":
        expiry = value[pos + 1 : pos + 7]
        if len(expiry) < 6:
            return "truncated expiration date"
        if yymmdd(expiry):
            return "invalid expiration date"
        pos += 7

    if pos < n and value[pos] == "4":
        start = value[pos + 1 : pos + 7]
        if len(start) < 6:
            return "truncated start date"
        if yymmdd(start):
            return "invalid start date"
        if expiry is not None and start > expiry:
            return "expiration date before start date"
        pos += 7

    if pos < n and value[pos] == "5":
        pos, problem = _vli_field(value, pos + 1, _SERIAL_VLI, "serial number")
        if problem:
            return problem

    if pos < n and value[pos] == "6":
        pos, problem = _gcp_field(value, pos + 1, _RETAILER_VLI, "retailer GCP/GLN")
        if problem:
            return problem

    if pos < n and value[pos] == "9":
        flags = value[pos + 1 : pos + 5]
        if len(flags) < 1:
            return "missing save value code"
        if flags[0] not in "01256":
            return "invalid save value code"
        if len(flags) < 2:
            return "missing save value applies to item"
        if flags[1] > "2":
            return "invalid save value applies to item"
        if len(flags) < 3:
            return "missing store coupon flag"
        if len(flags) < 4:
            return "missing don't multiply flag"
        if flags[3] > "1":
            return "invalid don't multiply flag"
        pos += 5

    return "excess data after the coupon fields" if pos < n else None


def couponposoffer(value: str) -> str | None:
    """The structure of a positive offer file coupon code (AI 8112): format code 0 or 1,
    funder ID, offer code and serial number, nothing more."""
    if not DIGITS.issuperset(value):
        return _NON_DIGIT
    if not value:
        return "missing coupon format code"
    if value[0] not in "01":
        return "invalid coupon format code"
    pos, problem = _vli_field(value, 1, _GCP_VLI, "funder ID")
    if problem:
        return problem
    if len(value) - pos < 6:
        return "truncated offer code"
    pos, problem = _vli_field(value, pos + 6, _SERIAL_VLI, "serial number")
    if problem:
        return problem
    return "excess data after the serial number" if pos < len(value) else None


LINTERS: dict[str, Linter] = {
    "couponcode": couponcode,
    "couponposoffer": couponposoffer,
    "csum": csum,
    "csumalpha": csumalpha,
    "gcppos1": gcppos1,
    "gcppos2": gcppos2,
    "hasnondigit": hasnondigit,
    "hh": hh,
    "hhmi": hhmi,
    "hyphen": hyphen,
    "iban": iban,
    "importeridx": importeridx,
    "iso3166": iso3166,
    "iso3166999": iso3166999,
    "iso3166alpha2": iso3166alpha2,
    "iso4217": iso4217,
    "iso5218": iso5218,
    "latitude": latitude,
    "longitude": longitude,
    "mediatype": mediatype,
    "mi": mi,
    "nonzero": nonzero,
    "nozeroprefix": nozeroprefix,
    "packagetype": packagetype,
    "pcenc": pcenc,
    "pieceoftotal": pieceoftotal,
    "posinseqslash": posinseqslash,
    "ss": ss,
    "winding": winding,
    "yesno": yesno,
    "yymmd0": yymmd0,
    "yymmdd": yymmdd,
    "yyyymmdd": yyyymmdd,
    "zero": zero,
}
"""Linter name (as in the AI table's components) -> linter."""
