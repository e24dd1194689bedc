"""QR matrix, SVG, PNG and save: checked by structure, since no QR decoder is installed."""

from __future__ import annotations

import io
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import qrcode
from hypothesis import given, settings
from hypothesis import strategies as st

from shoptrace.sdk import qr
from shoptrace.sdk.errors import MissingExtra, QRError, ShoptraceError

URI = "https://shop.example.com/trace/01/09506000134352/10/LOT42/21/7KQ2M9XH4C8RT"
SVG_NS = "{http://www.w3.org/2000/svg}"
FINDER = (
    "#######",
    "#.....#",
    "#.###.#",
    "#.###.#",
    "#.###.#",
    "#.....#",
    "#######",
)
# ISO/IEC 18004: the 2-bit error correction indicator of the format information, before the
# format mask 101010000010010 is applied.
EC_BITS = {"L": 0b01, "M": 0b00, "Q": 0b11, "H": 0b10}


def _block(rows: tuple[tuple[bool, ...], ...], top: int, left: int, size: int) -> tuple[str, ...]:
    return tuple(
        "".join("#" if rows[r][c] else "." for c in range(left, left + size))
        for r in range(top, top + size)
    )


def _finder_corners(m: qr.QRMatrix) -> list[bool]:
    b, n = m.border, m.size
    corners = [(b, b), (b, n - b - 7), (n - b - 7, b), (n - b - 7, n - b - 7)]
    return [_block(m.rows, r, c, 7) == FINDER for r, c in corners]


def _svg_cells(d: str) -> set[tuple[int, int]]:
    """Module cells covered by our SVG path (each subpath a 1-module-high rectangle)."""
    cells: set[tuple[int, int]] = set()
    subpaths = re.findall(r"M(\d+) (\d+)h(\d+)v1h-(\d+)z", d)
    assert "".join(f"M{x} {y}h{w}v1h-{w2}z" for x, y, w, w2 in subpaths) == d
    for x, y, w, w2 in subpaths:
        assert w == w2
        for c in range(int(x), int(x) + int(w)):
            assert (int(y), c) not in cells, "rectangles overlap"
            cells.add((int(y), c))
    return cells


def _dark_cells(m: qr.QRMatrix) -> set[tuple[int, int]]:
    return {(r, c) for r, row in enumerate(m.rows) for c, dark in enumerate(row) if dark}


# matrix ----------------------------------------------------------------------------------


def test_matrix_size_is_17_plus_4_version_plus_quiet_zone() -> None:
    m = qr.matrix(URI)
    assert m.border == 4 == qr.QUIET_ZONE
    assert m.size == 17 + 4 * m.version + 2 * 4
    assert all(len(row) == m.size for row in m.rows)
    assert m.error_correction == "M"


def test_matrix_version_is_the_smallest_qrcode_picks() -> None:
    reference = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M)
    reference.add_data(URI)
    reference.make(fit=True)
    m = qr.matrix(URI, border=0)
    assert m.version == reference.version
    assert [list(row) for row in m.rows] == reference.modules


def test_finder_patterns_at_three_corners_only() -> None:
    assert _finder_corners(qr.matrix(URI)) == [True, True, True, False]


def test_quiet_zone_is_light_and_separators_surround_finders() -> None:
    m = qr.matrix(URI, border=4)
    n = m.size
    for i in range(4):
        assert not any(m.rows[i]) and not any(m.rows[n - 1 - i])
        assert not any(row[i] for row in m.rows) and not any(row[n - 1 - i] for row in m.rows)
    # light separator row just below the top-left finder
    assert not any(m.rows[4 + 7][4 : 4 + 8])


def test_timing_pattern_and_dark_module() -> None:
    m = qr.matrix(URI, border=0)
    n = m.size
    assert [m.rows[6][c] for c in range(8, n - 8)] == [c % 2 == 0 for c in range(8, n - 8)]
    assert [m.rows[r][6] for r in range(8, n - 8)] == [r % 2 == 0 for r in range(8, n - 8)]
    assert m.rows[4 * m.version + 9][8] is True


