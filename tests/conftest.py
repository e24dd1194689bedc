"""Fixtures shared by every test area."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests._conformance import CONFORMANCE


@pytest.fixture
def conformance_dir() -> Path:
    if not CONFORMANCE.is_dir():
        pytest.skip("GS1 conformance material not found at ../shared/conformance")
    return CONFORMANCE


# Not "shoptrace-checkpoint": that thread touches only its own SQLite file and ends once its
# checkpoint is done (Store.dispose() joins it; tests/shop_plugin/test_checkpoint.py checks).
RUNNER_THREADS = ("shoptrace-outbox", "shoptrace-sync")


def _runners() -> set[threading.Thread]:
    return {t for t in threading.enumerate() if t.name in RUNNER_THREADS and t.is_alive()}


@pytest.fixture(autouse=True)
def no_runner_outlives_its_test() -> Iterator[None]:
    """A webhook or sync thread left running polls the session's shared PostgreSQL schema and
    delivers a later test's messages; the test that started it must stop it
    (``app.extensions["shoptrace"].close()``)."""
    before = _runners()
    yield
    left = sorted(t.name for t in _runners() - before)
    assert not left, f"the test left {left} running: close the app's shoptrace"
