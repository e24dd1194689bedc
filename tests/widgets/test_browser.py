"""The widget in Chromium: badge, dialog, keyboard, languages, hostile data, request count.

A local HTTP server (127.0.0.1, a thread) serves plain HTML pages that load the widget from
``/trace/widget.js`` and answers the public trace JSON for ``/trace/01/...``.
"""

from __future__ import annotations

import itertools
import json
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from shoptrace.widgets import render_trace_page, t, trace_view, widget_js
from tests._browser import chromium, needs_chromium
from tests.widgets.samples import GTIN, LOT, SERIAL, copy_of, lot_trace, unit_trace, unknown_trace

pytestmark = needs_chromium
sync_api = pytest.importorskip("playwright.sync_api", reason="browser tests need Playwright")
expect = sync_api.expect

HOSTILE = (
    '<img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script>'
    '"\'><svg onload="window.__pwned=3"></svg><details open ontoggle=window.__pwned=4>'
    '<iframe srcdoc="<script>parent.__pwned=5</script>"></iframe>'
)
Answer = Callable[[str], tuple[int, dict[str, Any]]]


def _hostile(lang: str) -> tuple[int, dict[str, Any]]:
    trace = unit_trace(lang)
    trace["product"]["name"] = HOSTILE
    trace["batch"]["origin"]["name"] = HOSTILE
    trace["certifications"][0]["label"] = HOSTILE
    trace["timeline"][0]["title"] = HOSTILE
    trace["timeline"][0]["place"] = HOSTILE
    trace["now"]["statusLabel"] = HOSTILE
    trace["verification"]["soldBy"] = HOSTILE
    trace["code"] = "javascript:window.__pwned=6"
    return 200, trace


ANSWERS: dict[str, Answer] = {
    f"/trace/01/{GTIN}/10/{LOT}": lambda lang: (200, lot_trace(lang)),
    f"/trace/01/{GTIN}/10/{LOT}/21/{SERIAL}": lambda lang: (200, unit_trace(lang)),
    f"/trace/01/{GTIN}/10/RECALLED": lambda lang: (200, unit_trace(lang, recalled=True)),
    f"/trace/01/{GTIN}/10/HOSTILE": _hostile,
    f"/trace/01/{GTIN}/10/BROKEN": lambda lang: (500, {"title": "boom"}),
}


class TraceServer:
    """Serves the widget, the trace JSON and test pages; records every trace request."""

    def __init__(self) -> None:
        self.pages: dict[str, tuple[str, dict[str, str]]] = {}
        self.hits: list[str] = []
        self._ids = itertools.count()
        self._lock = threading.Lock()
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.httpd.daemon_threads = True
        self.origin = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def page(
        self,
        body: str,
        *,
        lang: str = "en",
        script: str = '<script async src="/trace/widget.js"></script>',
        headers: dict[str, str] | None = None,
    ) -> str:
        """A URL serving ``body`` in a plain page that loads the widget."""
        path = f"/pages/{next(self._ids)}.html"
        html = (
            f'<!doctype html><html lang="{lang}"><head><meta charset="utf-8">'
            f"<title>shop</title></head><body><a href='#top' id=before>before</a>"
            f"{body}<a href='#after' id=after>after</a>{script}</body></html>"
        )
        self.pages[path] = (html, headers or {})
        return self.origin + path

    def trace_hits(self) -> list[str]:
        with self._lock:
            return list(self.hits)

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

            def _send(self, status: int, kind: str, data: bytes, extra: dict[str, str]) -> None:
                self.send_response(status)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(data)))
                self.send_header("Cache-Control", "no-store")
                for name, value in extra.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:  # noqa: N802
                url = urlsplit(self.path)
                if url.path in ("/trace/widget.js", "/static/shoptrace.js"):
                    self._send(200, "text/javascript; charset=utf-8", widget_js(), {})
                elif url.path in server.pages:
                    html, headers = server.pages[url.path]
                    self._send(200, "text/html; charset=utf-8", html.encode(), headers)
                elif url.path.startswith("/trace/01/"):
                    with server._lock:
                        server.hits.append(self.path)
                    lang = parse_qs(url.query).get("lang", ["en"])[0]
                    answer = ANSWERS.get(url.path)
                    status, body = (
                        answer(lang)
                        if answer
                        else (404, unknown_trace(lang, code=server.origin + url.path))
                    )
                    data = json.dumps(body).encode()
                    self._send(status, "application/json", data, {})
                else:
                    self._send(404, "text/plain", b"not found", {})

        return Handler


