"""The words shoppers see, in English and Simplified Chinese, and how a language is chosen.

Terms follow ``GLOSSARY.md``. Keys are grouped by prefix: ``step.`` (CBV 2.0 business steps
plus the shop steps ``harvesting``, ``transforming`` and ``returning``), ``disposition.``,
``status.`` (unit statuses), ``category.`` (national catalogue classes), ``verification.``
(how a claim is backed), ``kind.`` (what a code identifies), ``ui.`` (page and widget
chrome), ``recall.`` (recall levels) and ``order.`` (the shopper's order page). A phrase may
have placeholders (``{date}``, ``{count}``, ``{shop}``, ...); ``key + ".one"`` is the English
singular used when ``count == 1``.

Language choice (:func:`negotiate`): Simplified Chinese tags (``zh``, ``zh-CN``, ``zh-SG``,
``zh-Hans...``) pick ``zh-CN``; ``en...`` picks ``en``. Traditional Chinese tags (``zh-TW``,
``zh-HK``, ``zh-MO``, ``zh-Hant...``) pick ``zh-CN`` only when nothing in the header matches
exactly: a reader who also lists English gets English, one who lists only Traditional Chinese
gets Simplified Chinese, which is closer to what they asked for than English.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Final, Literal

__all__ = [
    "LANGS",
    "Lang",
    "PHRASES",
    "WIDGET_KEYS",
    "category_phrase",
    "disposition_phrase",
    "format_date",
    "format_datetime",
    "kind_phrase",
    "negotiate",
    "normalize_lang",
    "recall_severity_phrase",
    "status_phrase",
    "step_phrase",
    "t",
    "verification_phrase",
    "widget_phrases",
]

Lang = Literal["en", "zh-CN"]
LANGS: Final[tuple[Lang, ...]] = ("en", "zh-CN")

_STEPS: dict[str, tuple[str, str]] = {
    # CBV 2.0 business steps, every one of them.
    "accepting": ("Accepted", "验收"),
    "arriving": ("Received", "收货"),
    "assembling": ("Processed", "加工"),
    "collecting": ("Collected for return or recycling", "回收"),
    "commissioning": ("Coded and registered", "赋码登记"),
    "consigning": ("Handed to the carrier", "交付承运"),
    "creating_class_instance": ("Lot registered", "批次登记"),
    "cycle_counting": ("Stock counted", "盘点"),
    "decommissioning": ("Code retired", "注销追溯码"),
    "departing": ("Departed", "出发"),
    "destroying": ("Destroyed", "销毁"),
    "disassembling": ("Taken apart", "拆解"),
    "dispensing": ("Dispensed", "配发"),
    "encoding": ("Code written", "写码"),
    "entering_exiting": ("Passed a checkpoint", "出入通行"),
    "holding": ("On hold", "暂扣"),
    "inspecting": ("Inspected", "检验"),
    "installing": ("Installed", "安装"),
    "killing": ("Tag disabled", "标签停用"),
    "loading": ("Shipped", "发货"),
    "other": ("Other step", "其他环节"),
    "packing": ("Packed", "包装"),
    "picking": ("Picked for an order", "拣货"),
    "receiving": ("Received", "收货"),
    "removing": ("Removed", "拆除"),
    "repackaging": ("Repacked", "重新包装"),
    "repairing": ("Repaired", "维修"),
    "replacing": ("Replaced", "更换"),
    "reserving": ("Reserved", "预留"),
    "retail_selling": ("Sold", "售出"),
    "sampling": ("Sampled for testing", "抽样"),
    "sensor_reporting": ("Conditions recorded", "环境监测记录"),
    "shipping": ("Shipped", "发货"),
    "staging_outbound": ("Ready to ship", "待发货"),
    "stock_taking": ("Stock counted", "盘点"),
    "stocking": ("Put on the shelf", "上架"),
    "storing": ("Stored in warehouse", "入库存储"),
    "transporting": ("In transit", "运输中"),
    "unloading": ("Unloaded", "卸货"),
    "unpacking": ("Unpacked", "拆包"),
    "void_shipping": ("Shipment cancelled", "取消发货"),
    # Shop steps the glossary names that CBV 2.0 has no word for.
    "harvesting": ("Harvested", "收获"),
    "transforming": ("Processed", "加工"),
    "returning": ("Returned", "退货"),
}

_DISPOSITIONS: dict[str, tuple[str, str]] = {
    "active": ("Active", "在用"),
    "available": ("Available", "可用"),
    "completeness_inferred": ("Contents assumed complete", "推定完整"),
    "completeness_verified": ("Contents checked complete", "已核实完整"),
    "conformant": ("Passed checks", "合格"),
    "container_closed": ("Container closed", "容器已封闭"),
    "container_open": ("Container open", "容器已开启"),
    "damaged": ("Damaged", "已损坏"),
    "destroyed": ("Destroyed", "已销毁"),
    "dispensed": ("Dispensed", "已配发"),
    "disposed": ("Disposed of", "已处置"),
    "encoded": ("Code written", "已写码"),
    "expired": ("Expired", "已过期"),
    "in_progress": ("In progress", "处理中"),
    "in_transit": ("On its way", "运输途中"),
    "inactive": ("Inactive", "未启用"),
    "mismatch_class": ("Wrong product received", "品种不符"),
    "mismatch_instance": ("Unexpected item received", "单品不符"),
    "mismatch_quantity": ("Quantity does not match", "数量不符"),
    "needs_replacement": ("Needs replacement", "需更换"),
    "no_pedigree_match": ("Records do not match", "流向记录不符"),
    "non_conformant": ("Failed checks", "不合格"),
    "non_sellable_other": ("Not for sale", "不可销售"),
    "partially_dispensed": ("Partly dispensed", "部分配发"),
    "recalled": ("Recalled", "已召回"),
    "reserved": ("Reserved", "已预留"),
    "retail_sold": ("Sold", "已售出"),
    "returned": ("Returned", "已退货"),
    "sellable_accessible": ("On sale", "在售"),
    "sellable_not_accessible": ("In stock, not on the shelf", "有货未上架"),
    "stolen": ("Reported stolen", "已报失窃"),
    "unavailable": ("Unavailable", "不可用"),
    "unknown": ("Unknown", "未知"),
}

_STATUSES: dict[str, tuple[str, str]] = {
    "issued": ("Code issued", "已发码"),
    "commissioned": ("Coded and registered", "已赋码登记"),
    "packed": ("Packed", "已包装"),
    "shipped": ("Shipped", "已发货"),
    "sold": ("Sold", "已售出"),
    "delivered": ("Delivered", "已签收"),
    "returned": ("Returned", "已退货"),
    "recalled": ("Recalled", "已召回"),
}

_CATEGORIES: dict[str, tuple[str, str]] = {
    "edible_agricultural_products": ("Edible agricultural products", "食用农产品"),
    "food": ("Food", "食品"),
    "drugs": ("Drugs", "药品"),
    "agricultural_inputs": ("Agricultural inputs", "农业生产资料"),
    "special_equipment": ("Special equipment", "特种设备"),
    "hazardous_goods": ("Hazardous goods", "危险品"),
    "rare_earth_products": ("Rare earth products", "稀土产品"),
    "maternal_infant_products": ("Maternal and infant products", "妇幼用品"),
    "building_materials": ("Building materials", "建材"),
    "household_appliances": ("Household appliances", "家电"),
    "auto_parts": ("Auto parts", "汽车零配件"),
    "local_specialties": ("Local specialties", "地方特色产品"),
}
_CATEGORY_ALIASES: dict[str, str] = {
    "edible_agricultural": "edible_agricultural_products",
    "rare_earth": "rare_earth_products",
    "maternal_infant": "maternal_infant_products",
    "maternal_and_infant_products": "maternal_infant_products",
}

_VERIFICATION: dict[str, tuple[str, str]] = {
    "self_declared": ("Self-declared", "自我声明"),
    "third_party": ("Third-party verified", "第三方认证"),
}

_KINDS: dict[str, tuple[str, str]] = {
    "unit": ("Unit", "单品"),
    "lot": ("Lot", "批次"),
    "product": ("Product", "商品"),
    "container": ("Logistic unit", "物流单元"),
    "unknown": ("Unknown code", "未知追溯码"),
}

_UI: dict[str, tuple[str, str]] = {
    "traceable": ("Traceable", "可追溯"),
    "view_trace": ("View trace", "查看追溯信息"),
    "close": ("Close", "关闭"),
    "origin": ("Origin", "产地"),
    "producer": ("Producer", "生产者"),
    "certifications": ("Certifications", "认证证书"),
    "where_now": ("Where it is now", "当前位置"),
    "genuine": ("Genuine", "正品"),
    "possible_counterfeit": ("Possible counterfeit", "疑似假冒"),
    "recalled": ("Recalled", "已召回"),
    "first_checked": ("First checked on {date}", "首次查询时间：{date}"),
    "checked_times": ("Checked {count} times", "已被查询 {count} 次"),
    "checked_times.one": ("Checked once", "已被查询 1 次"),
    "checked_first": ("First check of this code", "该追溯码为首次查询"),
    "sold_by_on": ("Sold by {shop} on {date}", "由 {shop} 于 {date} 售出"),
    "sold_by": ("Sold by {shop}", "由 {shop} 售出"),
    "sold_on": ("Sold on {date}", "于 {date} 售出"),
    "since": ("Since {date}", "自 {date} 起"),
    "authenticity": ("Authenticity", "真伪验证"),
    "not_verified": ("This code could not be verified.", "该追溯码未通过验证。"),
    "journey": ("Journey", "流通记录"),
    "trace_code": ("Trace code", "追溯码"),
    "gtin": ("Product code (GTIN)", "商品条码（GTIN）"),
    "lot": ("Lot", "批次"),
    "serial": ("Serial number", "序列号"),
    "production_date": ("Production date", "生产日期"),
    "expiry_date": ("Expiry date", "有效期至"),
    "category": ("Catalogue class", "追溯目录类别"),
    "issuer": ("Issued by", "发证机构"),
    "certificate_number": ("Certificate no.", "证书编号"),
    "valid_until": ("Valid until {date}", "有效期至 {date}"),
    "completeness": ("Trace completeness", "追溯信息完整度"),
    "percent": ("{percent}%", "{percent}%"),
    "recall_title": ("Recalled", "已召回"),
    "recall_advice": (
        "Stop using this product and contact the shop you bought it from.",
        "请停止使用该商品，并联系购买商家。",
    ),
    "recall_reason": ("Reason", "原因"),
    "recall_since": ("Recalled on {date}", "召回日期：{date}"),
    "counterfeit_detail": (
        "We could not find this trace code. The item may not be genuine.",
        "未找到该追溯码，商品可能不是正品。",
    ),
    "counterfeit_advice": (
        "Check the code against the pack and contact the shop you bought it from.",
        "请核对包装上的追溯码，并联系购买商家。",
    ),
    "product_page": ("Product page", "商品详情页"),
    "full_trace": ("Open the full trace", "查看完整追溯信息"),
    "loading": ("Loading…", "加载中…"),
    "unavailable": ("Trace information is not available right now.", "暂时无法获取追溯信息。"),
    "no_events": ("No steps recorded yet.", "暂无流通记录。"),
    "traceable_product": ("Traceable product", "可追溯商品"),
    "trace_check": ("Trace code check", "追溯码查询"),
    "other_language": ("中文", "English"),
}

_ORDER: dict[str, tuple[str, str]] = {
    # The shopper's order page (``/orders/{token}``).
    "title": ("Order trace", "订单追溯"),
    "yours": ("Your order", "您的订单"),
    "item": ("Item", "商品"),
    "number": ("Order {number}", "订单 {number}"),
    "placed_on": ("Placed on {date}", "下单时间：{date}"),
    "quantity": ("Quantity: {count}", "数量：{count}"),
    "scan_hint": (
        "Scan a code or tap its link to see where the item came from.",
        "扫描二维码或点击链接，查看商品的来源与流通记录。",
    ),
    "qr_label": ("QR code of {code}", "{code} 的二维码"),
    "unit": ("Unit {serial}", "单品 {serial}"),
    "lot": ("Lot {lot}", "批次 {lot}"),
    "more_units": ("and {count} more units", "另有 {count} 件"),
    "more_units.one": ("and 1 more unit", "另有 1 件"),
    "no_trace": ("No trace information for this item.", "该商品暂无追溯信息。"),
    "recall_in_order": ("An item in this order is recalled", "此订单中有商品已召回"),
    "status.placed": ("Order placed", "已下单"),
    "status.fulfilled": ("Shipped", "已发货"),
    "status.delivered": ("Delivered", "已签收"),
    "status.cancelled": ("Cancelled", "已取消"),
    "status.returned": ("Returned", "已退货"),
    "line.open": ("Being prepared", "备货中"),
    "line.allocated": ("Traceable", "可追溯"),
    "line.untraced": ("No trace information", "暂无追溯信息"),
    "line.cancelled": ("Cancelled", "已取消"),
    "line.returned": ("Returned", "已退货"),
}

_RECALL: dict[str, tuple[str, str]] = {
    # Recall levels as GB/T 36061 and the food recall rules count them (1 is the most serious),
    # and the answer of the gs1:recallStatus link for an item that is not recalled.
    "severity.1": ("Level 1 recall (most serious)", "一级召回（最严重）"),
    "severity.2": ("Level 2 recall", "二级召回"),
    "severity.3": ("Level 3 recall", "三级召回"),
    "not_recalled": ("Not recalled", "未召回"),
}

PHRASES: Final[dict[str, dict[Lang, str]]] = {
    f"{group}.{key}": {"en": en, "zh-CN": zh}
    for group, table in (
        ("step", _STEPS),
        ("disposition", _DISPOSITIONS),
        ("status", _STATUSES),
        ("category", _CATEGORIES),
        ("verification", _VERIFICATION),
        ("kind", _KINDS),
        ("ui", _UI),
        ("recall", _RECALL),
        ("order", _ORDER),
    )
    for key, (en, zh) in table.items()
}
"""Every phrase by key, each in both languages."""

WIDGET_KEYS: Final[tuple[str, ...]] = (
    "traceable",
    "view_trace",
    "close",
    "origin",
    "producer",
    "certifications",
    "where_now",
    "genuine",
    "possible_counterfeit",
    "first_checked",
    "checked_times",
    "checked_times.one",
    "checked_first",
    "sold_by_on",
    "sold_by",
    "sold_on",
    "since",
    "authenticity",
    "not_verified",
    "journey",
    "lot",
    "serial",
    "production_date",
    "expiry_date",
    "valid_until",
    "completeness",
    "recall_title",
    "recall_advice",
    "recall_since",
    "counterfeit_detail",
    "counterfeit_advice",
    "full_trace",
    "loading",
    "unavailable",
    "no_events",
)
"""The ``ui.`` phrases the browser widget carries (the trace JSON supplies the data labels)."""


def t(key: str, lang: str, /, **args: object) -> str:
    """The phrase ``key`` in ``lang`` with ``{placeholders}`` filled; ``KeyError`` if unknown."""
    if args.get("count") == 1 and f"{key}.one" in PHRASES:
        key = f"{key}.one"
    text = PHRASES[key][normalize_lang(lang)]
    return text.format_map(args) if args else text


def widget_phrases() -> dict[str, dict[str, str]]:
    """The widget's phrasebook, ``{lang: {key: text}}``, as ``shoptrace.js`` embeds it."""
    return {lang: {k: PHRASES[f"ui.{k}"][lang] for k in WIDGET_KEYS} for lang in LANGS}


