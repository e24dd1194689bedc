"""The client is part of the SDK: no Flask, no plugin, and loaded only when asked for."""

from __future__ import annotations

import subprocess
import sys

import pytest

import shoptrace.sdk
from shoptrace.sdk import client as client_package
from shoptrace.sdk.client import TraceClient


def _modules_after(code: str) -> set[str]:
    script = f"import sys\n{code}\nprint('\\n'.join(sorted(sys.modules)))"
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=True
    )
    return set(done.stdout.split())


def test_the_client_imports_neither_flask_nor_the_plugin() -> None:
    loaded = _modules_after("from shoptrace.sdk import TraceClient")
    assert "requests" in loaded and "shoptrace.sdk.client" in loaded
    assert not {m for m in loaded if m.split(".")[0] in ("flask", "werkzeug", "sqlalchemy")}
    assert not {m for m in loaded if m.startswith("shoptrace.shop_plugin")}


def test_importing_the_sdk_does_not_load_the_client() -> None:
    loaded = _modules_after("import shoptrace.sdk")
    assert "shoptrace.sdk.client" not in loaded and "requests" not in loaded


def test_trace_client_is_exported_from_the_sdk() -> None:
    assert shoptrace.sdk.TraceClient is TraceClient
    assert "TraceClient" in shoptrace.sdk.__all__
    for name in client_package.__all__:
        assert hasattr(client_package, name), name
    with pytest.raises(AttributeError, match="NoSuchThing"):
        shoptrace.sdk.NoSuchThing  # noqa: B018
