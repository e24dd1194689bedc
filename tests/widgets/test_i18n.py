"""The phrasebook: both languages for every key, the glossary's words, language negotiation."""

from __future__ import annotations

import json
import re
import string

import pytest

from shoptrace.sdk.epcis.vocab import BizStep, Disposition
from shoptrace.widgets import i18n
from shoptrace.widgets.i18n import (
    PHRASES,
    category_phrase,
    disposition_phrase,
    format_date,
    format_datetime,
    negotiate,
    normalize_lang,
    status_phrase,
    step_phrase,
    t,
    verification_phrase,
)
from shoptrace.widgets.render import widget_js
from tests._conformance import ROOT

# The glossary's words (../shared/GLOSSARY.md), en and zh-CN, for what shoppers see.
GLOSSARY_STEPS = {
    "commissioning": ("Coded and registered", "赋码登记"),
    "harvesting": ("Harvested", "采摘 / 收获"),
    "assembling": ("Processed", "加工"),
    "transforming": ("Processed", "加工"),
    "inspecting": ("Inspected", "检验"),
    "packing": ("Packed", "包装"),
    "loading": ("Shipped", "发货"),
    "shipping": ("Shipped", "发货"),
    "transporting": ("In transit", "运输中"),
    "receiving": ("Received", "收货"),
    "arriving": ("Received", "收货"),
    "storing": ("Stored in warehouse", "入库存储"),
    "retail_selling": ("Sold", "售出"),
    "returning": ("Returned", "退货"),
    "destroying": ("Destroyed", "销毁"),
}
GLOSSARY_DISPOSITIONS = {
    "recalled": ("Recalled", "已召回"),
    "in_transit": ("On its way", "运输途中"),
    "active": ("Active", "在用"),
    "sellable_accessible": ("On sale", "在售"),
}
GLOSSARY_CATEGORIES = {
    "edible-agricultural-products": ("edible agricultural products", "食用农产品"),
    "food": ("food", "食品"),
    "drugs": ("drugs", "药品"),
    "agricultural-inputs": ("agricultural inputs", "农业生产资料"),
    "special-equipment": ("special equipment", "特种设备"),
    "hazardous-goods": ("hazardous goods", "危险品"),
    "rare-earth-products": ("rare earth products", "稀土产品"),
    "maternal-infant-products": ("maternal and infant products", "妇幼用品"),
    "building-materials": ("building materials", "建材"),
    "household-appliances": ("household appliances", "家电"),
    "auto-parts": ("auto parts", "汽车零配件"),
    "local-specialties": ("local specialties", "地方特色产品"),
}
# key -> (English words the phrase contains, Chinese words it contains)
GLOSSARY_UI = {
    "ui.traceable": ("Traceable", "可追溯"),
    "ui.origin": ("Origin", "产地"),
    "ui.producer": ("Producer", "生产者"),
    "ui.genuine": ("Genuine", "正品"),
    "ui.possible_counterfeit": ("Possible counterfeit", "疑似假冒"),
    "ui.recalled": ("Recalled", "已召回"),
    "ui.recall_title": ("Recalled", "已召回"),
    "ui.first_checked": ("First checked on", "首次查询时间"),
    "ui.lot": ("Lot", "批次"),
    "ui.serial": ("Serial number", "序列号"),
    "ui.production_date": ("Production date", "生产日期"),
    "ui.expiry_date": ("Expiry date", "有效期至"),
    "ui.completeness": ("Trace completeness", "追溯信息完整度"),
    "ui.trace_code": ("Trace code", "追溯码"),
    "ui.certifications": ("Certifications", "认证证书"),
    "ui.product_page": ("Product page", "商品详情页"),
    "ui.gtin": ("GTIN", "商品条码"),
    "kind.unit": ("Unit", "单品"),
    "kind.lot": ("Lot", "批次"),
    "kind.product": ("Product", "商品"),
}


