"""The rate-limit counter storage: limits' memory storage may start one expiry timer twice
when two threads hit at once (a 500); ours schedules expiry under a lock, and sweeps at
most once a second instead of starting a thread for nearly every request."""

from __future__ import annotations

import sys
import threading
import time
from typing import Any

import pytest
from limits import parse
from limits.storage import MemoryStorage, RedisStorage
from limits.strategies import MovingWindowRateLimiter

from shoptrace.shop_plugin import rate_limits
from shoptrace.shop_plugin.rate_limits import ThreadSafeMemoryStorage, rate_limit_storage


class _SlowSwap:
    """Makes the timer swap slow (a thread switch between setting ``timer`` and reading it
    back to start it), as a busy threaded server may."""

    @property
    def timer(self) -> threading.Timer:
        return self.__dict__["_timer"]  # type: ignore[no-any-return]

    @timer.setter
    def timer(self, value: threading.Timer) -> None:
        self.__dict__["_timer"] = value
        time.sleep(0.002)


class _SlowPlain(_SlowSwap, MemoryStorage):
    pass


class _SlowOurs(_SlowSwap, ThreadSafeMemoryStorage):
    pass


def _schedule_from_threads(storage: MemoryStorage, threads: int = 8) -> list[Any]:
    """Schedule expiry from ``threads`` threads at once; what went wrong: RuntimeErrors of
    the callers, and errors of timer threads started twice at once (unraisable)."""
    errors: list[Any] = []
    hook, sys.unraisablehook = sys.unraisablehook, errors.append
    barrier = threading.Barrier(threads)
    schedule = storage._MemoryStorage__schedule_expiry  # type: ignore[attr-defined]

    def run() -> None:
        barrier.wait()
        try:
            schedule()
        except RuntimeError as exc:
            errors.append(exc)

    workers = [threading.Thread(target=run) for _ in range(threads)]
    for worker in workers:
        worker.start()
    try:
        for worker in workers:
            worker.join()
        storage.timer.join(1)
        time.sleep(0.02)  # the timers' own threads end
    finally:
        sys.unraisablehook = hook
    return errors


def test_limits_own_memory_storage_can_start_its_timer_twice() -> None:
    # The race this module guards against (when limits fixes it, this test says so).
    storage = _SlowPlain()
    storage.timer.join(1)
    failures = sum(len(_schedule_from_threads(storage)) for _ in range(10))
    assert failures > 0


def test_ours_never_does() -> None:
    storage = _SlowOurs()
    storage.timer.join(1)
    for _ in range(10):
        assert _schedule_from_threads(storage) == []


def test_it_still_counts_and_expires() -> None:
    limiter = MovingWindowRateLimiter(rate_limit_storage("memory://"))
    item = parse("2 per second")
    assert limiter.hit(item, "k") and limiter.hit(item, "k")
    assert not limiter.hit(item, "k")
    time.sleep(1.1)
    assert limiter.hit(item, "k")


def test_other_urls_are_limits_own_storages() -> None:
    assert isinstance(rate_limit_storage("memory://"), ThreadSafeMemoryStorage)
    assert isinstance(rate_limit_storage("redis://127.0.0.1:6379"), RedisStorage)


def test_expired_counters_are_swept_at_most_once_a_second(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """limits starts a sweeping thread whenever the last one ended; ours at most once every
    SWEEP_EVERY seconds, and the sweep still frees expired counters."""
    monkeypatch.setattr(rate_limits, "SWEEP_EVERY", 0.6)
    storage = ThreadSafeMemoryStorage()
    storage.timer.join(1)  # the sweep limits starts on creation
    started: list[threading.Timer] = []
    real_timer = threading.Timer

    def counting_timer(*args: Any, **kwargs: Any) -> threading.Timer:
        timer = real_timer(*args, **kwargs)
        started.append(timer)
        return timer

    monkeypatch.setattr(threading, "Timer", counting_timer)
    began = time.monotonic()
    for n in range(20):
        storage.incr(f"k{n}", expiry=0.05)
        time.sleep(0.015)  # longer than the 10 ms a sweep waits: limits would start 20
    took = time.monotonic() - began
    assert 1 <= len(started) <= 1 + int(took / 0.6)
    before = len(started)
    time.sleep(0.65)
    storage.incr("late", expiry=60)  # the next sweep, which frees the expired counters
    assert len(started) == before + 1
    started[-1].join(1)
    assert set(storage.storage) == {"late"} and set(storage.expirations) == {"late"}
