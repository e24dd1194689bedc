"""Rate-limit counter storage for the merchant API, the platform webhooks and the public
routes: ``limits`` storage from ``SHOPTRACE_RATE_LIMIT_STORAGE_URL``.

``limits``' in-memory storage (up to 5.8 at least) restarts its expiry timer without a lock:
two requests hitting a limit at the same instant in two threads can start the same
``threading.Timer`` twice, and the second request fails with ``RuntimeError: threads can only
be started once`` (a 500 under gunicorn's threaded workers; limits PR #352). The memory
storage made here schedules expiry under a lock.

It also sweeps less often. limits starts a new timer thread (10 ms) to sweep expired counters
whenever the last one has ended, so a server taking requests more than 10 ms apart starts a
thread for nearly every request (about a quarter of the public resolver's time per request,
profiled). Counters are checked for expiry whenever they are read, so the sweep only frees
memory: here it runs at most once every :data:`SWEEP_EVERY` seconds.
"""

from __future__ import annotations

import threading
import time

from limits.storage import MemoryStorage, Storage, storage_from_string

__all__ = ["ThreadSafeMemoryStorage", "rate_limit_storage"]

_SCHEDULE = "_MemoryStorage__schedule_expiry"
SWEEP_EVERY = 1.0
"""Seconds between sweeps of expired counters (at most)."""


class ThreadSafeMemoryStorage(MemoryStorage):
    """``limits``' memory storage whose expiry timer is (re)started by one thread at a time,
    at most once every :data:`SWEEP_EVERY` seconds."""

    def __init__(self, uri: str | None = None, wrap_exceptions: bool = False, **options: str):
        self._expiry_lock = threading.Lock()
        self._next_sweep = 0.0
        super().__init__(uri, wrap_exceptions, **options)
        unguarded = getattr(self, _SCHEDULE, None)
        if unguarded is not None:

            def schedule() -> None:
                if time.monotonic() < self._next_sweep:
                    return
                with self._expiry_lock:
                    now = time.monotonic()
                    if now < self._next_sweep:
                        return
                    self._next_sweep = now + SWEEP_EVERY
                    unguarded()

            setattr(self, _SCHEDULE, schedule)


def rate_limit_storage(url: str) -> Storage:
    """The counter storage ``url`` names; ``memory://`` is :class:`ThreadSafeMemoryStorage`."""
    if url.split("://", 1)[0] == "memory":
        return ThreadSafeMemoryStorage(url)
    storage = storage_from_string(url)
    if not isinstance(storage, Storage):  # an async storage (async+redis://...)
        raise ValueError(f"{url!r} names an asynchronous storage; use a synchronous one")
    return storage
