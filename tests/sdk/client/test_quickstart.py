"""examples/sdk_quickstart.py against a live local server: in process and as a script."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from tests._conformance import ROOT
from tests.sdk.client.live import LiveServer

SCRIPT = ROOT / "examples" / "sdk_quickstart.py"


def _main() -> Callable[[list[str] | None], int]:
    spec = importlib.util.spec_from_file_location("sdk_quickstart", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    main: Callable[[list[str] | None], int] = module.main
    return main


def test_quickstart_runs_twice_against_a_live_server(
    live: LiveServer, capsys: pytest.CaptureFixture[str]
) -> None:
    key = live.merchant("Quickstart")
    main = _main()
    assert main(["--base-url", live.base_url, "--api-key", key, "--count", "3"]) == 0
    out = capsys.readouterr().out
    assert "codes    3 issued" in out
    assert "capture  job" in out and "5 events stored, success=True" in out
    steps = ["Coded and registered / 赋码登记", "Packed / 包装", "Shipped / 发货"]
    steps += ["Received / 收货", "Sold / 售出"]
    assert all(step in out for step in steps), out
    assert "hash chain over 5 events valid: True" in out
    # a second run reuses the product and records a new batch
    assert main(["--base-url", live.base_url, "--api-key", key, "--count", "2"]) == 0
    assert "hash chain over 10 events valid: True" in capsys.readouterr().out


def test_quickstart_as_a_script_with_environment_variables(live: LiveServer) -> None:
    env = {
        **os.environ,
        "SHOPTRACE_BASE_URL": live.base_url,
        "SHOPTRACE_API_KEY": live.merchant("Script"),
    }
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "--count", "2"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "Sold / 售出" in done.stdout


def test_quickstart_reports_errors_without_a_traceback(
    live: LiveServer, capsys: pytest.CaptureFixture[str]
) -> None:
    main = _main()
    assert main(["--base-url", live.base_url, "--api-key", "st_nobody00_" + "x" * 43]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: [req_") and "401" in err
    with pytest.raises(SystemExit):
        main(["--base-url", live.base_url, "--api-key", ""])


def test_script_is_in_the_repository() -> None:
    assert Path(SCRIPT).is_file()
