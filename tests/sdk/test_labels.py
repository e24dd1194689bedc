"""PDF label sheets: layouts, validation, pages, text, and the QR paths drawn in the PDF."""

from __future__ import annotations

import io
import math
import sys
from collections.abc import Iterator
from dataclasses import FrozenInstanceError, dataclass, replace
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader
from pypdf.generic import ContentStream
from reportlab.pdfbase.pdfmetrics import getAscentDescent, stringWidth

from shoptrace.sdk import labels as lb
from shoptrace.sdk.errors import LabelError, MissingExtra
from shoptrace.sdk.qr import matrix

MM = 72 / 25.4
GTIN = "09506000134352"
BASE = f"https://shop.example.com/trace/01/{GTIN}/10/LOT42/21/"


def _serial(i: int) -> str:
    return f"7KQ2M9XH4C{i:03d}RT"


def _label(i: int, *, lot: str = "LOT42", serial: str | None = None) -> lb.Label:
    serial = serial or _serial(i)
    return lb.Label(BASE + serial, lb.hri_lines(gtin=GTIN, lot=lot, serial=serial, expiry="271231"))


def _write(labels: Any, layout: lb.LabelLayout = lb.A4_3x8, **kw: Any) -> PdfReader:
    out = io.BytesIO()
    lb.write_labels(labels, out, layout=layout, **kw)
    return PdfReader(io.BytesIO(out.getvalue()))


@dataclass
class QRDraw:
    scale: float
    x: float  # PDF x of module column 0
    y: float  # PDF y of the top of module row 0
    cells: set[tuple[int, int]]


@dataclass
class TextShow:
    text: str
    x: float
    y: float
    size: float


def _page_ops(reader: PdfReader, page: int) -> list[tuple[list[Any], bytes]]:
    return list(ContentStream(reader.pages[page].get_contents(), reader).operations)


def _qr_draws(reader: PdfReader, page: int) -> list[QRDraw]:
    """Each QR is ``q <s 0 0 -s x y> cm ... re ... f Q``: one filled path of rectangles."""
    draws: list[QRDraw] = []
    current: QRDraw | None = None
    for operands, op in _page_ops(reader, page):
        if op == b"cm" and float(operands[3]) < 0:
            s, _, _, neg, x, y = (float(v) for v in operands)
            assert s == -neg
            current = QRDraw(s, x, y, set())
        elif op == b"re" and current is not None:
            x, y, w, h = (float(v) for v in operands)
            assert h == 1 and w >= 1 and x == int(x) and y == int(y)
            for c in range(int(x), int(x + w)):
                assert (int(y), c) not in current.cells
                current.cells.add((int(y), c))
        elif op == b"f":
            assert current is not None, "a fill outside a QR"
            draws.append(current)
            current = None
    return draws


def _text_shows(reader: PdfReader, page: int) -> list[TextShow]:
    shows: list[TextShow] = []
    x = y = size = leading = 0.0
    for operands, op in _page_ops(reader, page):
        if op == b"Tm":
            x, y = float(operands[4]), float(operands[5])
        elif op == b"Tf":
            size = float(operands[1])
        elif op == b"TL":
            leading = float(operands[0])
        elif op == b"T*":
            y -= leading
        elif op == b"Tj":
            raw = operands[0]
            data = raw.get_original_bytes() if hasattr(raw, "get_original_bytes") else bytes(raw)
            shows.append(TextShow(data.decode("cp1252"), x, y, size))
    return shows


def _assert_text_inside(
    shows: list[TextShow], layout: lb.LabelLayout, left: float, bottom: float
) -> None:
    ascent, descent = getAscentDescent(layout.font_name, 1.0)
    pad = layout.padding * MM
    text_left = left + pad + layout.qr_size * MM
    right = left + layout.label_width * MM - pad
    top = bottom + layout.label_height * MM - pad
    for show in shows:
        width = stringWidth(show.text, layout.font_name, show.size)
        assert show.x >= text_left, f"{show.text!r} starts inside the QR"
        assert show.x + width <= right + 1e-6, f"{show.text!r} overruns the safe margin"
        assert show.y + ascent * show.size <= top + 1e-6
        assert show.y + descent * show.size >= bottom + pad - 1e-6
        assert show.size >= layout.min_font_size - 1e-9


