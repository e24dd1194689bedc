"""The Jinja2 macros a host app imports: badge, trace, script and embed tags."""

from __future__ import annotations

import re
from typing import Any

import pytest
from jinja2 import Environment, FileSystemLoader, StrictUndefined

from shoptrace.widgets import i18n
from shoptrace.widgets.render import environment, macros_path, templates_path
from tests.widgets.helpers import tags as _tags


def _host(autoescape: bool, **globals_: Any) -> Environment:
    """A host app's own environment, with the shoptrace templates on its search path."""
    env = Environment(
        loader=FileSystemLoader(str(templates_path())),
        autoescape=autoescape,
        undefined=StrictUndefined,
    )
    env.globals.update(globals_)
    return env


def _call(env: Environment, call: str) -> str:
    source = '{% import "shoptrace/macros.html" as st %}' + "{{ " + call + " }}"
    return env.from_string(source).render()


@pytest.fixture(params=[True, False], ids=["autoescape", "no-autoescape"])
def env(request: pytest.FixtureRequest) -> Environment:
    return _host(request.param)


def test_the_macros_file_is_where_templates_path_says() -> None:
    assert macros_path().is_file()
    assert macros_path().parent.parent == templates_path()


def test_badge_by_gtin_and_lot(env: Environment) -> None:
    html = _call(
        env,
        'st.shoptrace_badge(gtin="09506000134352", lot="LJ 2026/04", lang="zh-CN",'
        ' base_url="https://shop.example.com/trace/")',
    )
    assert html == (
        '<shoptrace-badge gtin="09506000134352" lot="LJ 2026/04" lang="zh-CN"><noscript>'
        '<a href="https://shop.example.com/trace/01/09506000134352/10/LJ%202026%2F04">'
        "可追溯 · 查看追溯信息</a></noscript></shoptrace-badge>"
    )


def test_badge_by_code_links_the_code(env: Environment) -> None:
    code = "https://shop.example.com/trace/01/09506000134352/10/LOT42/21/ABC"
    html = _call(env, f'st.shoptrace_badge(code="{code}")')
    assert html == (
        f'<shoptrace-badge code="{code}"><noscript><a href="{code}">Traceable · View trace</a>'
        "</noscript></shoptrace-badge>"
    )


def test_badge_base_url_from_a_global_or_the_default() -> None:
    html = _call(
        _host(True, shoptrace_base_url="https://t.example/trace"), "st.shoptrace_badge(gtin='1')"
    )
    assert '<a href="https://t.example/trace/01/1">' in html
    assert '<a href="/trace/01/1/10/L/21/S">' in _call(
        _host(True), "st.shoptrace_badge(gtin='1', lot='L', serial='S')"
    )


def test_noscript_label_matches_the_phrasebook() -> None:
    for lang in ("en", "zh-CN"):
        label = f"{i18n.t('ui.traceable', lang)} · {i18n.t('ui.view_trace', lang)}"
        assert label in _call(_host(True), f"st.shoptrace_badge(gtin='1', lang='{lang}')")


def test_a_badge_without_a_usable_link_has_no_noscript(env: Environment) -> None:
    assert _call(env, "st.shoptrace_badge(code='javascript:alert(1)')") == (
        '<shoptrace-badge code="javascript:alert(1)"></shoptrace-badge>'
    )


def test_trace_element(env: Environment) -> None:
    html = _call(env, "st.shoptrace_trace(gtin='09506000134352', lot='LOT42')")
    assert html.startswith('<shoptrace-trace gtin="09506000134352" lot="LOT42"><noscript>')
    assert html.endswith("</shoptrace-trace>")


def test_script_tag(env: Environment) -> None:
    assert _call(env, "st.shoptrace_script('https://shop.example.com/trace/', lang='zh-CN')") == (
        '<script async src="https://shop.example.com/trace/widget.js" data-lang="zh-CN"></script>'
    )
    assert _call(env, "st.shoptrace_script('/trace', nonce='n0nce')") == (
        '<script async src="/trace/widget.js" nonce="n0nce"></script>'
    )