_URI_PREFIXES = (
    r"urn:epcglobal:cbv:(?:bizstep|disp):",
    r"https?://ref\.gs1\.org/cbv/(?:BizStep|Disp)-",
    r"https?://gs1\.org/voc/(?:BizStep|Disp)-",
    r"cbv:(?:BizStep|Disp)-",
    r"(?:BizStep|Disp)-",
)
_URI_RE = re.compile(rf"^(?:{'|'.join(_URI_PREFIXES)})", re.IGNORECASE)


def _word(value: str) -> str:
    """A CBV value as its bare word: ``urn:epcglobal:cbv:bizstep:shipping`` -> ``shipping``."""
    return _URI_RE.sub("", value.strip()).lower().replace("-", "_")


def step_phrase(biz_step: str | None, lang: str) -> str:
    """What a business step means to a shopper; bare words, CBV URNs and URIs all work.

    A company's own step (any other URI) reads as "Other step".
    """
    word = _word(biz_step or "")
    return t(f"step.{word}" if word in _STEPS else "step.other", lang)


def disposition_phrase(disposition: str | None, lang: str) -> str:
    """The state a disposition leaves goods in; unknown or custom values read as "Unknown"."""
    word = _word(disposition or "")
    return t(f"disposition.{word}" if word in _DISPOSITIONS else "disposition.unknown", lang)


