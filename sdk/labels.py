"""PDF label sheets: a QR code of each trace URI plus its human-readable lines.

A :class:`LabelLayout` describes the stock (an A4 grid of die-cut labels, or a roll where
every label is its own page) and is validated when built, so a bad layout fails before any
printing. :func:`write_labels` streams over the labels: it never holds them all, and calls a
progress callback per label. Each QR is one filled PDF path of run-length merged rectangles
drawn in module units, far faster and smaller than a rectangle per module. reportlab (the
``shoptrace[pdf]`` extra) is imported only when a PDF is written.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, fields
from datetime import date
from typing import Any, BinaryIO

from shoptrace.sdk.errors import LabelError, MissingExtra, QRError
from shoptrace.sdk.qr import ERROR_CORRECTION_LEVELS, QUIET_ZONE, matrix, runs

__all__ = [
    "A4_3x8",
    "A4_4x10",
    "LAYOUTS",
    "ROLL_40x30",
    "ROLL_50x30",
    "Label",
    "LabelLayout",
    "hri_lines",
    "layout_by_name",
    "write_labels",
]

#: PDF points per millimetre.
PT_PER_MM = 72 / 25.4
#: Smallest QR side (quiet zone included) a layout may ask for, in mm.
MIN_QR_SIZE = 10.0
#: Narrowest text column beside the QR a layout may leave, in mm.
MIN_TEXT_WIDTH = 8.0
#: Line height as a multiple of the font size.
LEADING = 1.2
ELLIPSIS = "\u2026"

_PDF_EXTRA = "PDF labels need reportlab: install the extra with pip install 'shoptrace[pdf]'"


@dataclass(frozen=True, slots=True)
class LabelLayout:
    """Geometry of a label sheet; lengths in mm, font sizes in points.

    Labels sit in a ``columns`` x ``rows`` grid from the page's top-left corner, offset by
    ``margin_left``/``margin_top`` and separated by ``gap_x``/``gap_y``. Inside each label,
    ``padding`` is the safe margin nothing is drawn in. The QR (``qr_size`` square, its
    ``quiet_zone`` included) sits at the left, vertically centred; the text lines fill the
    column to its right, shrunk down to ``min_font_size``, then wrapped (``wrap``) if the
    height allows, else cut with an ellipsis. A URI whose QR would print with modules
    (X-dimension) under ``min_module`` mm is refused rather than printed unscannable.
    A roll is a page the size of one label (see :meth:`roll`). Text is set in
    ``font_name``; a label with characters that font's encoding lacks (Chinese product
    names) is set in ``cjk_font_name``, by default reportlab's built-in ``STSong-Light``,
    which PDF readers supply, so no font file is needed.
    """

    page_width: float
    page_height: float
    label_width: float
    label_height: float
    qr_size: float
    columns: int = 1
    rows: int = 1
    margin_left: float = 0.0
    margin_top: float = 0.0
    gap_x: float = 0.0
    gap_y: float = 0.0
    padding: float = 2.0
    text_gap: float = 0.5
    font_size: float = 7.0
    min_font_size: float = 5.0
    wrap: bool = True
    font_name: str = "Helvetica"
    cjk_font_name: str = "STSong-Light"
    error_correction: str = "M"
    quiet_zone: int = QUIET_ZONE
    min_module: float = 0.25
    name: str = "custom"

    def __post_init__(self) -> None:
        self._check_numbers()
        self._check_fit()

    @classmethod
    def roll(
        cls, label_width: float, label_height: float, *, qr_size: float | None = None, **opts: Any
    ) -> LabelLayout:
        """A roll of ``label_width`` x ``label_height`` mm labels, one label per page.

        ``qr_size`` defaults to the label height minus twice the padding.
        """
        padding = opts.get("padding", 2.0)
        if qr_size is None:
            qr_size = label_height - 2 * padding
        return cls(label_width, label_height, label_width, label_height, qr_size, **opts)

    @property
    def per_page(self) -> int:
        """Labels on one page."""
        return self.columns * self.rows

    @property
    def is_roll(self) -> bool:
        """Whether each page is a single label (roll stock)."""
        return self.per_page == 1 and (self.page_width, self.page_height) == (
            self.label_width,
            self.label_height,
        )

    @property
    def text_width(self) -> float:
        """Width in mm of the text column beside the QR."""
        return self.label_width - 2 * self.padding - self.qr_size - self.text_gap

    def _check_numbers(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name in ("font_name", "cjk_font_name", "error_correction", "name"):
                if not isinstance(value, str) or not value:
                    raise LabelError(f"LabelLayout.{f.name}: {value!r} must be a non-empty string")
            elif f.name == "wrap":
                if not isinstance(value, bool):
                    raise LabelError(f"LabelLayout.wrap: {value!r} must be True or False")
            elif f.name in ("columns", "rows", "quiet_zone"):
                least = 0 if f.name == "quiet_zone" else 1
                if isinstance(value, bool) or not isinstance(value, int) or value < least:
                    raise LabelError(
                        f"LabelLayout.{f.name}: {value!r} must be a whole number >= {least}"
                    )
            elif isinstance(value, bool) or not isinstance(value, int | float):
                raise LabelError(f"LabelLayout.{f.name}: {value!r} must be a number")
            elif not math.isfinite(value) or value < 0:
                raise LabelError(f"LabelLayout.{f.name}: {value!r} must be finite and >= 0")
        for name in ("page_width", "page_height", "label_width", "label_height"):
            if getattr(self, name) <= 0:
                raise LabelError(f"LabelLayout.{name}: must be > 0 mm")
        if self.error_correction.upper() not in ERROR_CORRECTION_LEVELS:
            raise LabelError(
                f"LabelLayout.error_correction: {self.error_correction!r} is not one of "
                f"{', '.join(ERROR_CORRECTION_LEVELS)}"
            )
        if self.min_module <= 0:
            raise LabelError("LabelLayout.min_module: must be > 0 mm")
        if not 0 < self.min_font_size <= self.font_size:
            raise LabelError(
                f"LabelLayout.min_font_size: {self.min_font_size} pt must be > 0 and "
                f"<= font_size {self.font_size} pt"
            )

    def _check_fit(self) -> None:
        grid_w = (
            self.margin_left + self.columns * self.label_width + (self.columns - 1) * self.gap_x
        )
        grid_h = self.margin_top + self.rows * self.label_height + (self.rows - 1) * self.gap_y
        if grid_w > self.page_width + 1e-6:
            raise LabelError(
                f"LabelLayout.columns: {self.columns} labels of {self.label_width} mm with "
                f"margin_left {self.margin_left} and gap_x {self.gap_x} need {grid_w:g} mm, "
                f"wider than page_width {self.page_width} mm"
            )
        if grid_h > self.page_height + 1e-6:
            raise LabelError(
                f"LabelLayout.rows: {self.rows} labels of {self.label_height} mm with "
                f"margin_top {self.margin_top} and gap_y {self.gap_y} need {grid_h:g} mm, "
                f"taller than page_height {self.page_height} mm"
            )
        safe_w = self.label_width - 2 * self.padding
        safe_h = self.label_height - 2 * self.padding
        if safe_w <= 0 or safe_h <= 0:
            raise LabelError(
                f"LabelLayout.padding: {self.padding} mm on each side leaves no room inside a "
                f"{self.label_width} x {self.label_height} mm label"
            )
        if self.qr_size > safe_h + 1e-6 or self.qr_size > safe_w + 1e-6:
            raise LabelError(
                f"LabelLayout.qr_size: {self.qr_size} mm is larger than the label's safe area "
                f"{safe_w:g} x {safe_h:g} mm (label size minus padding on each side)"
            )
        if self.qr_size < MIN_QR_SIZE:
            raise LabelError(
                f"LabelLayout.qr_size: {self.qr_size} mm is below the practical minimum of "
                f"{MIN_QR_SIZE:g} mm for a phone to scan a trace URI"
            )
        if self.text_width < MIN_TEXT_WIDTH:
            raise LabelError(
                f"LabelLayout.qr_size: {self.qr_size} mm leaves a text column of "
                f"{self.text_width:g} mm beside the QR; at least {MIN_TEXT_WIDTH:g} mm is needed "
                "(make the QR smaller or the label wider)"
            )


#: 24 labels of 70 x 37 mm on A4 (3 columns, 8 rows), edge to edge.
A4_3x8 = LabelLayout(
    210, 297, 70, 37, 31, columns=3, rows=8, margin_top=0.5, padding=3, font_size=8, name="a4-3x8"
)
#: 40 labels of 48.5 x 25.4 mm on A4 (4 columns, 10 rows).
A4_4x10 = LabelLayout(
    210, 297, 48.5, 25.4, 20, columns=4, rows=10, margin_left=8, margin_top=21.5, name="a4-4x10"
)
#: Roll of 50 x 30 mm labels.
ROLL_50x30 = LabelLayout.roll(50, 30, qr_size=22, name="roll-50x30")
#: Roll of 40 x 30 mm labels.
ROLL_40x30 = LabelLayout.roll(40, 30, qr_size=18, padding=1.5, name="roll-40x30")

#: Preset layouts by name, for the CLI.
LAYOUTS: dict[str, LabelLayout] = {
    layout.name: layout for layout in (A4_3x8, A4_4x10, ROLL_50x30, ROLL_40x30)
}


def layout_by_name(name: str) -> LabelLayout:
    """Return the preset layout called ``name`` (case and ``_``/``-`` insensitive)."""
    layout = LAYOUTS.get(name.strip().lower().replace("_", "-"))
    if layout is None:
        raise LabelError(
            f"layout: unknown layout name {name!r}; choose one of {', '.join(sorted(LAYOUTS))}"
        )
    return layout


def _is_text(value: str) -> bool:
    """Whether ``value`` can be written as UTF-8 (it holds no lone surrogate)."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


