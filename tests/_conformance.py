"""Access to the official GS1 test material in ../shared/conformance (never copied here)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
CONFORMANCE = ROOT.parent / "shared" / "conformance"


def conformance_json(relative: str) -> Any:
    """Load one file of the official GS1 material, or skip the test when it is absent."""
    path = CONFORMANCE / relative
    if not path.exists():
        pytest.skip(f"GS1 conformance material not found at ../shared/conformance/{relative}")
    return json.loads(path.read_text(encoding="utf-8"))


def conformance_cases(
    relative: str, key: str = "cases", where: Callable[[Any], bool] | None = None
) -> list[Any]:
    """The cases under ``key`` of a conformance file (those ``where`` accepts) as pytest params
    named by their ``id``; when the file is absent, one param that skips with the reason."""
    path = CONFORMANCE / relative
    if not path.exists():
        reason = f"GS1 conformance material not found at ../shared/conformance/{relative}"
        return [pytest.param(None, id="absent", marks=pytest.mark.skip(reason=reason))]
    cases = json.loads(path.read_text(encoding="utf-8"))[key]
    if where is not None:
        cases = [c for c in cases if where(c)]
    return [
        pytest.param(c, id=str(c.get("id", i)) if isinstance(c, dict) else "-".join(c))
        for i, c in enumerate(cases)
    ]