def status_phrase(status: str | None, lang: str) -> str | None:
    """A unit status as shoppers read it, or ``None`` for a status this release does not know."""
    word = (status or "").strip().lower()
    return t(f"status.{word}", lang) if word in _STATUSES else None


def category_phrase(code: str | None, lang: str) -> str | None:
    """A catalogue class by its code (``edible-agricultural-products`` or ``food`` ...)."""
    word = (code or "").strip().lower().replace("-", "_")
    word = _CATEGORY_ALIASES.get(word, word)
    return t(f"category.{word}", lang) if word in _CATEGORIES else None


def verification_phrase(level: str | None, lang: str) -> str | None:
    """A verification level (``self-declared``, ``third-party-verified`` or ``third_party``)."""
    word = (level or "").strip().lower().replace("-", "_").removesuffix("_verified")
    return t(f"verification.{word}", lang) if word in _VERIFICATION else None


def recall_severity_phrase(level: str | None, lang: str) -> str | None:
    """A recall level (``1`` most serious to ``3``), or ``None`` for one this release does
    not know."""
    word = (level or "").strip()
    return t(f"recall.severity.{word}", lang) if f"severity.{word}" in _RECALL else None


def kind_phrase(kind: str | None, lang: str) -> str | None:
    """What a code identifies: a unit, a lot or a product."""
    word = (kind or "").strip().lower()
    return t(f"kind.{word}", lang) if word in _KINDS else None