# layouts ---------------------------------------------------------------------------------


def test_presets_and_lookup_by_name() -> None:
    assert lb.layout_by_name("a4-3x8") is lb.A4_3x8
    assert lb.layout_by_name(" A4_4X10 ") is lb.A4_4x10
    assert lb.layout_by_name("roll-50x30") is lb.ROLL_50x30
    assert lb.layout_by_name("ROLL_40x30") is lb.ROLL_40x30
    assert (lb.A4_3x8.label_width, lb.A4_3x8.label_height, lb.A4_3x8.per_page) == (70, 37, 24)
    assert lb.A4_4x10.per_page == 40
    assert lb.ROLL_50x30.is_roll and not lb.A4_3x8.is_roll
    assert sorted(lb.LAYOUTS) == ["a4-3x8", "a4-4x10", "roll-40x30", "roll-50x30"]


def test_unknown_layout_name_lists_the_choices() -> None:
    with pytest.raises(LabelError, match="layout: unknown layout name 'a5'.*a4-3x8, a4-4x10"):
        lb.layout_by_name("a5")


def test_layout_is_frozen() -> None:
    with pytest.raises(FrozenInstanceError):
        lb.A4_3x8.columns = 4  # type: ignore[misc]


def test_roll_defaults_qr_to_label_height_minus_padding() -> None:
    roll = lb.LabelLayout.roll(60, 40, padding=3)
    assert (roll.page_width, roll.page_height, roll.qr_size, roll.per_page) == (60, 40, 34, 1)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"columns": 4}, r"LabelLayout\.columns: 4 labels .* wider than page_width 210"),
        ({"rows": 9}, r"LabelLayout\.rows: 9 labels .* taller than page_height 297"),
        ({"gap_x": 1}, r"LabelLayout\.columns: .* gap_x 1 .* wider than page_width"),
        ({"qr_size": 35}, r"LabelLayout\.qr_size: 35 mm is larger than the label's safe area"),
        ({"qr_size": 9}, r"LabelLayout\.qr_size: 9 mm is below the practical minimum of 10 mm"),
        ({"padding": 19}, r"LabelLayout\.padding: 19 mm on each side leaves no room"),
        ({"label_width": 45}, r"LabelLayout\.qr_size: 31 mm leaves a text column of"),
        ({"gap_y": -1}, r"LabelLayout\.gap_y: -1 must be finite and >= 0"),
        ({"margin_left": math.nan}, r"LabelLayout\.margin_left: nan must be finite"),
        ({"font_size": "8"}, r"LabelLayout\.font_size: '8' must be a number"),
        ({"columns": True}, r"LabelLayout\.columns: True must be a whole number >= 1"),
        ({"rows": 0}, r"LabelLayout\.rows: 0 must be a whole number >= 1"),
        ({"quiet_zone": -1}, r"LabelLayout\.quiet_zone: -1 must be a whole number >= 0"),
        ({"page_width": 0}, r"LabelLayout\.page_width: must be > 0 mm"),
        ({"error_correction": "X"}, r"LabelLayout\.error_correction: 'X' is not one of L, M"),
        ({"min_font_size": 9}, r"LabelLayout\.min_font_size: 9 pt must be > 0 and <= font_size"),
        ({"min_module": 0}, r"LabelLayout\.min_module: must be > 0 mm"),
        ({"wrap": "yes"}, r"LabelLayout\.wrap: 'yes' must be True or False"),
        ({"font_name": ""}, r"LabelLayout\.font_name: '' must be a non-empty string"),
    ],
)
def test_layout_validation_names_field_and_rule(changes: dict[str, Any], message: str) -> None:
    with pytest.raises(LabelError, match=message):
        replace(lb.A4_3x8, **changes)


