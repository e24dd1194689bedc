"""Start the demo shop in a child process the way a new user does, and read its printout.

The browser tests (``tests/e2e/test_demo_browser.py``) and the screenshot script
(``scripts/screenshots.py``) both drive a demo started like this: ``make run`` (or
``python -m examples.demo_shop``) on a fresh instance folder and a free port, with none of
the caller's ``SHOPTRACE_*`` or ``DEMO_*`` settings. :func:`running_demo` waits until the home
page answers and stops the process (and whatever it started) at the end.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "ROOT",
    "DemoNotStarted",
    "RunningDemo",
    "free_port",
    "make_run_command",
    "python_command",
    "running_demo",
]

ROOT = Path(__file__).resolve().parents[2]
"""The project root: where ``make run`` and ``python -m examples.demo_shop`` are run."""

_ADMIN_LINE = re.compile(r"商家后台\s+(\S+)\s+\(user (\S+), password (\S+)\)")
_KEY_LINE = re.compile(r"商家密钥\s+(st_\S+)")
_UNIT_LINE = re.compile(r"单品追溯\s+(\S+)")


class DemoNotStarted(RuntimeError):
    """The demo did not answer in time (its output is in the message)."""


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def python_command() -> list[str]:
    """``python -m examples.demo_shop`` with this interpreter: what ``make run`` runs."""
    return [sys.executable, "-m", "examples.demo_shop"]


def make_run_command() -> list[str] | None:
    """``make run`` (the README's first command) when it would start the demo at once: make
    is there and the project's ``.venv`` is installed and up to date (else None, since
    ``make run`` would first create it and install the project)."""
    make = shutil.which("make")
    if make is None or not (ROOT / ".venv" / "bin" / "python").exists():
        return None
    check = subprocess.run(
        [make, "-q", ".venv/.installed"],
        cwd=ROOT,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        timeout=30,
        check=False,
    )
    return [make, "--no-print-directory", "run"] if check.returncode == 0 else None


@dataclass
class RunningDemo:
    """The demo's process, its address and what it printed."""

    process: subprocess.Popen[bytes]
    origin: str
    log: Path

    def output(self) -> str:
        """Everything the process printed so far."""
        return self.log.read_text(encoding="utf-8", errors="replace")

    def _find(self, pattern: re.Pattern[str]) -> re.Match[str]:
        found = pattern.search(self.output())
        if found is None:
            raise LookupError(f"the printout has no line matching {pattern.pattern!r}")
        return found

    @property
    def admin_url(self) -> str:
        """The merchant admin, as printed (``http://127.0.0.1:PORT/trace/admin/``)."""
        return self._find(_ADMIN_LINE).group(1)

    @property
    def merchant_login(self) -> tuple[str, str]:
        """The demo merchant's e-mail and password, as printed."""
        found = self._find(_ADMIN_LINE)
        return found.group(2), found.group(3)

    @property
    def api_key(self) -> str:
        """The merchant API key (printed on the first start only)."""
        return self._find(_KEY_LINE).group(1)

    @property
    def unit_url(self) -> str:
        """The trace page of a unit, as printed."""
        return self._find(_UNIT_LINE).group(1)

    def stop(self, timeout: float = 15) -> None:
        """Stop the process group the demo runs in (``make`` and the server under it)."""
        try:
            os.killpg(self.process.pid, signal.SIGTERM)
        except ProcessLookupError:
            return
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=timeout)


def _clean_environment(instance: Path, port: int) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SHOPTRACE_", "DEMO_"))
        and k not in ("MAKEFLAGS", "MAKELEVEL", "MFLAGS")
    }
    env.update(DEMO_PORT=str(port), DEMO_INSTANCE_PATH=str(instance), PYTHONUNBUFFERED="1")
    return env


@contextmanager
def running_demo(
    instance: Path,
    *,
    command: Sequence[str] | None = None,
    port: int | None = None,
    timeout: float = 90,
) -> Iterator[RunningDemo]:
    """Start the demo on ``instance`` (a fresh folder seeds it) and ``port`` (default: a free
    one) with ``command`` (default :func:`python_command`), run from the project root; wait
    until its home page answers, at most ``timeout`` seconds; stop it when the block ends."""
    port = port or free_port()
    instance.mkdir(parents=True, exist_ok=True)
    log = instance.parent / f"{instance.name}-demo.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            list(command or python_command()),
            cwd=ROOT,
            env=_clean_environment(instance, port),
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # one process group: stop() ends make and the server
        )
    demo = RunningDemo(process, f"http://127.0.0.1:{port}", log)
    try:
        _wait_for(demo, timeout)
        yield demo
    finally:
        demo.stop()


def _wait_for(demo: RunningDemo, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if demo.process.poll() is not None:
            raise DemoNotStarted(f"the demo stopped ({demo.process.returncode}):\n{demo.output()}")
        try:
            with urllib.request.urlopen(demo.origin + "/?lang=en", timeout=5) as answer:
                if answer.status == 200 and "Press Ctrl+C" in demo.output():
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.25)
    raise DemoNotStarted(f"no answer from {demo.origin} in {timeout:.0f} s:\n{demo.output()}")
