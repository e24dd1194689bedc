"""Captured supply-chain events move the merchant's units forward: commissioning, packing."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import Flask

from shoptrace.sdk.epcis import events as ev
from shoptrace.shop_plugin.extension import state_of
from shoptrace.shop_plugin.store.tables import units
from tests.shop_plugin.epcis_helpers import CASE, FACTORY, at, capture, document
from tests.shop_plugin.helpers import GTIN, Api


def _codes(api: Api, count: int, lot: str = "LOT42") -> list[dict[str, Any]]:
    product = api.product()
    batch = api.batch(product["id"], lot)
    codes: list[dict[str, Any]] = api.post(
        f"/batches/{batch['id']}/codes", {"count": count}
    ).get_json()["codes"]
    return codes


def _statuses(app: Flask) -> dict[str, str]:
    with state_of(app).store.read() as conn:
        rows = conn.execute(sa.select(units.c.serial, units.c.status)).all()
    return {row.serial: row.status for row in rows}


def _urn(serial: str) -> str:
    # The test GTIN 09506000134352: company prefix 9506000, item reference 013435.
    assert GTIN == "09506000134352"
    return f"urn:epc:id:sgtin:9506000.013435.{serial}"


def test_commissioning_and_packing_move_units(app: Flask, api: Api) -> None:
    codes = _codes(api, 4)
    first, second, third, fourth = codes
    commission = ev.commission(
        [first["uri"], _urn(second["serial"]), third["uri"]],
        read_point=FACTORY,
        event_time=at(0),
    )
    pack = ev.pack(CASE, [first["uri"], fourth["uri"]], read_point=FACTORY, event_time=at(1))
    response = capture(api, document([commission, pack]))
    assert response.status_code == 202, response.get_json()
    assert _statuses(app) == {
        first["serial"]: "packed",
        second["serial"]: "commissioned",  # a URN names the same unit
        third["serial"]: "commissioned",
        fourth["serial"]: "packed",  # packed without a commissioning event of its own
    }


def test_events_never_move_units_back_or_touch_other_merchants(
    app: Flask, api: Api, other_api: Api
) -> None:
    mine = _codes(api, 1)[0]
    theirs = _codes(other_api, 1, lot="LOT7")[0]
    pack = ev.pack(CASE, [mine["uri"]], read_point=FACTORY, event_time=at(1))
    assert capture(api, document([pack])).status_code == 202
    late = ev.commission([mine["uri"], theirs["uri"]], read_point=FACTORY, event_time=at(2))
    assert capture(api, document([late])).status_code == 202
    assert _statuses(app) == {mine["serial"]: "packed", theirs["serial"]: "issued"}


def test_observations_do_not_change_status(app: Flask, api: Api) -> None:
    code = _codes(api, 1)[0]
    seen = ev.object_event(
        "OBSERVE", epcs=[code["uri"]], biz_step="shipping", read_point=FACTORY, event_time=at(3)
    )
    assert capture(api, document([seen])).status_code == 202
    assert _statuses(app) == {code["serial"]: "issued"}


def test_a_sale_recorded_elsewhere_marks_the_unit_sold(app: Flask, api: Api) -> None:
    sold, kept = _codes(api, 2)
    commission = ev.commission([sold["uri"], kept["uri"]], read_point=FACTORY, event_time=at(0))
    till = ev.sell([sold["uri"]], biz_location=FACTORY, event_time=at(5))
    assert capture(api, document([commission, till])).status_code == 202
    assert _statuses(app) == {sold["serial"]: "sold", kept["serial"]: "commissioned"}