@dataclass(frozen=True, slots=True)
class Label:
    """One label: the URI the QR encodes and the human-readable lines printed beside it."""

    uri: str
    lines: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not isinstance(self.uri, str) or not self.uri or not _is_text(self.uri):
            raise LabelError(f"Label.uri: {self.uri!r} must be a non-empty string of text")
        lines = tuple(self.lines)
        for line in lines:
            if (
                not isinstance(line, str)
                or line.splitlines() not in ([], [line])
                or not _is_text(line)
            ):
                raise LabelError(f"Label.lines: {line!r} must be a single-line string of text")
        object.__setattr__(self, "lines", lines)


def hri_lines(
    *,
    gtin: str | None = None,
    lot: str | None = None,
    serial: str | None = None,
    expiry: date | str | None = None,
) -> tuple[str, ...]:
    """Human-readable lines in GS1 HRI style: ``(01) GTIN``, ``(10) lot``, ``(21) serial``,
    ``(17) YYMMDD``, in that order, skipping what is not given."""
    if isinstance(expiry, date):
        expiry = expiry.strftime("%y%m%d")
    pairs = (("01", gtin), ("10", lot), ("21", serial), ("17", expiry))
    return tuple(f"({ai}) {value}" for ai, value in pairs if value)


def _fit_text(
    lines: tuple[str, ...],
    layout: LabelLayout,
    box: tuple[float, float],
    font: str,
    extent: float,
    string_width: Callable[..., float],
) -> tuple[float, list[str]]:
    """Fit ``lines`` into ``box`` (width, height in points) at one font size.

    The size shrinks from ``font_size`` towards ``min_font_size``; a line still too wide is
    wrapped (when ``wrap`` is on and the taller block fits) or else cut with an ellipsis.
    ``extent`` is the ``font``'s ascent minus descent at size 1. Raises ``ValueError`` when
    the lines cannot fit the height even at ``min_font_size``.
    """
    width, height = box
    largest = min(layout.font_size, height / ((len(lines) - 1) * LEADING + extent))
    if largest < layout.min_font_size:
        raise ValueError(f"{len(lines)} lines")
    unit = [string_width(line, font, 1.0) for line in lines]
    size = largest
    widest = max(unit)
    if widest * size > width:
        size = max(layout.min_font_size, width / widest)
    if all(w * size <= width for w in unit):
        return size, list(lines)
    limit = width / size
    if layout.wrap:
        wrapped = [
            part
            for line, w in zip(lines, unit, strict=True)
            for part in (_wrap(line, limit, font, string_width) if w > limit else [line])
        ]
        if (len(wrapped) - 1) * LEADING * size + extent * size <= height:
            return size, wrapped
    cut = [
        _truncate(line, limit, font, string_width) if w > limit else line
        for line, w in zip(lines, unit, strict=True)
    ]
    return size, cut


