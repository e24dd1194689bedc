"""The widget script: size budget, safe DOM building, packaged files."""

from __future__ import annotations

import gzip
import re
import tomllib

from shoptrace.widgets.render import templates_path, widget_js
from tests._conformance import ROOT

STATIC = ROOT / "widgets" / "static"
BUDGET = 10 * 1024  # gzip bytes, JS and CSS together


def _gzip_size(data: bytes) -> int:
    return len(gzip.compress(data, compresslevel=9, mtime=0))


def test_js_and_css_fit_the_size_budget() -> None:
    files = sorted(STATIC.glob("*.js")) + sorted(STATIC.glob("*.css"))
    assert STATIC / "shoptrace.js" in files
    total = sum(_gzip_size(path.read_bytes()) for path in files)
    assert total <= BUDGET, f"{total} gzip bytes > {BUDGET}"


def test_widget_js_is_the_static_file() -> None:
    assert widget_js() == (STATIC / "shoptrace.js").read_bytes()
    assert widget_js().startswith(b"/*! shoptrace widget")


def _code(source: str) -> str:
    """The script without comments (the phrasebook and CSS stay: they are code)."""
    source = re.sub(r"/\*(?!phrases\*/|end\*/).*?\*/", "", source, flags=re.S)
    return re.sub(r"(?m)(^|[^:\"'\\])//.*$", r"\1", source)


def test_the_script_never_parses_markup_or_evaluates_code() -> None:
    code = _code(widget_js().decode("utf-8"))
    for sink in (
        "innerHTML",
        "outerHTML",
        "insertAdjacentHTML",
        "document.write",
        "createContextualFragment",
        "DOMParser",
        "srcdoc",
        "eval(",
        "Function(",
        'setTimeout("',
        'setAttribute("on',
        'setAttribute("style',
        'setAttribute("href',
        "import(",
    ):
        assert sink not in code, sink
    assert not re.search(r"\.on[a-z]+\s*=", code), "event handler properties"
    # Links come only from safeUrl(), which admits http(s) alone.
    assert re.findall(r"\.href\s*=\s*([a-zA-Z_]+)", code) == ["page"]
    assert "safeUrl(d.code)" in code


def test_the_script_has_no_external_assets_or_dependencies() -> None:
    code = _code(widget_js().decode("utf-8"))
    assert not re.search(r"https?://", code)
    assert "@import" not in code and "url(" not in code
    assert code.count("fetch(") == 1
    assert 'credentials: "omit"' in code


def test_the_script_guards_against_a_second_load() -> None:
    code = _code(widget_js().decode("utf-8"))
    assert 'if (!CE || CE.get("shoptrace-badge")) return;' in code
    assert 'if (!CE.get("shoptrace-trace"))' in code


def test_templates_and_static_files_are_package_data() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    patterns = project["tool"]["setuptools"]["package-data"]["shoptrace.widgets"]
    assert {"static/*", "templates/**/*"} <= set(patterns)
    names = {p.name for p in (templates_path() / "shoptrace").iterdir()}
    assert {"trace_page.html", "unknown_page.html", "embed.html", "macros.html"} <= names