@pytest.fixture(scope="module")
def server() -> Iterator[TraceServer]:
    srv = TraceServer()
    srv.thread.start()
    yield srv
    srv.httpd.shutdown()
    srv.httpd.server_close()
    srv.thread.join(timeout=5)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium() as b:
        yield b


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1024, "height": 768})
    pg = context.new_page()
    pg.set_default_timeout(5000)
    # A page's load waits for its iframes and scripts too: once in a full run on a busy
    # 2-core CI machine that took longer than 5 s, so navigations get 20 s.
    pg.set_default_navigation_timeout(20_000)
    errors: list[str] = []
    pg.on("pageerror", lambda exc: errors.append(str(exc)))
    pg.on("console", lambda msg: msg.type == "error" and errors.append(msg.text))
    yield pg
    context.close()
    # A 404/500 answer logs "Failed to load resource": expected for those tests.
    assert [e for e in errors if "Failed to load resource" not in e] == []


def _focus(page: Any) -> list[str | None]:
    """The focused host element's tag and, inside its shadow root, the focused element."""
    return list(
        page.evaluate(
            """() => {
              const host = document.activeElement;
              const inner = host && host.shadowRoot && host.shadowRoot.activeElement;
              return [host && host.tagName.toLowerCase(),
                      inner ? inner.tagName.toLowerCase() + "." + inner.className : null];
            }"""
        )
    )


def _open_dialog_focus_is_inside(page: Any) -> bool:
    return bool(
        page.evaluate(
            """() => {
              const host = document.activeElement;
              const dlg = host && host.shadowRoot && host.shadowRoot.querySelector("dialog");
              return !!(dlg && dlg.open && dlg.contains(host.shadowRoot.activeElement));
            }"""
        )
    )


def _no_stray_values(locator: Any) -> None:
    """No JavaScript value leaked into the text as a word."""
    text = locator.inner_text()
    for word in ("null", "undefined", "NaN", "false", "true", "[object"):
        assert word not in text, (word, text)


BADGE = f'<shoptrace-badge gtin="{GTIN}" lot="{LOT}" serial="{SERIAL}"></shoptrace-badge>'


def test_the_badge_renders_as_a_button(server: TraceServer, page: Any) -> None:
    page.goto(server.page(BADGE))
    button = page.locator("shoptrace-badge button.badge")
    expect(button).to_contain_text("Traceable")
    expect(button).to_contain_text("Longjing village, Hangzhou, Zhejiang")
    expect(button).to_contain_text("Organic certification")
    expect(button).to_have_attribute("aria-haspopup", "dialog")
    expect(button).to_have_attribute("aria-busy", "false")
    expect(page.get_by_role("button", name="Traceable")).to_have_count(1)
    expect(page.locator("shoptrace-badge dialog")).to_be_hidden()