# --- choosing a language ----------------------------------------------------------------------

_TAG_RE = re.compile(r"^[A-Za-z]{1,8}(?:[-_][A-Za-z0-9]{1,8})*$")
_Q_RE = re.compile(r"^[qQ]\s*=\s*(0(?:\.[0-9]{0,3})?|1(?:\.0{0,3})?)$")
_TRADITIONAL = ("zh-tw", "zh-hk", "zh-mo", "zh-hant")
_MAX_HEADER = 1024
_MAX_RANGES = 32


def _match(tag: str) -> tuple[Lang, bool] | None:
    """The language a tag asks for, and whether that is an exact match (not a stand-in)."""
    tag = tag.lower().replace("_", "-")
    if tag == "en" or tag.startswith("en-"):
        return "en", True
    if tag == "zh" or tag.startswith("zh-"):
        traditional = any(tag == p or tag.startswith(p + "-") for p in _TRADITIONAL)
        hans = tag.startswith("zh-hans")
        return "zh-CN", hans or not traditional
    return None


def normalize_lang(lang: str) -> Lang:
    """``lang`` as one of :data:`LANGS` (``zh``, ``zh-Hans``, ``en-GB`` ... are accepted).

    Raises ``ValueError`` for a tag that names neither language.
    """
    if lang in LANGS:
        return lang
    found = _match(lang.strip()) if _TAG_RE.match(lang.strip()) else None
    if found is None:
        raise ValueError(f"unsupported language {lang!r}; expected one of {', '.join(LANGS)}")
    return found[0]


