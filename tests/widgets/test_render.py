"""Trace page, counterfeit page and embed rendered from sample trace JSON, without Flask."""

from __future__ import annotations

import re
import subprocess
import sys
from typing import Any

import pytest
from jinja2 import DictLoader

from shoptrace.widgets import (
    environment,
    page_context,
    render_embed,
    render_trace_page,
    render_unknown_page,
    trace_view,
)
from tests._conformance import ROOT
from tests.widgets.helpers import tags as _tags
from tests.widgets.helpers import visible_text as _text
from tests.widgets.samples import (
    CODE,
    GTIN,
    LOT,
    SERIAL,
    copy_of,
    lot_trace,
    unit_trace,
    unknown_trace,
)

HOSTILE = (
    '<img src=x onerror="window.__pwned=1">"\'&amp;<script>window.__pwned=2</script>'
    '<a href="javascript:alert(1)" onclick="alert(1)">x</a><svg onload=alert(1)>'
)


EN_SHOWS = [
    "West Lake Longjing tea 250 g",
    "Spring harvest, pan-fired by hand.",
    "Edible agricultural products",
    "Unit",
    "Longjing village, Hangzhou, Zhejiang",
    "Shifeng Tea Cooperative",
    "Organic certification",
    "Third-party verified",
    "GAP certificate",
    "Self-declared",
    "China Quality Certification Centre · CN-ORG-2026-0042 · Valid until 30 Jun 2027",
    "Harvested",
    "1 Apr 2026 06:30",
    "Processed",
    "Inspected",
    "Shipped",
    "On its way",
    "Sold · Example Tea Shop, Shanghai",
    "Since 3 May 2026 10:00",
    "Genuine",
    "First checked on 4 May 2026",
    "Checked 3 times",
    "Sold by Example Tea Shop on 3 May 2026",
    GTIN,
    LOT,
    SERIAL,
    "2 Apr 2026",
    "31 Dec 2027",
    "86%",
    CODE,
    "Where it is now",
    "Origin",
    "Producer",
    "Certifications",
    "Journey",
    "Trace completeness",
]

ZH_SHOWS = [
    "西湖龙井茶 250 克",
    "食用农产品",
    "单品",
    "浙江省杭州市龙井村",
    "狮峰茶叶合作社",
    "有机产品认证",
    "第三方认证",
    "自我声明",
    "有效期至 2027年6月30日",
    "收获",
    "2026年4月1日 06:30",
    "运输途中",
    "已售出 · 示例茶叶店（上海）",
    "正品",
    "首次查询时间：2026年5月4日",
    "已被查询 3 次",
    "由 示例茶叶店 于 2026年5月3日 售出",
    "生产日期",
    "有效期至",
    "2027年12月31日",
    "产地",
    "生产者",
    "认证证书",
    "当前位置",
    "真伪验证",
    "追溯信息完整度",
    "追溯码",
    "序列号",
    "批次",
]


def test_a_unit_page_shows_every_public_field() -> None:
    html = render_trace_page(unit_trace("en"), lang="en")
    text = _text(html)
    for value in EN_SHOWS:
        assert value in text, value
    assert '<html lang="en">' in html
    assert '<a href="https://shop.example.com/p/longjing">Product page</a>' in html
    assert '<progress max="100" value="86"' in html
    assert '<meta name="robots" content="noindex">' in html  # a serial's page stays unindexed
    assert '<a class="lang" href="?lang=zh-CN"' in html
    assert "Recalled" not in text
    assert "<script" not in html


def test_the_same_page_in_chinese() -> None:
    html = render_trace_page(unit_trace("zh-CN"), lang="zh-CN")
    text = _text(html)
    for value in ZH_SHOWS:
        assert value in text, value
    assert '<html lang="zh-CN">' in html
    assert '<a class="lang" href="?lang=en" hreflang="en" lang="en">English</a>' in html
    for english in ("Origin", "Producer", "Certifications", "Where it is now", "Genuine"):
        assert english not in text