def _placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_every_phrase_has_both_languages_with_the_same_placeholders() -> None:
    assert len(PHRASES) > 140
    for key, texts in PHRASES.items():
        assert set(texts) == {"en", "zh-CN"}, key
        assert all(text.strip() for text in texts.values()), key
        assert _placeholders(texts["en"]) == _placeholders(texts["zh-CN"]), key
        assert not re.search(r"[\u4e00-\u9fff]", texts["en"]) or key == "ui.other_language", key


def test_chinese_phrases_are_chinese() -> None:
    for key, texts in PHRASES.items():
        if key in ("ui.other_language", "ui.percent"):
            continue
        assert re.search(r"[\u4e00-\u9fff]", texts["zh-CN"]), key


@pytest.mark.parametrize("step", list(BizStep))
def test_every_cbv_business_step_has_its_own_phrase(step: BizStep) -> None:
    assert f"step.{step.value}" in PHRASES
    if step is not BizStep.OTHER:
        assert step_phrase(step, "en") != t("step.other", "en")


@pytest.mark.parametrize("disposition", list(Disposition))
def test_every_cbv_disposition_has_its_own_phrase(disposition: Disposition) -> None:
    assert f"disposition.{disposition.value}" in PHRASES
    if disposition is not Disposition.UNKNOWN:
        assert disposition_phrase(disposition, "zh-CN") != t("disposition.unknown", "zh-CN")


def _alternatives(zh: str) -> set[str]:
    return {part.strip() for part in zh.split("/")}


@pytest.mark.parametrize(("step", "words"), GLOSSARY_STEPS.items())
def test_steps_use_the_glossary_words(step: str, words: tuple[str, str]) -> None:
    assert step_phrase(step, "en") == words[0]
    assert step_phrase(step, "zh-CN") in _alternatives(words[1])


@pytest.mark.parametrize(("word", "words"), GLOSSARY_DISPOSITIONS.items())
def test_dispositions_use_the_glossary_words(word: str, words: tuple[str, str]) -> None:
    assert disposition_phrase(word, "en") == words[0]
    assert disposition_phrase(word, "zh-CN") == words[1]


@pytest.mark.parametrize(("code", "words"), GLOSSARY_CATEGORIES.items())
def test_catalogue_classes_use_the_glossary_words(code: str, words: tuple[str, str]) -> None:
    assert (category_phrase(code, "en") or "").lower() == words[0]
    assert category_phrase(code, "zh-CN") == words[1]
    assert category_phrase(code.replace("-", "_"), "zh-CN") == words[1]


@pytest.mark.parametrize(("key", "words"), GLOSSARY_UI.items())
def test_chrome_uses_the_glossary_words(key: str, words: tuple[str, str]) -> None:
    assert words[0] in PHRASES[key]["en"]
    assert words[1] in PHRASES[key]["zh-CN"]


def test_counts_and_sales_read_as_the_glossary_says() -> None:
    assert t("ui.checked_times", "zh-CN", count=3) == "已被查询 3 次"
    assert t("ui.checked_times", "en", count=3) == "Checked 3 times"
    assert t("ui.checked_times", "en", count=1) == "Checked once"
    assert t("ui.sold_by_on", "en", shop="Tea Shop", date="3 May 2026") == (
        "Sold by Tea Shop on 3 May 2026"
    )
    assert t("ui.sold_by_on", "zh-CN", shop="茶叶店", date="2026年5月3日") == (
        "由 茶叶店 于 2026年5月3日 售出"
    )