def test_embed_iframe(env: Environment) -> None:
    html = _call(
        env,
        "st.shoptrace_embed('https://s.example/trace', '09506000134352', lot='L/1', lang='zh-CN')",
    )
    assert html.startswith(
        '<iframe src="https://s.example/trace/embed/01/09506000134352/10/L%2F1?lang=zh-CN"'
    )
    assert 'loading="lazy"' in html and 'height="560"' in html and 'title="Trace"' in html


HOSTILE = '"><script>alert(1)</script><img src=x onerror=alert(1)>'


@pytest.mark.parametrize("arg", ["gtin", "lot", "code", "lang", "serial", "base_url"])
def test_every_macro_argument_is_escaped(env: Environment, arg: str) -> None:
    args = {"gtin": "1", arg: HOSTILE}
    call = "st.shoptrace_badge(" + ", ".join(f"{k}=v_{k}" for k in args) + ")"
    source = '{% import "shoptrace/macros.html" as st %}{{ ' + call + " }}"
    html = env.from_string(source).render({f"v_{k}": v for k, v in args.items()})
    tags = _tags(html)
    assert [tag for tag, _ in tags] == ["shoptrace-badge", "noscript", "a"]
    allowed = {"gtin", "lot", "code", "lang", "serial", "href"}
    assert all(set(attrs) <= allowed for _, attrs in tags), tags
    assert all(value == HOSTILE for k, value in tags[0][1].items() if k == arg)


def test_script_and_embed_arguments_are_escaped(env: Environment) -> None:
    source = (
        '{% import "shoptrace/macros.html" as st %}{{ st.shoptrace_script(h, lang=h, nonce=h) }}'
        "{{ st.shoptrace_embed(h, h, lot=h, serial=h, lang=h, title=h) }}"
    )
    html = env.from_string(source).render(h=HOSTILE)
    tags = _tags(html)
    assert [tag for tag, _ in tags] == ["script", "iframe"]
    assert set(tags[0][1]) == {"async", "src", "data-lang", "nonce"}
    assert tags[0][1]["nonce"] == HOSTILE
    assert set(tags[1][1]) == {"src", "title", "width", "height", "loading", "referrerpolicy"}


def test_the_package_environment_has_the_macros() -> None:
    html = _call(environment(), "st.shoptrace_badge(gtin='09506000134352')")
    assert html.startswith('<shoptrace-badge gtin="09506000134352">')


def test_a_flask_app_renders_the_pages_and_macros(tmp_path: Any) -> None:
    # What the resolver will do: the package templates on a blueprint or app loader, the
    # context from page_context(). (An app made inside the shoptrace namespace needs an
    # explicit instance_path and root_path, see ARCHITECTURE.md.)
    flask = pytest.importorskip("flask")
    from shoptrace.widgets import page_context, render_trace_page
    from tests.widgets.samples import unit_trace

    app = flask.Flask(
        "host", root_path=str(tmp_path), instance_path=str(tmp_path / "instance"),
        template_folder=str(templates_path()),
    )  # fmt: skip
    with app.test_request_context():
        html = flask.render_template(
            "shoptrace/trace_page.html", **page_context(unit_trace("zh-CN"), lang="zh-CN")
        )
        badge = flask.render_template_string(
            '{% import "shoptrace/macros.html" as st %}{{ st.shoptrace_badge(gtin=g) }}',
            g='1"><script>',
        )
    ours = render_trace_page(unit_trace("zh-CN"), lang="zh-CN")
    assert html.startswith("<!doctype html>")
    assert re.sub(r"\s+", "", html) == re.sub(r"\s+", "", ours)  # Flask does not trim blocks
    assert badge.startswith('<shoptrace-badge gtin="1&#34;&gt;&lt;script&gt;"><noscript>')