def test_labels_missing_from_the_json_come_from_the_phrasebook() -> None:
    trace = unit_trace("zh-CN")
    del trace["product"]["category"]["label"]
    for event in trace["timeline"]:
        event.pop("title")
        event.pop("dispositionLabel", None)
    del trace["now"]["statusLabel"]
    del trace["verification"]["label"]
    for cert in trace["certifications"]:
        del cert["verificationLabel"]
    text = _text(render_trace_page(trace, lang="zh-CN"))
    for value in ("食用农产品", "收获", "在用", "加工", "检验", "发货", "运输途中", "售出"):
        assert value in text, value
    assert "已售出 · 示例茶叶店（上海）" in text
    assert "第三方认证" in text and "自我声明" in text and "正品" in text


@pytest.mark.parametrize(
    ("path", "gone"),
    [
        (("batch", "origin"), ["Origin", '"big">Longjing village, Hangzhou']),
        (("batch", "producer"), ["Producer", '"big">Shifeng Tea Cooperative']),
        (("batch", "productionDate"), ["Production date", "<dd>2 Apr 2026</dd>"]),
        (("batch", "expiryDate"), ["Expiry date", "31 Dec 2027"]),
        (("certifications",), ["Certifications", "Organic certification"]),
        (("now",), ["Where it is now", "Since 3 May 2026"]),
        (("verification",), ["Authenticity", "Genuine", "Checked 3 times", "First checked"]),
        (("verification", "soldBy"), ["Sold by"]),
        (("verification", "checkCount"), ["Checked 3 times"]),
        (("verification", "firstCheckedAt"), ["First checked"]),
        (("completeness",), ["Trace completeness", "86%", "<progress"]),
        (("serial",), ["Serial number", f"<dd>{SERIAL}</dd>"]),
        (("product", "listingUrl"), ["Product page"]),
        (("product", "description"), ["Spring harvest"]),
        (("product", "category"), ["Edible agricultural products"]),
        (("code",), ["Trace code", CODE]),
    ],
)
def test_a_field_absent_from_the_json_is_absent_from_the_page(
    path: tuple[str, ...], gone: list[str]
) -> None:
    trace = unit_trace("en")
    before = render_trace_page(trace, lang="en")
    holder: Any = trace
    for key in path[:-1]:
        holder = holder[key]
    del holder[path[-1]]
    after = render_trace_page(trace, lang="en")
    for value in gone:
        assert value in before, value
        assert value not in _text(after) and value not in after, value


def test_fields_outside_the_public_contract_never_show() -> None:
    trace = unit_trace("en", recalled=True)
    trace["merchantId"] = "SECRET-merchant"
    trace["product"]["costPrice"] = "SECRET-cost"
    trace["batch"]["supplier"] = {"name": "SECRET-supplier"}
    trace["batch"]["inspectionReports"] = [{"lab": "SECRET-lab"}]
    trace["batch"]["origin"]["gln"] = "SECRET-gln"
    trace["timeline"][0]["readPoint"] = "urn:epc:id:sgln:SECRET.0"
    trace["timeline"][0]["bizTransactions"] = [{"type": "po", "id": "SECRET-po"}]
    trace["now"]["orderId"] = "SECRET-order"
    trace["verification"]["buyerEmail"] = "SECRET@example.com"
    trace["verification"]["scans"] = [{"ip": "SECRET-ip"}]
    trace["recall"]["impact"] = {"customers": "SECRET-customers"}
    trace["certifications"][0]["auditNotes"] = "SECRET-audit"
    for html in (render_trace_page(trace, lang="en"), render_embed(trace, lang="zh-CN")):
        assert "SECRET" not in html


def test_a_lot_page_has_no_unit_blocks() -> None:
    html = render_trace_page(lot_trace("en"), lang="en")
    text = _text(html)
    assert "Lot · Edible agricultural products" in text
    for value in ("Authenticity", "Genuine", "Where it is now", "Serial number", "Checked"):
        assert value not in text
    assert "Journey" in text and "Longjing village" in text
    assert 'name="robots"' not in html  # a lot's page may be indexed


