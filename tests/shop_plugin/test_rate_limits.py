"""The rate-limit counter storage: limits' memory storage may start one expiry timer twice
when two threads hit at once (a 500); ours schedules expiry under a lock."""

from __future__ import annotations

import sys
import threading
import time
from typing import Any

from limits import parse
from limits.storage import MemoryStorage, RedisStorage
from limits.strategies import MovingWindowRateLimiter

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
