"""Time for the services: one place to read the clock, and the ISO text the API shows."""

from __future__ import annotations

from datetime import UTC, date, datetime

__all__ = ["iso", "utcnow"]


def utcnow() -> datetime:
    """The current time, timezone-aware in UTC."""
    return datetime.now(UTC)


def iso(value: datetime | date | None) -> str | None:
    """``2025-03-01T08:00:00Z`` for a timestamp, ``2025-03-01`` for a date, None for None."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
    return value.isoformat()