def test_the_recall_banner_shows_only_when_recalled() -> None:
    html = render_trace_page(unit_trace("en", recalled=True), lang="en")
    banner = re.search(r'<section class="card alert" role="alert">(.*?)</section>', html, re.S)
    assert banner is not None
    text = _text(banner.group(1))
    assert "Recalled" in text
    assert "Pesticide residue above the limit in lab re-test" in text
    assert "Recalled on 10 May 2026" in text
    assert "Stop using this product" in text
    assert html.index('role="alert"') < html.index("<h1>")  # the first thing read
    zh = _text(render_trace_page(unit_trace("zh-CN", recalled=True), lang="zh-CN"))
    assert "已召回" in zh and "召回日期：2026年5月10日" in zh and "请停止使用该商品" in zh
    trace = unit_trace("en")
    trace["recall"] = {"recalled": False, "label": "Recalled"}
    assert 'role="alert"' not in render_trace_page(trace, lang="en")


def test_a_unit_that_fails_verification_is_flagged() -> None:
    trace = unit_trace("en")
    trace["verification"] = {"genuine": False}
    html = render_trace_page(trace, lang="en")
    assert '<section class="card verify bad"' in html
    assert "Possible counterfeit" in _text(html)
    assert "This code could not be verified." in _text(html)


@pytest.mark.parametrize("lang", ["en", "zh-CN"])
def test_the_counterfeit_page(lang: str) -> None:
    body = unknown_trace(lang)
    html = render_unknown_page(body, lang=lang)
    text = _text(html)
    assert body["warning"]["label"] in text
    assert body["warning"]["detail"] in text
    assert body["code"] in text
    assert ("contact the shop" if lang == "en" else "联系购买商家") in text
    assert f'<html lang="{lang}">' in html
    assert '<meta name="robots" content="noindex">' in html
    assert ("Traceable" if lang == "en" else "可追溯") not in text  # no reassuring mark
    assert render_trace_page(body, lang=lang) == html  # one entry point for the resolver


def test_the_counterfeit_page_without_a_body_uses_the_phrasebook() -> None:
    text = _text(render_unknown_page(lang="zh-CN", code="https://shop.example.com/trace/01/1"))
    assert "疑似假冒" in text
    assert "未找到该追溯码" in text
    assert "https://shop.example.com/trace/01/1" in text


def test_the_embed_page() -> None:
    html = render_embed(unit_trace("en", recalled=True), lang="en")
    text = _text(html)
    assert '<base target="_blank">' in html
    assert 'class="embed"' in html
    assert "Recalled" in text and "Harvested" in text and "Genuine" in text
    assert f'<a href="{CODE}">Open the full trace</a>' in html
    assert 'class="lang"' not in html
    unknown = render_embed(unknown_trace("zh-CN"), lang="zh-CN")
    assert "疑似假冒" in _text(unknown)
    assert "查看完整追溯信息" not in unknown