def test_unit_statuses_and_verification_levels() -> None:
    statuses = ("issued", "commissioned", "packed", "shipped", "sold", "delivered", "returned")
    for status in (*statuses, "recalled"):
        assert status_phrase(status, "en")
        assert status_phrase(status, "zh-CN")
    assert status_phrase("recalled", "zh-CN") == "已召回"
    assert status_phrase("sold", "zh-CN") == "已售出"
    assert status_phrase("teleported", "en") is None
    for level in ("third_party", "third-party-verified", "Third-Party"):
        assert verification_phrase(level, "zh-CN") == "第三方认证"
        assert verification_phrase(level, "en") == "Third-party verified"
    for level in ("self-declared", "self_declared"):
        assert verification_phrase(level, "zh-CN") == "自我声明"
    assert verification_phrase("hearsay", "en") is None
    assert category_phrase("edible_agricultural", "en") == "Edible agricultural products"
    assert category_phrase("toys", "en") is None


def test_the_glossary_file_and_the_phrasebook_agree() -> None:
    glossary = ROOT.parent / "shared" / "GLOSSARY.md"
    if not glossary.is_file():
        pytest.skip("../shared/GLOSSARY.md not found beside the checkout")
    section = glossary.read_text(encoding="utf-8").split("## Supply-chain steps")[1]
    rows = re.findall(r"^\| ([a-z_ /()]+?) \| ([^|]+?) \| ([^|]+?) \|$", section, re.M)
    assert len(rows) >= 15
    seen: set[str] = set()  # "returning / receiving (return)": receiving is "Received" above
    for cbv, en, zh in rows:
        for word in re.findall(r"[a-z_]+", cbv.split("(")[0]):
            if word in seen:
                continue
            seen.add(word)
            if word in ("recalled", "in_transit", "active", "sellable_accessible"):
                phrases = {k: PHRASES[f"disposition.{word}"][k] for k in ("en", "zh-CN")}
            else:
                phrases = {k: PHRASES[f"step.{word}"][k] for k in ("en", "zh-CN")}
            assert phrases["en"] == en, word
            assert phrases["zh-CN"] in _alternatives(zh), word


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("shipping", "Shipped"),
        ("SHIPPING", "Shipped"),
        ("urn:epcglobal:cbv:bizstep:shipping", "Shipped"),
        ("https://ref.gs1.org/cbv/BizStep-retail_selling", "Sold"),
        ("http://ref.gs1.org/cbv/BizStep-storing", "Stored in warehouse"),
        ("https://gs1.org/voc/BizStep-commissioning", "Coded and registered"),
        ("cbv:BizStep-packing", "Packed"),
        ("BizStep-inspecting", "Inspected"),
        ("retail-selling", "Sold"),
        (" harvesting ", "Harvested"),
        ("https://example.com/steps/roasting", "Other step"),
        ("", "Other step"),
        (None, "Other step"),
    ],
)
def test_step_phrase_accepts_bare_words_urns_and_uris(value: str | None, expected: str) -> None:
    assert step_phrase(value, "en") == expected


def test_disposition_phrase_accepts_urns_and_uris() -> None:
    assert disposition_phrase("urn:epcglobal:cbv:disp:in_transit", "zh-CN") == "运输途中"
    assert disposition_phrase("https://ref.gs1.org/cbv/Disp-recalled", "en") == "Recalled"
    assert disposition_phrase("https://example.com/disp/odd", "en") == "Unknown"


def test_t_fills_placeholders_and_refuses_unknown_keys_and_languages() -> None:
    assert t("ui.valid_until", "zh-CN", date="2027年6月30日") == "有效期至 2027年6月30日"
    assert t("ui.origin", "zh") == "产地"
    with pytest.raises(KeyError):
        t("ui.no_such_phrase", "en")
    with pytest.raises(ValueError, match="unsupported language"):
        t("ui.origin", "fr")