def test_layout_errors_are_value_errors() -> None:
    with pytest.raises(ValueError):
        replace(lb.ROLL_50x30, qr_size=40)


# labels and HRI --------------------------------------------------------------------------


def test_hri_lines_in_gs1_order() -> None:
    assert lb.hri_lines(
        gtin=GTIN, lot="LOT42", serial="7KQ2M9XH4C8RT", expiry=date(2027, 12, 31)
    ) == (
        "(01) 09506000134352",
        "(10) LOT42",
        "(21) 7KQ2M9XH4C8RT",
        "(17) 271231",
    )
    assert lb.hri_lines(serial="S1") == ("(21) S1",)
    assert lb.hri_lines() == ()


def test_label_normalises_lines_and_validates() -> None:
    label = lb.Label(BASE + "X", ["a", "b"])  # type: ignore[arg-type]
    assert label.lines == ("a", "b")
    with pytest.raises(LabelError, match="Label.uri: '' must be a non-empty string"):
        lb.Label("")
    with pytest.raises(LabelError, match="Label.lines: 'a\\\\nb' must be a single-line string"):
        lb.Label(BASE + "X", ("a\nb",))
    for broken in ("a\u2028b", "a\u2029b", "a\x0bb", "a\x85b", "a\r\n", "\n"):
        with pytest.raises(LabelError, match="must be a single-line string"):
            lb.Label(BASE + "X", (broken,))


# write_labels ----------------------------------------------------------------------------


@pytest.mark.parametrize(("n", "pages"), [(1, 1), (24, 1), (25, 2), (49, 3)])
def test_page_count_is_ceil_of_labels_per_page(n: int, pages: int) -> None:
    reader = _write((_label(i) for i in range(n)), lb.A4_3x8)
    assert len(reader.pages) == pages == math.ceil(n / lb.A4_3x8.per_page)
    assert sum(len(_qr_draws(reader, p)) for p in range(pages)) == n


def test_roll_has_one_label_per_page_of_label_size() -> None:
    reader = _write([_label(i) for i in range(3)], lb.ROLL_50x30)
    assert len(reader.pages) == 3
    box = reader.pages[0].mediabox
    assert float(box.width) == pytest.approx(50 * MM)
    assert float(box.height) == pytest.approx(30 * MM)


def test_text_contains_every_serial_and_metadata() -> None:
    reader = _write([_label(i) for i in range(30)], lb.A4_3x8, title="Batch LOT42")
    text = "".join(page.extract_text() for page in reader.pages)
    for i in range(30):
        assert f"(21) {_serial(i)}" in text
    assert text.count("(01) 09506000134352") == 30
    assert reader.metadata is not None
    assert reader.metadata.title == "Batch LOT42"
    assert reader.metadata.creator == "shoptrace"


def test_each_qr_is_one_path_of_the_uri_modules_inside_its_label() -> None:
    layout = lb.A4_3x8
    labels = [_label(i) for i in range(5)]
    draws = _qr_draws(_write(labels, layout), 0)
    assert len(draws) == 5
    for i, (label, draw) in enumerate(zip(labels, draws, strict=True)):
        m = matrix(label.uri, border=0)
        assert draw.cells == {
            (r, c) for r, row in enumerate(m.rows) for c, dark in enumerate(row) if dark
        }
        # symbol plus its 4-module quiet zone exactly fills qr_size
        assert draw.scale * (m.size + 8) == pytest.approx(layout.qr_size * MM, rel=1e-4)
        col, row = i % layout.columns, i // layout.columns
        left = (layout.margin_left + col * layout.label_width) * MM + layout.padding * MM
        top = (layout.page_height - layout.margin_top - row * layout.label_height) * MM
        assert draw.x - 4 * draw.scale == pytest.approx(left, abs=0.01)
        qr_top = draw.y + 4 * draw.scale
        safe_bottom = top - layout.label_height * MM + layout.padding * MM
        assert safe_bottom <= qr_top - layout.qr_size * MM + 0.01
        assert qr_top <= top - layout.padding * MM + 0.01


