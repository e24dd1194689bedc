"""The national catalogue of important traceable products, and what each class must record.

Seven classes are in the mandatory catalogue (食用农产品, 食品, 药品, 农业生产资料, 特种设备,
危险品, 稀土产品); five more are encouraged. The data each class needs follows the trace-unit
and trace-record elements of GB/T 38155-38159 (who made it, where, when, which lot, how it was
checked); :mod:`~shoptrace.shop_plugin.services.completeness` checks them.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["CATEGORIES", "CATEGORY_CODES", "REQUIREMENTS", "Category", "Requirement"]


@dataclass(frozen=True)
class Category:
    """One catalogue class: its code in the API, its names, and whether it is mandatory."""

    code: str
    en: str
    zh: str
    mandatory: bool


@dataclass(frozen=True)
class Requirement:
    """A piece of trace data: where it lives (``product`` or ``batch``) and its names."""

    field: str
    level: str
    en: str
    zh: str


CATEGORIES: tuple[Category, ...] = (
    Category("edible-agricultural-products", "Edible agricultural products", "食用农产品", True),
    Category("food", "Food", "食品", True),
    Category("drugs", "Drugs", "药品", True),
    Category("agricultural-inputs", "Agricultural inputs", "农业生产资料", True),
    Category("special-equipment", "Special equipment", "特种设备", True),
    Category("hazardous-goods", "Hazardous goods", "危险品", True),
    Category("rare-earth-products", "Rare earth products", "稀土产品", True),
    Category("maternal-infant-products", "Maternal and infant products", "妇幼用品", False),
    Category("building-materials", "Building materials", "建材", False),
    Category("household-appliances", "Household appliances", "家电", False),
    Category("auto-parts", "Auto parts", "汽车零配件", False),
    Category("local-specialties", "Local specialties", "地方特色产品", False),
)
CATEGORY_CODES = tuple(c.code for c in CATEGORIES)

_R = {
    "name.zh-CN": Requirement("name.zh-CN", "product", "Product name in Chinese", "中文商品名称"),
    "certifications.thirdParty": Requirement(
        "certifications.thirdParty",
        "any",
        "A valid third-party verified certificate (product or batch)",
        "有效的第三方认证证书（商品或批次）",
    ),
    "productionDate": Requirement("productionDate", "batch", "Production date", "生产日期"),
    "expiryDate": Requirement("expiryDate", "batch", "Expiry date", "有效期至"),
    "origin": Requirement("origin", "batch", "Origin", "产地"),
    "producer": Requirement("producer", "batch", "Producer", "生产者"),
    "producer.licenseNumber": Requirement(
        "producer.licenseNumber", "batch", "Producer's licence number", "生产许可证编号"
    ),
    "inspectionReports": Requirement(
        "inspectionReports", "batch", "An inspection report", "检验报告"
    ),
}

_BASE = ("name.zh-CN", "productionDate", "producer")
_EXTRA: dict[str, tuple[str, ...]] = {
    "edible-agricultural-products": ("origin", "inspectionReports"),
    "food": ("expiryDate", "producer.licenseNumber", "inspectionReports"),
    "drugs": (
        "expiryDate",
        "producer.licenseNumber",
        "inspectionReports",
        "certifications.thirdParty",
    ),
    "agricultural-inputs": ("expiryDate", "producer.licenseNumber", "certifications.thirdParty"),
    "special-equipment": (
        "producer.licenseNumber",
        "inspectionReports",
        "certifications.thirdParty",
    ),
    "hazardous-goods": ("producer.licenseNumber", "inspectionReports", "certifications.thirdParty"),
    "rare-earth-products": ("origin", "producer.licenseNumber", "inspectionReports"),
    "maternal-infant-products": ("expiryDate", "inspectionReports", "certifications.thirdParty"),
    "building-materials": ("inspectionReports", "certifications.thirdParty"),
    "household-appliances": ("certifications.thirdParty",),
    "auto-parts": ("certifications.thirdParty",),
    "local-specialties": ("origin", "certifications.thirdParty"),
}

REQUIREMENTS: dict[str, tuple[Requirement, ...]] = {
    code: tuple(_R[name] for name in (*_BASE, *_EXTRA[code])) for code in CATEGORY_CODES
}
"""Trace data each catalogue class requires, product-level first."""
