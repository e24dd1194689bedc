"""GS1 foundations: the Application Identifier table, check digits, character sets and
element strings."""

from shoptrace.sdk.gs1.ai_table import (
    AI_TABLE,
    DL_PATH_SEQUENCES,
    PRIMARY_KEYS,
    AIEntry,
    Component,
    lookup,
)
from shoptrace.sdk.gs1.charsets import CSET39, CSET64, CSET82, is_cset39, is_cset64, is_cset82
from shoptrace.sdk.gs1.check_digits import (
    check_digit,
    check_pair,
    has_valid_check_digit,
    has_valid_check_pair,
)
from shoptrace.sdk.gs1.element_strings import (
    GS,
    build_element_string,
    build_hri,
    parse_element_string,
    parse_hri,
)
from shoptrace.sdk.gs1.values import association_problem, validate_value, value_problem

__all__ = [
    "AI_TABLE",
    "CSET39",
    "CSET64",
    "CSET82",
    "DL_PATH_SEQUENCES",
    "GS",
    "PRIMARY_KEYS",
    "AIEntry",
    "Component",
    "association_problem",
    "build_element_string",
    "build_hri",
    "check_digit",
    "check_pair",
    "has_valid_check_digit",
    "has_valid_check_pair",
    "is_cset39",
    "is_cset64",
    "is_cset82",
    "lookup",
    "parse_element_string",
    "parse_hri",
    "validate_value",
    "value_problem",
]