def test_click_opens_an_accessible_dialog_with_the_timeline(server: TraceServer, page: Any) -> None:
    page.goto(server.page(BADGE))
    button = page.locator("shoptrace-badge button.badge")
    expect(button).to_contain_text("Longjing village")
    button.click()
    dialog = page.get_by_role("dialog", name="West Lake Longjing tea 250 g")
    expect(dialog).to_be_visible()
    expect(dialog).to_have_attribute("aria-modal", "true")
    steps = dialog.locator("ol.tl li")
    expect(steps).to_have_count(5)
    expect(steps.nth(0)).to_contain_text("Harvested")
    expect(steps.nth(4)).to_contain_text("Sold")
    for text in ("Genuine", "Checked 3 times", "Sold by Example Tea Shop on", "Where it is now"):
        expect(dialog).to_contain_text(text)
    _no_stray_values(dialog)
    assert _focus(page) == ["shoptrace-badge", "button.x"]
    expect(dialog.get_by_role("button", name="Close")).to_be_focused()
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    assert _focus(page) == ["shoptrace-badge", "button.badge"]
    button.click()
    expect(dialog).to_be_visible()
    dialog.get_by_role("button", name="Close").click()
    expect(dialog).to_be_hidden()
    assert _focus(page) == ["shoptrace-badge", "button.badge"]


def test_focus_returns_to_the_badge_even_if_the_click_did_not_focus_it(
    server: TraceServer, page: Any
) -> None:
    # Safari does not focus a button on click; the dialog must still hand focus back to it.
    page.goto(server.page(BADGE))
    expect(page.locator("shoptrace-badge button.badge")).to_contain_text("Longjing village")
    page.locator("#before").focus()
    page.evaluate(
        "document.querySelector('shoptrace-badge').shadowRoot.querySelector('button').click()"
    )
    expect(page.locator("shoptrace-badge dialog")).to_be_visible()
    page.keyboard.press("Escape")
    expect(page.locator("shoptrace-badge dialog")).to_be_hidden()
    assert _focus(page) == ["shoptrace-badge", "button.badge"]


@pytest.mark.parametrize("key", ["Enter", " "])
def test_keyboard_opens_traps_focus_and_closes(server: TraceServer, page: Any, key: str) -> None:
    page.goto(server.page(BADGE))
    expect(page.locator("shoptrace-badge button.badge")).to_contain_text("Longjing village")
    page.locator("#before").focus()
    page.keyboard.press("Tab")
    assert _focus(page) == ["shoptrace-badge", "button.badge"]
    page.keyboard.press(key)
    dialog = page.locator("shoptrace-badge dialog")
    expect(dialog).to_be_visible()
    stops = set()
    for _ in range(6):  # close button, scrollable body, "Open the full trace" link, and round
        page.keyboard.press("Tab")
        assert _open_dialog_focus_is_inside(page)
        stops.add(_focus(page)[1])
    assert stops == {"button.x", "div.body", "a.more"}
    for _ in range(4):
        page.keyboard.press("Shift+Tab")
        assert _open_dialog_focus_is_inside(page)
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    assert _focus(page) == ["shoptrace-badge", "button.badge"]


def test_chinese_from_data_lang_and_english_from_the_lang_attribute(
    server: TraceServer, page: Any
) -> None:
    body = BADGE + f'<shoptrace-badge lang="en" gtin="{GTIN}" lot="{LOT}"></shoptrace-badge>'
    script = '<script async src="/trace/widget.js" data-lang="zh-CN"></script>'
    page.goto(server.page(body, script=script))
    zh, en = page.locator("shoptrace-badge button.badge").all()
    expect(zh).to_contain_text("可追溯")
    expect(zh).to_contain_text("浙江省杭州市龙井村")
    expect(zh).to_contain_text("有机产品认证")
    expect(en).to_contain_text("Traceable")
    zh.click()
    dialog = page.get_by_role("dialog", name="西湖龙井茶 250 克")
    expect(dialog).to_contain_text("已被查询 3 次")
    expect(dialog).to_contain_text("首次查询时间：2026年5月4日")
    expect(dialog).to_contain_text("由 示例茶叶店 于 2026年5月3日 售出")
    expect(dialog).to_contain_text("流通记录")
    expect(dialog.get_by_role("button", name="关闭")).to_be_focused()
    expect(dialog).to_have_attribute("lang", "zh-CN")
    hits = server.trace_hits()
    assert any(h.endswith(f"/21/{SERIAL}?lang=zh-CN") for h in hits)
    assert any(h.endswith(f"/10/{LOT}?lang=en") for h in hits)