def test_text_stays_inside_every_grid_label() -> None:
    layout = lb.A4_4x10
    reader = _write([_label(i) for i in range(8)], layout)
    shows = _text_shows(reader, 0)
    assert len(shows) == 8 * 4
    for i in range(8):
        col, row = i % layout.columns, i // layout.columns
        left = (layout.margin_left + col * layout.label_width) * MM
        bottom = (layout.page_height - layout.margin_top - (row + 1) * layout.label_height) * MM
        _assert_text_inside(shows[4 * i : 4 * i + 4], layout, left, bottom)


def test_long_lot_is_cut_with_an_ellipsis_inside_the_label() -> None:
    layout = replace(lb.ROLL_50x30, wrap=False)
    lot = "LOT-" + "W" * 60
    reader = _write([_label(1, lot=lot)], layout)
    shows = _text_shows(reader, 0)
    lot_line = next(s.text for s in shows if s.text.startswith("(10)"))
    assert lot_line.endswith("\u2026") and len(lot_line) < len(lot)
    assert "(21) " + _serial(1) in [s.text for s in shows]
    assert all(s.size == layout.min_font_size for s in shows)
    _assert_text_inside(shows, layout, 0, 0)
    width = stringWidth(lot_line, layout.font_name, layout.min_font_size)
    assert width <= (layout.label_width - 2 * layout.padding - layout.qr_size) * MM


def test_long_serial_wraps_whole_when_height_allows() -> None:
    layout = lb.ROLL_40x30
    serial = "7KQ2M9XH4C8RTABCDEFG"
    shows = _text_shows(_write([_label(1, serial=serial)], layout), 0)
    texts = [s.text for s in shows]
    assert "\u2026" not in "".join(texts)
    start = texts.index("(21)")
    assert "".join(texts[start + 1 : start + 3]).startswith(serial)
    _assert_text_inside(shows, layout, 0, 0)


def test_wrap_falls_back_to_ellipsis_when_too_tall() -> None:
    layout = lb.ROLL_40x30
    lines = tuple(f"(9{i}) " + "X" * 40 for i in range(8))
    shows = _text_shows(_write([lb.Label(BASE + "A", lines)], layout), 0)
    assert len(shows) == 8 and all(s.text.endswith("\u2026") for s in shows)
    _assert_text_inside(shows, layout, 0, 0)


def test_short_lines_keep_the_layout_font_size() -> None:
    shows = _text_shows(_write([lb.Label(BASE + "A", ("(10) L1",))], lb.A4_3x8), 0)
    assert [s.size for s in shows] == [lb.A4_3x8.font_size]


def test_too_many_lines_for_the_height() -> None:
    label = lb.Label(BASE + "A", tuple(str(i) for i in range(20)))
    with pytest.raises(LabelError, match=r"labels\[0\]\.lines: 20 lines do not fit .* min_font"):
        _write([label], lb.A4_4x10)


def test_uri_too_dense_for_the_qr_size() -> None:
    label = lb.Label("https://shop.example.com/trace/01/" + "9" * 14 + "/21/" + "x" * 300)
    with pytest.raises(LabelError, match=r"labels\[0\]\.uri: .* below min_module 0\.25 mm"):
        _write([label], lb.ROLL_40x30)


def test_uri_too_long_for_any_qr_names_the_label() -> None:
    label = lb.Label("https://e.com/" + "x" * 3000)
    with pytest.raises(LabelError, match=r"labels\[0\]\.uri: data: .*\(version 40\)"):
        _write([label], replace(lb.A4_3x8, error_correction="H"))


def test_streams_over_the_iterable_and_reports_progress() -> None:
    pulled = 0
    seen: list[int] = []

    def labels() -> Iterator[lb.Label]:
        nonlocal pulled
        for i in range(30):
            pulled += 1
            yield _label(i)

    def progress(done: int) -> None:
        assert done == pulled, "labels were read ahead of drawing"
        seen.append(done)

    out = io.BytesIO()
    assert lb.write_labels(labels(), out, layout=lb.A4_3x8, progress=progress) == 30
    assert seen == list(range(1, 31))


