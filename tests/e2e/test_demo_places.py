"""The demo shop names its places publicly, so a seeded unit's trace says where each step
happened, in both languages, without showing a GLN."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask

from examples.demo_shop import goods
from tests.e2e.test_demo_shop import (
    Demo,
    Shopper,
    _config,
    _seeded_unit,
    code_of,
    path_of,
)


@pytest.fixture
def app(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Flask]:
    started = Demo(tmp_path / "instance", _config(request, "sqlite"))
    yield started.start()
    started.close()


def test_a_seeded_units_trace_names_its_places(app: Flask) -> None:
    unit = _seeded_unit(app, "longjing-tea")
    shopper = Shopper(app.test_client())
    path = path_of(code_of(app, unit))
    garden, warehouse = goods.PLACES["tea-garden"], goods.PLACES["warehouse"]
    for lang, name in (("en", "en"), ("zh-CN", "zh")):
        response = shopper.get(
            path, headers={"Accept": "application/json"}, query_string={"lang": lang}
        )
        text = response.get_data(as_text=True)
        body = response.get_json()
        places = [step.get("place") for step in body["timeline"]]
        assert getattr(garden, name) in places[0]
        assert any(p and p.startswith(getattr(warehouse, name)) for p in places)
        # Delivered to its customer, whose address is never shown: no place now, not the
        # warehouse it left.
        assert body["now"]["status"] == "delivered" and "place" not in body["now"]
        assert garden.gln not in text and "414/" not in text
    html = shopper.text(path, query_string={"lang": "en"})
    assert garden.en in html.replace("&#39;", "'")
