"""Trace completeness: what a catalogue class requires, what is present, what is missing."""

from __future__ import annotations

from datetime import date, timedelta

from shoptrace.shop_plugin.services.catalogue import CATEGORIES, CATEGORY_CODES, REQUIREMENTS
from tests.shop_plugin.helpers import Api

PRODUCER = {"name": {"zh-CN": "某药厂"}, "licenseNumber": "YP-1"}
REPORT = {"issuer": "NIFDC", "number": "R1", "date": "2025-01-05", "result": "pass"}


def _cert(verification: str, until: date | None = None) -> dict[str, str]:
    cert = {"scheme": "GMP", "issuer": "NMPA", "number": "G1", "verification": verification}
    if until is not None:
        cert["validUntil"] = until.isoformat()
    return cert


def test_catalogue_has_seven_mandatory_and_five_encouraged_classes(api: Api) -> None:
    listed = api.get("/categories").get_json()["categories"]
    assert [c["code"] for c in listed] == list(CATEGORY_CODES)
    assert sum(c["mandatory"] for c in listed) == 7 and len(listed) == 12
    food = next(c for c in listed if c["code"] == "food")
    assert food["name"] == {"en": "Food", "zh-CN": "食品"}
    assert {"expiryDate", "inspectionReports"} <= {r["field"] for r in food["requirements"]}
    assert all(REQUIREMENTS[c.code] for c in CATEGORIES)


def test_a_drug_batch_lists_what_is_missing_until_complete(api: Api) -> None:
    product = api.product(category="drugs")
    batch = api.batch(product["id"], "D1", productionDate="2025-01-01")
    report = api.get(f"/batches/{batch['id']}/completeness").get_json()
    assert report["category"] == "drugs" and report["complete"] is False
    assert report["missing"] == [
        "producer",
        "expiryDate",
        "producer.licenseNumber",
        "inspectionReports",
        "certifications.thirdParty",
    ]
    assert report["score"] == round(2 / 7, 4)
    present = {r["field"]: r["present"] for r in report["required"]}
    assert present["name.zh-CN"] and present["productionDate"]
    api.patch(
        f"/batches/{batch['id']}",
        {
            "expiryDate": "2027-01-01",
            "producer": PRODUCER,
            "inspectionReports": [REPORT],
            "certifications": [_cert("self-declared")],
        },
    )
    still = api.get(f"/batches/{batch['id']}/completeness").get_json()
    assert still["missing"] == ["certifications.thirdParty"]
    api.patch(
        f"/products/{product['id']}",
        {"certifications": [_cert("third-party-verified", date.today() - timedelta(days=1))]},
    )
    expired = api.get(f"/batches/{batch['id']}/completeness").get_json()
    assert expired["missing"] == ["certifications.thirdParty"]
    api.patch(
        f"/batches/{batch['id']}",
        {"certifications": [_cert("third-party-verified", date.today() + timedelta(days=30))]},
    )
    done = api.get(f"/batches/{batch['id']}/completeness").get_json()
    assert done["complete"] is True and done["missing"] == [] and done["score"] == 1.0


def test_product_completeness_counts_its_batches(api: Api) -> None:
    product = api.product(
        category="edible-agricultural-products", name={"en": "Apples only in English"}
    )
    full = {
        "productionDate": "2025-07-01",
        "producer": {"name": {"en": "Orchard"}},
        "origin": {"place": {"zh-CN": "烟台"}},
        "inspectionReports": [REPORT],
    }
    complete = api.batch(product["id"], "A1", **full)
    partial = api.batch(product["id"], "A2", productionDate="2025-07-01")
    report = api.get(f"/products/{product['id']}/completeness").get_json()
    assert report["missing"] == ["name.zh-CN"]
    assert report["batches"]["total"] == 2 and report["batches"]["complete"] == 1
    assert report["batches"]["incomplete"] == [
        {
            "batchId": partial["id"],
            "lot": "A2",
            "missing": ["producer", "origin", "inspectionReports"],
        }
    ]
    assert [r["field"] for r in report["batchRequired"]] == [
        "productionDate",
        "producer",
        "origin",
        "inspectionReports",
    ]
    assert report["score"] == round((0 + 4 + 1) / 9, 4)
    assert report["complete"] is False
    assert complete["lot"] == "A1"


def test_a_product_without_batches_is_not_complete(api: Api) -> None:
    product = api.product(category="household-appliances")
    report = api.get(f"/products/{product['id']}/completeness").get_json()
    assert report["missing"] == [] and report["batches"]["total"] == 0
    assert report["complete"] is False