def _latin(line: str) -> bool:
    """Whether the standard PDF fonts (WinAnsi encoding) can show ``line``."""
    try:
        line.encode("cp1252")
    except UnicodeEncodeError:
        return False
    return True


def _register_cid_font(name: str) -> bool:
    """Register one of reportlab's built-in CJK fonts (``STSong-Light`` for Chinese), which
    PDF readers supply themselves, so labels need no font file; False for other names."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont

    try:
        pdfmetrics.registerFont(UnicodeCIDFont(name))
    except (KeyError, ValueError):
        return False
    return True


def _wrap(line: str, width: float, font: str, string_width: Callable[..., float]) -> list[str]:
    """Break ``line`` into pieces no wider than ``width`` (at size 1): at spaces where it can,
    inside a word where it must (a long serial stays whole on its own line when it fits)."""
    parts: list[str] = []
    current = ""
    for word in line.split():
        candidate = f"{current} {word}" if current else word
        if string_width(candidate, font, 1.0) <= width:
            current = candidate
            continue
        if current:
            parts.append(current)
        while string_width(word, font, 1.0) > width:
            cut = max(_prefix_fitting(word, width, font, string_width, ""), 1)
            parts.append(word[:cut])
            word = word[cut:]
        current = word
    if current:
        parts.append(current)
    return parts or [""]


def _prefix_fitting(
    text: str, width: float, font: str, string_width: Callable[..., float], suffix: str
) -> int:
    """Length of the longest prefix of ``text`` that, with ``suffix``, fits ``width``."""
    low, high = 0, len(text)
    while low < high:
        mid = (low + high + 1) // 2
        if string_width(text[:mid] + suffix, font, 1.0) <= width:
            low = mid
        else:
            high = mid - 1
    return low


def _truncate(line: str, width: float, font: str, string_width: Callable[..., float]) -> str:
    """Longest prefix of ``line`` plus an ellipsis no wider than ``width`` (at size 1)."""
    return line[: _prefix_fitting(line, width, font, string_width, ELLIPSIS)].rstrip() + ELLIPSIS


def write_labels(
    labels: Iterable[Label],
    out: str | os.PathLike[str] | BinaryIO,
    *,
    layout: LabelLayout = A4_3x8,
    progress: Callable[[int], None] | None = None,
    title: str = "shoptrace labels",
) -> int:
    """Write ``labels`` as a PDF to ``out`` (a path or a binary file) and return how many.

    The iterable is consumed one label at a time; ``progress`` is called after each label
    with the number written so far. The file is written only once every label is drawn.
    """
    try:
        from reportlab.pdfbase.pdfmetrics import getAscentDescent, getFont, stringWidth
        from reportlab.pdfgen.canvas import Canvas
    except ImportError as exc:
        raise MissingExtra(_PDF_EXTRA) from exc
    metrics: dict[str, tuple[float, float]] = {}

    def font_metrics(name: str, setting: str) -> tuple[float, float]:
        """``(ascent, ascent - descent)`` at size 1 of a font, registered on first use."""
        known = metrics.get(name)
        if known is not None:
            return known
        try:
            getFont(name)
        except KeyError:
            if not _register_cid_font(name):
                raise LabelError(
                    f"LabelLayout.{setting}: {name!r} is not a font reportlab knows; "
                    "register it with reportlab.pdfbase.pdfmetrics.registerFont first"
                ) from None
        up, down = getAscentDescent(name, 1.0)
        metrics[name] = (up, up - down)
        return metrics[name]

    font_metrics(layout.font_name, "font_name")

    mm = PT_PER_MM
    pad = layout.padding * mm
    label_h = layout.label_height * mm
    qr_pt = layout.qr_size * mm
    text_w = layout.text_width * mm
    safe_h = label_h - 2 * pad
    slots = []
    for row in range(layout.rows):
        top = (layout.page_height - layout.margin_top) * mm - row * (label_h + layout.gap_y * mm)
        for col in range(layout.columns):
            left = (layout.margin_left + col * (layout.label_width + layout.gap_x)) * mm
            slots.append((left, top - label_h))
    ec = layout.error_correction
    quiet = layout.quiet_zone

    target = os.fspath(out) if isinstance(out, str | os.PathLike) else out
    canvas = Canvas(target, pagesize=(layout.page_width * mm, layout.page_height * mm))
    canvas.setTitle(title)
    canvas.setCreator("shoptrace")
    canvas.setAuthor("shoptrace")
    canvas.setSubject(f"{layout.name} QR labels")

    count = 0
    for label in labels:
        if not isinstance(label, Label):
            raise TypeError(f"labels[{count}]: expected a Label, got {type(label).__name__}")
        slot = count % layout.per_page
        if count and not slot:
            canvas.showPage()
        left, bottom = slots[slot]

        try:
            qr = matrix(label.uri, error_correction=ec, border=0)
        except QRError as exc:
            raise LabelError(f"labels[{count}].uri: {exc}") from exc
        modules = qr.size + 2 * quiet
        module = layout.qr_size / modules
        if module < layout.min_module:
            raise LabelError(
                f"labels[{count}].uri: its QR (version {qr.version}, {modules} modules with "
                f"quiet zone) would have {module:.3f} mm modules at qr_size {layout.qr_size} mm, "
                f"below min_module {layout.min_module} mm; shorten the URI or enlarge the QR"
            )
        scale = qr_pt / modules
        qr_left = left + pad
        qr_bottom = bottom + (label_h - qr_pt) / 2
        origin_x = qr_left + quiet * scale
        origin_y = qr_bottom + qr_pt - quiet * scale
        path = "\n".join(f"{x} {y} {w} 1 re" for y, x, w in runs(qr.rows))
        canvas.addLiteral(
            f"q {scale:.5f} 0 0 {-scale:.5f} {origin_x:.3f} {origin_y:.3f} cm\n{path}\nf Q"
        )

        if label.lines:
            font = layout.font_name
            if not all(_latin(line) for line in label.lines):
                font = layout.cjk_font_name
            ascent, extent = font_metrics(
                font, "font_name" if font == layout.font_name else "cjk_font_name"
            )
            try:
                size, lines = _fit_text(
                    label.lines, layout, (text_w, safe_h), font, extent, stringWidth
                )
            except ValueError:
                raise LabelError(
                    f"labels[{count}].lines: {len(label.lines)} lines do not fit the label's "
                    f"safe height of {safe_h / mm:.1f} mm at min_font_size "
                    f"{layout.min_font_size} pt; give fewer lines or a taller label"
                ) from None
            leading = size * LEADING
            block = (len(lines) - 1) * leading + extent * size
            baseline = bottom + (label_h + block) / 2 - ascent * size
            text = canvas.beginText(qr_left + qr_pt + layout.text_gap * mm, baseline)
            text.setFont(font, size, leading)
            for line in lines:
                text.textLine(line)
            canvas.drawText(text)

        count += 1
        if progress is not None:
            progress(count)

    if not count:
        raise LabelError("labels: nothing to write; give at least one Label")
    canvas.save()
    return count