def test_writes_to_paths(tmp_path: Path) -> None:
    target = tmp_path / "labels.pdf"
    assert lb.write_labels([_label(1)], target, layout=lb.ROLL_50x30) == 1
    assert target.read_bytes()[:5] == b"%PDF-"
    assert lb.write_labels([_label(2)], str(tmp_path / "b.pdf")) == 1
    assert len(PdfReader(str(tmp_path / "b.pdf")).pages) == 1


def test_no_labels_is_an_error_and_writes_nothing(tmp_path: Path) -> None:
    target = tmp_path / "empty.pdf"
    with pytest.raises(LabelError, match="labels: nothing to write"):
        lb.write_labels([], target)
    assert not target.exists()


def test_non_label_items_are_refused() -> None:
    with pytest.raises(TypeError, match=r"labels\[1\]: expected a Label, got str"):
        lb.write_labels([_label(0), "https://x"], io.BytesIO())  # type: ignore[list-item]


def test_unknown_font_is_reported() -> None:
    with pytest.raises(LabelError, match="LabelLayout.font_name: 'NoSuchFont' is not a font"):
        lb.write_labels(
            [_label(0)], io.BytesIO(), layout=replace(lb.A4_3x8, font_name="NoSuchFont")
        )


def test_missing_reportlab_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("reportlab.pdfbase.pdfmetrics", "reportlab.pdfgen.canvas"):
        monkeypatch.setitem(sys.modules, name, None)
    with pytest.raises(MissingExtra, match=r"pip install 'shoptrace\[pdf\]'"):
        lb.write_labels([_label(0)], io.BytesIO())


def _shows_by_font(reader: PdfReader) -> list[tuple[str, str, float, float]]:
    """``(base font, text, x, size)`` of each text show on page 0, CJK text decoded."""
    fonts = reader.pages[0]["/Resources"]["/Font"]
    base = {key: str(fonts[key].get_object()["/BaseFont"]) for key in fonts}
    shows: list[tuple[str, str, float, float]] = []
    font, size, x = "", 0.0, 0.0
    for operands, op in _page_ops(reader, 0):
        if op == b"Tf":
            font, size = base[str(operands[0])], float(operands[1])
        elif op == b"Tm":
            x = float(operands[4])
        elif op == b"Tj":
            raw = operands[0]
            data = raw.get_original_bytes() if hasattr(raw, "get_original_bytes") else bytes(raw)
            text = data.decode("utf-16-be" if font == "/STSong-Light" else "cp1252").lstrip(
                "\ufeff"
            )
            shows.append((font, text, x, size))
    return shows


def test_chinese_lines_are_set_in_the_cjk_font_and_latin_ones_in_helvetica() -> None:
    chinese = lb.Label(BASE + _serial(1), ("西湖龙井 明前特级", "(10) LOT42"))
    reader = _write([chinese, _label(2)], lb.A4_3x8)
    shows = _shows_by_font(reader)
    assert [(font, text) for font, text, _, _ in shows[:2]] == [
        ("/STSong-Light", "西湖龙井 明前特级"),
        ("/STSong-Light", "(10) LOT42"),
    ]
    assert {font for font, _, _, _ in shows[2:]} == {"/Helvetica"}
    assert [text for _, text, _, _ in shows[2:]] == list(_label(2).lines)


def test_long_chinese_names_wrap_inside_the_label() -> None:
    from reportlab.pdfbase.pdfmetrics import stringWidth

    name = "五常稻花香大米有机认证东北黑土地当季新米真空包装"
    layout = lb.A4_4x10
    reader = _write([lb.Label(BASE + _serial(3), (name, "(10) LOT42"))], layout)
    shows = _shows_by_font(reader)
    pad = layout.padding * MM
    right = layout.margin_left * MM + layout.label_width * MM - pad
    assert "".join(text for _, text, _, _ in shows[:-1]).replace("…", "") in name
    for font, text, x, size in shows:
        assert font == "/STSong-Light"
        assert x + stringWidth(text, "STSong-Light", size) <= right + 1e-6, text
