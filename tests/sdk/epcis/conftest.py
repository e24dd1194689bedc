"""Fixtures for the EPCIS tests: our own rule fixtures and the official GS1 examples."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[3]
CONFORMANCE = ROOT.parent / "shared" / "conformance"
EPCIS_DIR = CONFORMANCE / "epcis"
FIXTURES = Path(__file__).resolve().parent / "fixtures"
ABSENT = "GS1 conformance material not found at ../shared/conformance"

DELETE = "$delete"


def load_fixture(name: str) -> Any:
    """One of our own fixture files, parsed."""
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


RULES = load_fixture("rules.json")


def _unescape(token: str) -> str:
    return token.replace("~1", "/").replace("~0", "~")


def apply_patch(base: Any, patch: dict[str, Any]) -> Any:
    """A deep copy of ``base`` with each JSON pointer set to its value (``$delete`` removes)."""
    result = copy.deepcopy(base)
    for pointer, value in patch.items():
        *parents, last = [_unescape(t) for t in pointer.split("/")[1:]]
        target = result
        for token in parents:
            target = target[int(token)] if isinstance(target, list) else target[token]
        if isinstance(target, list):
            target[int(last)] = value
        elif value == DELETE:
            target.pop(last, None)
        else:
            target[last] = value
    return result


def rule_subject(case: dict[str, Any], which: str) -> Any:
    """The valid or invalid event or document of a rule case."""
    return apply_patch(RULES["bases"][case["base"]], case[which])


def rule_cases(*, schema_only: bool = False) -> list[Any]:
    return [
        pytest.param(case, id=case["id"])
        for case in RULES["cases"]
        if case["schema"] or not schema_only
    ]


def official_examples() -> list[Any]:
    """Every official EPCIS 2.0 JSON-LD example as a param, or one param that skips."""
    folder = EPCIS_DIR / "JSON"
    if not folder.is_dir():
        return [pytest.param(None, id="absent", marks=pytest.mark.skip(reason=ABSENT))]
    return [
        pytest.param(path, id=str(path.relative_to(folder)))
        for path in sorted(folder.rglob("*.jsonld"))
    ]


@pytest.fixture
def epcis_dir() -> Path:
    """The official EPCIS material folder; the test skips when it is absent."""
    if not EPCIS_DIR.is_dir():
        pytest.skip(ABSENT)
    return EPCIS_DIR


@pytest.fixture
def shop_document() -> dict[str, Any]:
    """A valid EPCISDocument of a shop's day, written for these tests."""
    doc: dict[str, Any] = load_fixture("shop_document.jsonld")
    return doc