@pytest.mark.parametrize(
    ("lang_param", "header", "expected"),
    [
        (None, None, "en"),
        (None, "", "en"),
        (None, "zh", "zh-CN"),
        (None, "zh-CN", "zh-CN"),
        (None, "zh-cn", "zh-CN"),
        (None, "zh-Hans", "zh-CN"),
        (None, "zh-Hans-CN", "zh-CN"),
        (None, "zh-SG", "zh-CN"),
        # Traditional Chinese: Simplified Chinese only when nothing else in the header fits.
        (None, "zh-TW", "zh-CN"),
        (None, "zh-HK, fr;q=0.8", "zh-CN"),
        (None, "zh-Hant-TW", "zh-CN"),
        (None, "zh-TW, en;q=0.5", "en"),
        (None, "zh-TW,zh;q=0.9,en;q=0.8", "zh-CN"),
        (None, "en-US,en;q=0.9", "en"),
        (None, "en-GB", "en"),
        # q-values
        (None, "en;q=0.4, zh-CN;q=0.8", "zh-CN"),
        (None, "zh-CN;q=0.5, en;q=0.6", "en"),
        (None, "fr-FR, de;q=0.9, zh;q=0.3, en;q=0.2", "zh-CN"),
        (None, "zh;q=0, en;q=0.1", "en"),
        (None, "en;q=1.0, zh;q=1", "en"),
        (None, "zh, en", "zh-CN"),
        # junk
        (None, "*", "en"),
        (None, "fr, de", "en"),
        (None, ";;;,,,", "en"),
        (None, "zh-CN;q=banana, en;q=0.1", "en"),
        (None, "<script>, zh;q=0.5", "zh-CN"),
        (None, "en;q=2", "en"),
        (None, "x" * 5000, "en"),
        (None, ", ".join(["fr"] * 40) + ", zh", "en"),
        # ?lang= wins over the header; junk in it is ignored.
        ("zh-CN", "en", "zh-CN"),
        ("zh", "en", "zh-CN"),
        ("zh_CN", None, "zh-CN"),
        ("en", "zh-CN", "en"),
        ("fr", "zh-CN", "zh-CN"),
        ("<b>", "zh-CN", "zh-CN"),
        ("", "zh", "zh-CN"),
    ],
)
def test_negotiate(lang_param: str | None, header: str | None, expected: str) -> None:
    assert negotiate(lang_param, header, "en") == expected


def test_negotiate_default_and_its_validation() -> None:
    assert negotiate(None, None, "zh-CN") == "zh-CN"
    assert negotiate(None, "fr", "zh-CN") == "zh-CN"
    assert negotiate(None, "*", default="zh") == "zh-CN"
    with pytest.raises(ValueError):
        negotiate(None, None, "fr")


def test_normalize_lang() -> None:
    assert normalize_lang("en") == "en"
    assert normalize_lang("EN-au") == "en"
    assert normalize_lang("zh-Hans") == "zh-CN"
    for junk in ("", "fr", "zh--", "<zh>"):
        with pytest.raises(ValueError):
            normalize_lang(junk)


def test_dates_read_naturally_in_both_languages() -> None:
    assert format_date("2026-05-03", "en") == "3 May 2026"
    assert format_date("2026-05-03", "zh-CN") == "2026年5月3日"
    assert format_date("2026-05-04T09:12:00Z", "zh-CN") == "2026年5月4日"
    assert format_datetime("2026-04-01T06:30:00+08:00", "en") == "1 Apr 2026 06:30"
    assert format_datetime("2026-04-01T06:30:00+08:00", "zh-CN") == "2026年4月1日 06:30"
    assert format_datetime("2026-04-01", "en") == "1 Apr 2026"
    assert format_date("spring 2026", "en") == "spring 2026"
    assert format_datetime("not a time at all", "en") == "not a time at all"
    assert format_date(None, "en") == format_datetime("", "en") == ""


def test_the_widget_carries_the_phrasebook() -> None:
    source = widget_js().decode("utf-8")
    found = re.search(r"/\*phrases\*/(.*?)/\*end\*/", source, re.S)
    assert found is not None
    expected = json.dumps(i18n.widget_phrases(), ensure_ascii=False, separators=(",", ":"))
    assert json.loads(found.group(1)) == i18n.widget_phrases(), (
        f"paste into shoptrace.js:\n{expected}"
    )