@pytest.mark.parametrize("level", ["L", "M", "Q", "H"])
def test_format_information_carries_the_error_correction_level(level: str) -> None:
    m = qr.matrix(URI, error_correction=level, border=0)
    bits = (m.rows[8][0] << 1) | m.rows[8][1]
    assert bits ^ 0b10 == EC_BITS[level]
    assert m.error_correction == level


def test_higher_error_correction_never_needs_a_smaller_symbol() -> None:
    versions = [qr.matrix(URI, error_correction=lv).version for lv in "LMQH"]
    assert versions == sorted(versions)
    assert versions[0] < versions[-1]


def test_error_correction_is_case_insensitive() -> None:
    assert qr.matrix(URI, error_correction="q").error_correction == "Q"


@pytest.mark.parametrize("bad", ["X", "", "MM", None, 1])
def test_error_correction_is_validated(bad: object) -> None:
    with pytest.raises(QRError, match=r"error_correction: .* use one of L, M, Q, H"):
        qr.matrix(URI, error_correction=bad)  # type: ignore[arg-type]


@pytest.mark.parametrize("bad", [-1, 1.5, True, "4"])
def test_border_is_validated(bad: object) -> None:
    with pytest.raises(QRError, match="border: .* whole number of modules >= 0"):
        qr.matrix(URI, border=bad)  # type: ignore[arg-type]


def test_border_zero_and_custom() -> None:
    assert qr.matrix(URI, border=0).size + 2 * 6 == qr.matrix(URI, border=6).size


def test_empty_data_is_refused() -> None:
    with pytest.raises(QRError, match="data: must not be empty"):
        qr.matrix("")


def test_data_too_long_names_the_rule() -> None:
    with pytest.raises(QRError, match=r"data: 3000 characters do not fit .*version 40"):
        qr.matrix("a" * 3000, error_correction="H")


def test_bytes_data_is_accepted() -> None:
    assert qr.matrix(URI.encode()).size == qr.matrix(URI).size


def test_dark_count() -> None:
    m = qr.matrix(URI)
    assert m.dark_count == len(_dark_cells(m)) > 0


def test_runs_cover_dark_modules_exactly() -> None:
    rows = ((False, True, True, False, True), (True, True, True, True, True), (False,) * 5)
    assert list(qr.runs(rows)) == [(0, 1, 2), (0, 4, 1), (1, 0, 5)]


@settings(max_examples=25, deadline=None)
@given(st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=0x2FFF), min_size=1))
def test_any_text_gives_a_well_formed_symbol(data: str) -> None:
    m = qr.matrix(data)
    assert m.size == 17 + 4 * m.version + 8
    assert _finder_corners(m)[:3] == [True, True, True]
    assert {(r, c + x) for r, c, w in qr.runs(m.rows) for x in range(w)} == _dark_cells(m)


# svg -------------------------------------------------------------------------------------


def test_svg_is_one_path_with_the_right_viewbox_and_area() -> None:
    m = qr.matrix(URI)
    root = ET.fromstring(qr.svg(URI, module_size=3))
    assert root.tag == f"{SVG_NS}svg"
    assert root.get("viewBox") == f"0 0 {m.size} {m.size}"
    assert root.get("width") == root.get("height") == str(3 * m.size)
    assert root.get("shape-rendering") == "crispEdges"
    paths = root.findall(f".//{SVG_NS}path")
    assert len(paths) == 1
    cells = _svg_cells(paths[0].get("d", ""))
    assert len(cells) == m.dark_count
    assert cells == _dark_cells(m)