@pytest.mark.parametrize("lang", ["en", "zh-CN"])
def test_dates_and_times_read_as_on_the_trace_page(
    server: TraceServer, browser: Any, lang: str
) -> None:
    # A viewer far from the farm still sees the harvest at 06:30, as the trace page says.
    context = browser.new_context(timezone_id="America/Los_Angeles", locale="fr-FR")
    try:
        pg = context.new_page()
        body = f'<shoptrace-trace lang="{lang}" gtin="{GTIN}" lot="{LOT}" serial="{SERIAL}">'
        pg.goto(server.page(body + "</shoptrace-trace>"))
        card = pg.locator("shoptrace-trace .card")
        expect(card.locator("ol.tl li")).to_have_count(5)
        view = trace_view(unit_trace(lang), lang=lang)
        assert card.locator("ol.tl time").all_inner_texts() == [s.time for s in view.timeline]
        expect(card.locator("ol.tl time").first).to_have_attribute(
            "datetime", "2026-04-01T06:30:00+08:00"
        )
        for line in view.verification_lines:
            expect(card).to_contain_text(line)
        assert view.now_since is not None
        expect(card).to_contain_text(view.now_since)
        for fact in view.facts:
            if fact.label in (t("ui.production_date", lang), t("ui.expiry_date", lang)):
                expect(card).to_contain_text(fact.value)
        _no_stray_values(card)
    finally:
        context.close()


def test_the_page_language_is_the_fallback(server: TraceServer, page: Any) -> None:
    page.goto(
        server.page(
            f'<shoptrace-trace gtin="{GTIN}" lot="{LOT}"></shoptrace-trace>', lang="zh-Hans"
        )
    )
    expect(page.locator("shoptrace-trace .card")).to_contain_text("生产者")
    expect(page.locator("shoptrace-trace .card")).to_contain_text("狮峰茶叶合作社")


def test_hostile_markup_shows_as_text_and_runs_nothing(server: TraceServer, page: Any) -> None:
    page.goto(server.page(f'<shoptrace-badge gtin="{GTIN}" lot="HOSTILE"></shoptrace-badge>'))
    button = page.locator("shoptrace-badge button.badge")
    expect(button).to_contain_text("onerror")
    button.click()
    dialog = page.locator("shoptrace-badge dialog")
    expect(dialog).to_be_visible()
    assert dialog.locator("h2").text_content() == HOSTILE
    assert dialog.locator("ol.tl li strong").first.text_content() == HOSTILE
    expect(dialog).to_contain_text(f"Sold by {HOSTILE} on")
    dialog.locator("ol.tl li").first.hover()
    page.wait_for_timeout(200)
    injected = page.evaluate(
        """() => {
          const root = document.querySelector("shoptrace-badge").shadowRoot;
          const all = [...root.querySelectorAll("*")];
          return {
            pwned: window.__pwned === undefined ? null : window.__pwned,
            tags: [...new Set(all.map((e) => e.tagName.toLowerCase()))].sort(),
            handlers: all.flatMap((e) => [...e.attributes].map((a) => a.name))
                         .filter((n) => n.startsWith("on")),
            links: [...root.querySelectorAll("a")].map((a) => a.href),
          };
        }"""
    )
    assert injected["pwned"] is None
    assert set(injected["tags"]) <= {
        "b", "button", "dd", "dialog", "div", "dl", "dt", "h2", "h3", "i", "li", "ol", "p",
        "span", "strong", "time", "ul",
    }  # fmt: skip
    assert injected["handlers"] == []
    assert injected["links"] == []  # the javascript: code URL is not linked


