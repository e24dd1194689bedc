"""JSON the service answers, as the merchant API and the EPCIS binding write it."""

from __future__ import annotations

from typing import Any

GTIN = "09506000134352"
UNIT = f"https://shop.example.com/trace/01/{GTIN}/10/LOT42/21/7KQ2M9XH4C8RT"
STAMP = "2024-05-01T10:00:00Z"


def product(id_: int = 1, gtin: str = GTIN, **extra: Any) -> dict[str, Any]:
    return {
        "id": id_,
        "gtin": gtin,
        "name": {"zh-CN": "有机苹果", "en": "Organic apples"},
        "description": None,
        "category": "food",
        "listingUrl": "https://shop.example.com/p/1",
        "shopProductId": "sp-1",
        "certifications": [
            {
                "scheme": "organic",
                "issuer": "CQC",
                "number": "ORG-1",
                "verification": "third-party",
                "validUntil": "2026-12-31",
            }
        ],
        "visibility": {"name": "public"},
        "createdAt": STAMP,
        "updatedAt": STAMP,
        **extra,
    }


def batch(id_: int = 7, product_id: int = 1, lot: str = "LOT42", **extra: Any) -> dict[str, Any]:
    return {
        "id": id_,
        "productId": product_id,
        "gtin": GTIN,
        "lot": lot,
        "productionDate": "2024-04-30",
        "expiryDate": None,
        "origin": {"place": {"zh-CN": "烟台", "en": "Yantai"}, "countryCode": "CN"},
        "producer": {"name": {"zh-CN": "果园", "en": "Orchard"}, "gln": "9506000000003"},
        "inspectionReports": [
            {"issuer": "Lab", "number": "R1", "date": "2024-05-02", "result": "pass"}
        ],
        "certifications": [],
        "visibility": {"origin": "public"},
        "codesIssued": 3,
        "createdAt": STAMP,
        "updatedAt": STAMP,
        **extra,
    }


def issuance(id_: int = 3, status: str = "done", count: int = 2, done: int = 2) -> dict[str, Any]:
    return {
        "id": id_,
        "batchId": 7,
        "count": count,
        "done": done,
        "status": status,
        "progress": done / count,
        "error": None,
        "createdAt": STAMP,
        "updatedAt": STAMP,
        "finishedAt": STAMP if status in ("done", "failed") else None,
    }


def code(serial: str) -> dict[str, Any]:
    return {
        "serial": serial,
        "uri": f"https://shop.example.com/trace/01/{GTIN}/10/LOT42/21/{serial}",
        "status": "issued",
        "issuanceId": 3,
        "issuedAt": STAMP,
    }


def capture_job(capture_id: str = "12", running: bool = False) -> dict[str, Any]:
    return {
        "captureID": capture_id,
        "createdAt": STAMP,
        "finishedAt": None if running else STAMP,
        "running": running,
        "success": None if running else True,
        "captureErrorBehaviour": "rollback",
        "errors": [],
        "eventCount": 2,
        "stored": 0 if running else 2,
        "duplicates": 0,
        "rejected": 0,
    }


def event(n: int) -> dict[str, Any]:
    return {
        "type": "ObjectEvent",
        "eventID": f"ni:///sha-256;{n:064x}?ver=CBV2.0",
        "eventTime": STAMP,
        "eventTimeZoneOffset": "+00:00",
        "epcList": [UNIT],
        "action": "OBSERVE",
        "bizStep": "shipping",
    }


def query_document(events: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "@context": ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"],
        "type": "EPCISQueryDocument",
        "schemaVersion": "2.0",
        "creationDate": STAMP,
        "epcisBody": {
            "queryResults": {"queryName": "SimpleEventQuery", "resultsBody": {"eventList": events}}
        },
    }


def trace_event(event_id: str = "ni:///sha-256;ab?ver=CBV2.0") -> dict[str, Any]:
    return {
        "eventID": event_id,
        "eventType": "ObjectEvent",
        "eventTime": STAMP,
        "eventTimeZoneOffset": "+08:00",
        "recordTime": STAMP,
        "action": "ADD",
        "bizStep": "commissioning",
        "disposition": "active",
        "readPoint": "urn:epc:id:sgln:9506000.00001.0",
        "bizLocation": None,
        "via": "self",
        "subject": UNIT,
        "role": "epc",
        "bizTransactions": [{"type": "po", "id": "urn:shop:order:1001"}],
        "sources": [],
        "destinations": [],
        "event": {"type": "ObjectEvent"},
    }


def trace() -> dict[str, Any]:
    return {
        "code": UNIT,
        "kind": "unit",
        "epc": f"https://id.gs1.org/01/{GTIN}/21/7KQ2M9XH4C8RT",
        "gtin": GTIN,
        "lot": "LOT42",
        "serial": "7KQ2M9XH4C8RT",
        "sscc": None,
        "product": product(),
        "batch": batch(),
        "unit": {
            "serial": "7KQ2M9XH4C8RT",
            "status": "sold",
            "issuedAt": STAMP,
            "firstScanAt": None,
            "lastScanAt": None,
            "scanCount": 0,
        },
        "state": {
            "status": "sold",
            "disposition": "retail_sold",
            "place": "urn:epc:id:sgln:9506000.00002.0",
            "placeSince": STAMP,
            "readPoint": None,
            "lastStep": "retail_selling",
            "lastEventTime": STAMP,
            "container": None,
        },
        "containers": [
            {
                "container": "urn:epc:id:sscc:9506000.0000000001",
                "level": 1,
                "since": STAMP,
                "until": None,
            }
        ],
        "inputs": [
            {
                "epc": "https://id.gs1.org/01/09506000134369/10/RAW1",
                "level": "class",
                "quantity": 2.5,
                "uom": "KGM",
                "eventID": "ni:///sha-256;cd?ver=CBV2.0",
                "events": [trace_event("ni:///sha-256;ef?ver=CBV2.0")],
            }
        ],
        "outputs": [],
        "events": [trace_event()],
    }
