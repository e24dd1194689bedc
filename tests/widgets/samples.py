"""Sample public trace JSON, as the resolver answers it (see the contract in the widget README)."""

from __future__ import annotations

import copy
from typing import Any

GTIN = "09506000134352"
LOT = "LJ2026-04"
SERIAL = "7KQ2M9XH4C8RTW3HZP"
ORIGIN = "https://shop.example.com"
CODE = f"{ORIGIN}/trace/01/{GTIN}/10/{LOT}/21/{SERIAL}"

_LABELS: dict[str, dict[str, str]] = {
    "en": {
        "name": "West Lake Longjing tea 250 g",
        "description": "Spring harvest, pan-fired by hand.",
        "category": "Edible agricultural products",
        "origin": "Longjing village, Hangzhou, Zhejiang",
        "producer": "Shifeng Tea Cooperative",
        "cert": "Organic certification",
        "cert2": "GAP certificate",
        "third": "Third-party verified",
        "self": "Self-declared",
        "harvested": "Harvested",
        "processed": "Processed",
        "inspected": "Inspected",
        "shipped": "Shipped",
        "sold": "Sold",
        "active": "Active",
        "in_transit": "On its way",
        "status": "Sold",
        "place": "Example Tea Shop, Shanghai",
        "genuine": "Genuine",
        "shop": "Example Tea Shop",
        "recalled": "Recalled",
        "reason": "Pesticide residue above the limit in lab re-test",
        "warning": "Possible counterfeit",
        "detail": "This trace code was not issued by this shop.",
    },
    "zh-CN": {
        "name": "西湖龙井茶 250 克",
        "description": "明前春茶，手工炒制。",
        "category": "食用农产品",
        "origin": "浙江省杭州市龙井村",
        "producer": "狮峰茶叶合作社",
        "cert": "有机产品认证",
        "cert2": "良好农业规范认证",
        "third": "第三方认证",
        "self": "自我声明",
        "harvested": "收获",
        "processed": "加工",
        "inspected": "检验",
        "shipped": "发货",
        "sold": "售出",
        "active": "在用",
        "in_transit": "运输途中",
        "status": "已售出",
        "place": "示例茶叶店（上海）",
        "genuine": "正品",
        "shop": "示例茶叶店",
        "recalled": "已召回",
        "reason": "复检农药残留超标",
        "warning": "疑似假冒",
        "detail": "该追溯码不是本店签发的。",
    },
}


def unit_trace(lang: str = "en", *, recalled: bool = False) -> dict[str, Any]:
    """A unit trace with every public field the contract has."""
    w = _LABELS[lang]
    trace: dict[str, Any] = {
        "code": CODE,
        "kind": "unit",
        "lang": lang,
        "gtin": GTIN,
        "lot": LOT,
        "serial": SERIAL,
        "product": {
            "name": w["name"],
            "description": w["description"],
            "category": {"code": "edible-agricultural-products", "label": w["category"]},
            "listingUrl": f"{ORIGIN}/p/longjing",
        },
        "batch": {
            "lot": LOT,
            "productionDate": "2026-04-02",
            "expiryDate": "2027-12-31",
            "origin": {"name": w["origin"]},
            "producer": {"name": w["producer"]},
        },
        "certifications": [
            {
                "scheme": "organic",
                "label": w["cert"],
                "issuer": "China Quality Certification Centre",
                "number": "CN-ORG-2026-0042",
                "validUntil": "2027-06-30",
                "verification": "third_party",
                "verificationLabel": w["third"],
            },
            {
                "scheme": "gap",
                "label": w["cert2"],
                "issuer": "Shifeng Tea Cooperative",
                "number": "GAP-7",
                "verification": "self-declared",
                "verificationLabel": w["self"],
            },
        ],
        "timeline": [
            {
                "time": "2026-04-01T06:30:00+08:00",
                "step": "harvesting",
                "title": w["harvested"],
                "place": w["origin"],
                "disposition": "active",
                "dispositionLabel": w["active"],
            },
            {
                "time": "2026-04-02T14:00:00+08:00",
                "step": "transforming",
                "title": w["processed"],
                "place": w["producer"],
            },
            {"time": "2026-04-03T09:00:00+08:00", "step": "inspecting", "title": w["inspected"]},
            {
                "time": "2026-04-20T08:15:00+08:00",
                "step": "shipping",
                "title": w["shipped"],
                "disposition": "in_transit",
                "dispositionLabel": w["in_transit"],
            },
            {
                "time": "2026-05-03T10:00:00Z",
                "step": "retail_selling",
                "title": w["sold"],
                "place": w["place"],
            },
        ],
        "now": {
            "status": "sold",
            "statusLabel": w["status"],
            "place": w["place"],
            "since": "2026-05-03T10:00:00Z",
        },
        "verification": {
            "genuine": True,
            "label": w["genuine"],
            "firstCheckedAt": "2026-05-04T09:12:00Z",
            "checkCount": 3,
            "soldBy": w["shop"],
            "soldAt": "2026-05-03",
        },
        "completeness": {"percent": 86},
    }
    if recalled:
        trace["recall"] = {
            "recalled": True,
            "label": w["recalled"],
            "reason": w["reason"],
            "since": "2026-05-10",
        }
    return trace


def lot_trace(lang: str = "en") -> dict[str, Any]:
    """A lot trace: no serial, no unit verification, no "now"."""
    trace = unit_trace(lang)
    trace["kind"] = "lot"
    trace["code"] = f"{ORIGIN}/trace/01/{GTIN}/10/{LOT}"
    for key in ("serial", "verification", "now"):
        del trace[key]
    return trace


def unknown_trace(
    lang: str = "en", code: str = f"{ORIGIN}/trace/01/{GTIN}/21/FAKE"
) -> dict[str, Any]:
    """The 404 body for an unknown code."""
    w = _LABELS[lang]
    return {
        "code": code,
        "kind": "unknown",
        "lang": lang,
        "warning": {"label": w["warning"], "detail": w["detail"]},
    }


def copy_of(trace: dict[str, Any]) -> dict[str, Any]:
    """A deep copy, to change one field in a test."""
    return copy.deepcopy(trace)