def test_the_trace_element_shows_the_full_trace(server: TraceServer, page: Any) -> None:
    code = f"https://shop.example.com/trace/01/{GTIN}/10/RECALLED?17=271231"
    page.goto(server.page(f'<shoptrace-trace code="{code}"></shoptrace-trace>'))
    card = page.locator("shoptrace-trace .card")
    expect(card.locator("h2")).to_have_text("West Lake Longjing tea 250 g")
    alert = card.get_by_role("alert")
    expect(alert).to_contain_text("Recalled")
    expect(alert).to_contain_text("Pesticide residue above the limit")
    expect(card.locator("ol.tl li")).to_have_count(5)
    for text in (
        "Origin",
        "Longjing village",
        "Producer",
        "Certifications",
        "Third-party verified",
        "86%",
    ):
        expect(card).to_contain_text(text)
    expect(page.locator("shoptrace-trace")).to_have_attribute("aria-busy", "false")
    _no_stray_values(card)
    # The code's own host is never contacted: the path is asked of the widget's origin.
    assert server.trace_hits()[-1] == f"/trace/01/{GTIN}/10/RECALLED?lang=en"


def test_a_recalled_lot_marks_the_badge(server: TraceServer, page: Any) -> None:
    page.goto(server.page(f'<shoptrace-badge gtin="{GTIN}" lot="RECALLED"></shoptrace-badge>'))
    button = page.locator("shoptrace-badge button.badge")
    expect(button).to_contain_text("Recalled")
    expect(button).to_have_class("badge bad")


def test_an_unknown_code_shows_the_counterfeit_warning(server: TraceServer, page: Any) -> None:
    body = (
        f'<shoptrace-badge gtin="{GTIN}" serial="FAKE1"></shoptrace-badge>'
        f'<shoptrace-trace lang="zh-CN" gtin="{GTIN}" serial="FAKE1"></shoptrace-trace>'
    )
    page.goto(server.page(body))
    button = page.locator("shoptrace-badge button.badge")
    expect(button).to_contain_text("Possible counterfeit")
    expect(button).to_have_class("badge warn")
    expect(button).not_to_contain_text("Traceable")
    button.click()
    alert = page.locator("shoptrace-badge dialog").get_by_role("alert")
    expect(alert).to_contain_text("Possible counterfeit")
    expect(alert).to_contain_text("Check the code against the pack")
    expect(page.locator("shoptrace-trace").get_by_role("alert")).to_contain_text("疑似假冒")


def test_one_request_per_element_and_identical_ones_shared(server: TraceServer, page: Any) -> None:
    same = f'gtin="{GTIN[1:]}" lot="{LOT}"'  # a GTIN-13 is padded to 14 digits
    body = (
        f"<shoptrace-badge {same}></shoptrace-badge>" * 3
        + f"<shoptrace-trace {same}></shoptrace-trace>"
        + f'<shoptrace-trace code="/trace/01/{GTIN}/10/{LOT}"></shoptrace-trace>'
        + BADGE
        + f'<shoptrace-badge lang="zh-CN" {same}></shoptrace-badge>'
    )
    script = '<script async src="/trace/widget.js"></script>' * 2  # a second load is harmless
    before = len(server.trace_hits())
    page.goto(server.page(body, script=script))
    expect(page.locator("shoptrace-badge button.badge[aria-busy=false]")).to_have_count(5)
    expect(page.locator("shoptrace-trace[aria-busy=false]")).to_have_count(2)
    page.locator("shoptrace-badge button.badge").first.click()
    page.keyboard.press("Escape")
    page.evaluate(
        """() => { const b = document.querySelector("shoptrace-badge");
                   document.body.append(b); b.setAttribute("lot", b.getAttribute("lot")); }"""
    )
    page.wait_for_timeout(200)
    hits = server.trace_hits()[before:]
    assert sorted(hits) == sorted(
        [
            f"/trace/01/{GTIN}/10/{LOT}?lang=en",
            f"/trace/01/{GTIN}/10/{LOT}/21/{SERIAL}?lang=en",
            f"/trace/01/{GTIN}/10/{LOT}?lang=zh-CN",
        ]
    )
    assert page.evaluate("customElements.get('shoptrace-badge').name") == "Badge"


