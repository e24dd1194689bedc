"""Fixtures shared by every test area."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests._conformance import CONFORMANCE


@pytest.fixture
def conformance_dir() -> Path:
    if not CONFORMANCE.is_dir():
        pytest.skip("GS1 conformance material not found at ../shared/conformance")
    return CONFORMANCE