def test_svg_background_title_and_colours() -> None:
    root = ET.fromstring(qr.svg(URI, title='Trace <lot> & "42"', dark="#123456"))
    assert root.find(f"{SVG_NS}title").text == 'Trace <lot> & "42"'  # type: ignore[union-attr]
    assert root.find(f"{SVG_NS}rect").get("fill") == "#fff"  # type: ignore[union-attr]
    assert root.find(f"{SVG_NS}path").get("fill") == "#123456"  # type: ignore[union-attr]
    transparent = ET.fromstring(qr.svg(URI, light=None))
    assert transparent.find(f"{SVG_NS}rect") is None
    assert transparent.find(f"{SVG_NS}title") is None


def test_svg_fractional_module_size() -> None:
    root = ET.fromstring(qr.svg(URI, module_size=0.5, border=0))
    n = qr.matrix(URI, border=0).size
    assert root.get("width") == f"{n * 0.5:g}"


@pytest.mark.parametrize("bad", [0, -2, float("nan"), float("inf"), "4", True])
def test_svg_module_size_is_validated(bad: object) -> None:
    with pytest.raises(QRError, match="module_size: .* finite number > 0"):
        qr.svg(URI, module_size=bad)  # type: ignore[arg-type]


def test_svg_needs_no_pillow() -> None:
    # A fresh interpreter where Pillow cannot be imported at all, even by qrcode.
    script = (
        "import sys; sys.modules['PIL'] = None\n"
        "from shoptrace.sdk import qr\n"
        f"print(qr.svg({URI!r})[:4], 'PIL' in sys.modules and sys.modules['PIL'] is not None)"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=60
    )
    assert done.stdout.split() == ["<svg", "False"]


# png -------------------------------------------------------------------------------------


def test_png_signature_dimensions_and_modules() -> None:
    from PIL import Image

    m = qr.matrix(URI)
    data = qr.png(URI, box_size=5)
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    with Image.open(io.BytesIO(data)) as image:
        assert image.size == (5 * m.size, 5 * m.size)
        pixels = image.convert("L").load()
        assert pixels is not None
        got = {
            (r, c)
            for r in range(m.size)
            for c in range(m.size)
            if pixels[c * 5 + 2, r * 5 + 2] < 128
        }
    assert got == _dark_cells(m)


def test_png_box_size_one() -> None:
    from PIL import Image

    with Image.open(io.BytesIO(qr.png(URI, box_size=1, border=2))) as image:
        assert image.size == (qr.matrix(URI, border=2).size,) * 2


@pytest.mark.parametrize("bad", [0, -1, 2.5, True])
def test_png_box_size_is_validated(bad: object) -> None:
    with pytest.raises(QRError, match="box_size: .* whole number of pixels >= 1"):
        qr.png(URI, box_size=bad)  # type: ignore[arg-type]


def test_png_without_pillow_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "PIL", None)
    with pytest.raises(MissingExtra, match=r"shoptrace\[pdf\]") as info:
        qr.png(URI)
    assert isinstance(info.value, ImportError)
    assert isinstance(info.value, ShoptraceError)


# save ------------------------------------------------------------------------------------


def test_save_picks_the_format_by_suffix(tmp_path: Path) -> None:
    svg_path = qr.save(URI, tmp_path / "code.svg", module_size=2)
    assert ET.fromstring(svg_path.read_text(encoding="utf-8")).tag == f"{SVG_NS}svg"
    png_path = qr.save(URI, str(tmp_path / "CODE.PNG"), box_size=2)
    assert png_path.read_bytes()[:4] == b"\x89PNG"


@pytest.mark.parametrize("name", ["code.jpg", "code", "code.svg.txt"])
def test_save_refuses_other_suffixes(tmp_path: Path, name: str) -> None:
    target = tmp_path / name
    with pytest.raises(QRError, match=r"path: suffix .* must end in \.svg or \.png"):
        qr.save(URI, target)
    assert not target.exists()


def test_save_passes_options_through(tmp_path: Path) -> None:
    path = qr.save(URI, tmp_path / "t.svg", title="hello")
    assert "<title>hello</title>" in path.read_text(encoding="utf-8")
    with pytest.raises(TypeError):
        qr.save(URI, tmp_path / "t.svg", box_size=3)
