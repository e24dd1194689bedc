"""Result objects: built from the API's JSON, tolerant of members missing or added."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from shoptrace.sdk.client.models import (
    Batch,
    CaptureJob,
    Model,
    Product,
    parse_date,
    parse_time,
)
from tests.sdk.client import payloads


def test_times_and_dates() -> None:
    assert parse_time("2024-05-01T10:00:00Z") == datetime(2024, 5, 1, 10, tzinfo=UTC)
    assert parse_time("2024-05-01T18:00:00+08:00") == datetime(
        2024, 5, 1, 18, tzinfo=timezone(timedelta(hours=8))
    )
    assert parse_date("2024-05-01") == date(2024, 5, 1)
    for bad in (None, "", "yesterday", 5):
        assert parse_time(bad) is None and parse_date(bad) is None


def test_unknown_members_are_kept_and_missing_ones_default() -> None:
    product = Product.from_json({"id": 3, "gtin": payloads.GTIN, "futureField": [1]})
    assert product["futureField"] == [1]
    assert (product.name, product.certifications, product.created_at) == (None, (), None)
    batch = Batch.from_json({"id": True, "lot": 5})  # wrong types do not raise
    assert (batch.id, batch.lot, batch.origin) == (0, "", None)
    job = CaptureJob.from_json({"captureID": 12, "running": True})
    assert (job.capture_id, job.running, job.success, job.stored) == ("12", True, None, None)


def test_results_compare_by_fields_not_raw() -> None:
    one = Product.from_json(payloads.product())
    two = Product.from_json({**payloads.product(), "extra": 1})
    assert one == two and one.raw != two.raw
    with pytest.raises(AttributeError):
        one.id = 5  # type: ignore[misc]
    with pytest.raises(NotImplementedError):
        Model.from_json({})