def test_changing_an_attribute_loads_the_new_trace(server: TraceServer, page: Any) -> None:
    page.goto(server.page(f'<shoptrace-trace gtin="{GTIN}" lot="{LOT}"></shoptrace-trace>'))
    card = page.locator("shoptrace-trace .card")
    expect(card).not_to_contain_text("Recalled")
    expect(card).to_contain_text("Harvested")
    page.evaluate("document.querySelector('shoptrace-trace').setAttribute('lot', 'RECALLED')")
    expect(card.get_by_role("alert")).to_contain_text("Recalled")


def test_failures_and_bad_attributes_make_no_stray_requests(server: TraceServer, page: Any) -> None:
    body = (
        f'<shoptrace-badge gtin="{GTIN}" lot="BROKEN"></shoptrace-badge>'
        '<shoptrace-trace gtin="not-a-gtin"></shoptrace-trace>'
        f'<shoptrace-trace code="/trace/01/{GTIN}/../../../admin"></shoptrace-trace>'
        '<shoptrace-trace code="https://evil.example/steal"></shoptrace-trace>'
    )
    before = len(server.trace_hits())
    page.goto(server.page(body))
    for trace in page.locator("shoptrace-trace .card").all():
        expect(trace).to_contain_text("Trace information is not available right now.")
    button = page.locator("shoptrace-badge button.badge")
    expect(button).to_have_attribute("aria-busy", "false")
    button.click()
    expect(page.locator("shoptrace-badge dialog")).to_contain_text("not available")
    assert server.trace_hits()[before:] == [f"/trace/01/{GTIN}/10/BROKEN?lang=en"]


def test_data_base_points_a_self_hosted_script_at_the_service(
    server: TraceServer, page: Any
) -> None:
    script = '<script async src="/static/shoptrace.js" data-base="/trace/"></script>'
    page.goto(server.page(BADGE, script=script))
    expect(page.locator("shoptrace-badge button.badge")).to_contain_text("Longjing village")


def test_a_strict_content_security_policy_is_respected(server: TraceServer, page: Any) -> None:
    csp = "default-src 'self'; script-src 'self'; style-src 'self'; connect-src 'self'"
    url = server.page(BADGE, headers={"Content-Security-Policy": csp})
    page.add_init_script(
        """window.__violations = [];
           document.addEventListener("securitypolicyviolation",
             (e) => window.__violations.push(e.violatedDirective));"""
    )
    page.goto(url)
    button = page.locator("shoptrace-badge button.badge")
    expect(button).to_contain_text("Longjing village")
    radius = button.evaluate("(b) => getComputedStyle(b).borderTopLeftRadius")
    assert radius not in ("0px", "")  # the stylesheet applied
    button.click()
    expect(page.locator("shoptrace-badge dialog .bar i")).to_be_visible()
    assert page.evaluate("window.__violations") == []


def test_the_trace_page_fits_a_phone(browser: Any, tmp_path: Path) -> None:
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    try:
        pg = context.new_page()
        for lang in ("en", "zh-CN"):
            trace = copy_of(unit_trace(lang, recalled=True))
            trace["serial"] = "X" * 60  # a long unbroken value must wrap, not overflow
            pg.set_content(render_trace_page(trace, lang=lang))
            width = pg.evaluate("document.documentElement.scrollWidth")
            assert width <= 390, (lang, width)
            switch = pg.locator("a.lang").bounding_box()
            assert switch is not None and switch["height"] >= 24
            assert pg.locator("[role=alert]").bounding_box()["y"] < 844 / 2  # type: ignore[index]
            pg.screenshot(path=str(tmp_path / f"trace-{lang}.png"), full_page=True)
    finally:
        context.close()