def _poison(value: Any) -> Any:
    """Every string in the trace becomes hostile markup, except the page-type keys."""
    if isinstance(value, dict):
        return {k: v if k in ("kind", "lang") else _poison(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_poison(v) for v in value]
    return HOSTILE if isinstance(value, str) else value


@pytest.mark.parametrize(
    "render",
    [
        lambda tr, lang: render_trace_page(tr, lang=lang),
        lambda tr, lang: render_embed(tr, lang=lang),
        lambda tr, lang: render_unknown_page(tr, lang=lang),
    ],
    ids=["trace_page", "embed", "unknown_page"],
)
@pytest.mark.parametrize("trace", [unit_trace("en", recalled=True), unknown_trace("zh-CN")])
def test_hostile_markup_in_every_string_field_is_escaped(render: Any, trace: Any) -> None:
    for lang in ("en", "zh-CN"):
        html = render(_poison(copy_of(trace)), lang)
        tags = _tags(html)
        assert {tag for tag, _ in tags} <= {
            "html", "head", "meta", "title", "style", "base", "body", "header", "span", "a",
            "main", "section", "p", "h1", "h2", "ul", "li", "div", "dl", "dt", "dd", "strong",
            "ol", "time", "progress",
        }  # fmt: skip
        for tag, attrs in tags:
            assert not any(name.startswith("on") for name in attrs), (tag, attrs)
            for name in ("href", "src"):
                assert not (attrs.get(name) or "").lower().startswith("javascript"), attrs
        assert "window.__pwned" in html  # shown, as text
        assert "&lt;img src=x onerror=&#34;window.__pwned=1&#34;&gt;" in html
        assert "&amp;amp;" in html  # "&amp;" in the data shows as typed, not as "&"


def test_links_are_http_only() -> None:
    trace = unit_trace("en")
    trace["product"]["listingUrl"] = "javascript:alert(1)"
    trace["code"] = "data:text/html,<script>alert(1)</script>"
    trace["certifications"][0]["url"] = " https://evil.example/\x00"
    for html in (render_trace_page(trace, lang="en"), render_embed(trace, lang="en")):
        hrefs = [attrs.get("href") for _, attrs in _tags(html) if "href" in attrs]
        assert all(h and h.startswith("?lang=") for h in hrefs), hrefs
    trace["certifications"][0]["url"] = "https://cert.example/ORG-42"
    html = render_trace_page(trace, lang="en")
    assert (
        '<a href="https://cert.example/ORG-42"><strong>Organic certification</strong></a>' in html
    )


def test_malformed_json_renders_what_it_can() -> None:
    trace: dict[str, Any] = {
        "kind": "lot",
        "product": "not an object",
        "batch": {"origin": ["a list"], "producer": {"name": 42}, "expiryDate": "soon"},
        "timeline": [None, "x", {"step": "urn:epcglobal:cbv:bizstep:shipping"}, {"time": 7}],
        "certifications": {"not": "a list"},
        "verification": None,
        "now": {"status": "recalled"},
        "completeness": {"percent": 250},
        "recall": {"recalled": "yes"},
    }
    text = _text(render_trace_page(trace, lang="en"))
    assert "Traceable product" in text
    assert "Shipped" in text
    assert "42" in text and "soon" in text
    assert "Recalled" in text  # the status, not a banner
    assert "Trace completeness" not in text
    view = trace_view(trace, lang="en")
    assert view.recalled is False and view.origin is None and view.completeness is None


def test_a_csp_nonce_goes_on_the_inline_style() -> None:
    html = render_trace_page(unit_trace("en"), lang="en", csp_nonce="r4nd0m")
    assert '<style nonce="r4nd0m">' in html
    hostile = render_trace_page(unit_trace("en"), lang="en", csp_nonce='"><script>')
    assert '<style nonce="&#34;&gt;&lt;script&gt;">' in hostile


def test_a_host_app_overrides_a_template() -> None:
    env = environment(DictLoader({"shoptrace/trace_page.html": "mine: {{ view.name }}"}))
    assert render_trace_page(unit_trace("en"), lang="en", env=env) == (
        "mine: West Lake Longjing tea 250 g"
    )
    assert "Possible counterfeit" in render_unknown_page(unknown_trace(), lang="en", env=env)


def test_page_context_renders_in_another_environment() -> None:
    env = environment()
    context = page_context(unit_trace("zh-CN"), lang="zh", csp_nonce=None)
    assert context["lang"] == "zh-CN" and context["other_lang"] == "en"
    assert context["t"]("ui.origin") == "产地"
    html = env.get_template("shoptrace/trace_page.html").render(context)
    assert html == render_trace_page(unit_trace("zh-CN"), lang="zh-CN")


def test_an_unsupported_language_is_refused() -> None:
    with pytest.raises(ValueError, match="unsupported language"):
        render_trace_page(unit_trace("en"), lang="fr")


def test_rendering_needs_neither_flask_nor_the_shop_plugin() -> None:
    code = (
        "import sys\n"
        "from shoptrace.widgets import render_trace_page, widget_js\n"
        "html = render_trace_page({'kind': 'lot', 'product': {'name': 'Tea'}}, lang='en')\n"
        "assert 'Tea' in html and widget_js()\n"
        "bad = [m for m in sys.modules if m == 'flask' or m.startswith('shoptrace.shop_plugin')]\n"
        "assert not bad, bad\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT, timeout=60)


@pytest.mark.parametrize(
    ("lang", "first"), [("en", "First check of this code"), ("zh-CN", "该追溯码为首次查询")]
)
def test_a_code_never_checked_before_says_so_instead_of_zero_times(lang: str, first: str) -> None:
    trace = unit_trace(lang)
    trace["verification"]["checkCount"] = 0
    page = render_trace_page(trace, lang=lang)
    assert first in page
    assert "Checked 0" not in page and "查询 0 次" not in page