def negotiate(lang_param: str | None, accept_language: str | None, default: str = "en") -> Lang:
    """The page language: ``?lang=`` when it names en or Chinese, else the best match in
    ``Accept-Language`` (q-values honoured, ``q=0`` excluded, malformed entries ignored),
    else ``default``. See the module docstring for Traditional Chinese.
    """
    fallback = normalize_lang(default)
    if lang_param:
        param = lang_param.strip()[:35]
        found = _match(param) if _TAG_RE.match(param) else None
        if found is not None:
            return found[0]
    if not accept_language:
        return fallback
    exact: list[tuple[float, int, Lang]] = []
    stand_in: list[tuple[float, int, Lang]] = []
    for index, item in enumerate(accept_language[:_MAX_HEADER].split(",")[:_MAX_RANGES]):
        tag, *params = (part.strip() for part in item.split(";"))
        if not _TAG_RE.match(tag):
            continue
        quality: float | None = 1.0
        for param in params:
            if param[:1] in ("q", "Q"):
                q = _Q_RE.match(param)
                quality = float(q.group(1)) if q else None
        found = _match(tag)
        if found is None or not quality:
            continue
        (exact if found[1] else stand_in).append((-quality, index, found[0]))
    best = min(exact or stand_in, default=None)
    return best[2] if best else fallback


# --- dates ------------------------------------------------------------------------------------

_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def _date_text(day: date, lang: str) -> str:
    if normalize_lang(lang) == "zh-CN":
        return f"{day.year}年{day.month}月{day.day}日"
    return f"{day.day} {_MONTHS[day.month - 1]} {day.year}"


def format_date(value: str | None, lang: str) -> str:
    """An ISO date (or the date part of a timestamp) as shoppers read it; other text as is."""
    if not value:
        return ""
    try:
        day = date.fromisoformat(value[:10])
    except ValueError:
        return value
    return _date_text(day, lang)


def format_datetime(value: str | None, lang: str) -> str:
    """An ISO timestamp as date and time, in the time zone it was recorded in.

    A bare date shows as a date; text that is not ISO 8601 shows as is.
    """
    if not value:
        return ""
    if len(value) == 10:
        return format_date(value, lang)
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return value
    return f"{_date_text(moment.date(), lang)} {moment:%H:%M}"
