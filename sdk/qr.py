"""QR codes of trace URIs: the module matrix, SVG (pure Python) and PNG (Pillow).

The matrix comes from ``qrcode``; the SVG is written here as one ``<path>`` of run-length
merged rectangles, so it needs neither Pillow nor qrcode's image factories and stays small.
The quiet zone defaults to the 4 modules ISO/IEC 18004 asks for.
"""

from __future__ import annotations

import io
import math
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast
from xml.sax.saxutils import escape, quoteattr

import qrcode
from qrcode.constants import (
    ERROR_CORRECT_H,
    ERROR_CORRECT_L,
    ERROR_CORRECT_M,
    ERROR_CORRECT_Q,
)
from qrcode.exceptions import DataOverflowError

from shoptrace.sdk.errors import MissingExtra, QRError

__all__ = [
    "ERROR_CORRECTION_LEVELS",
    "QUIET_ZONE",
    "QRMatrix",
    "matrix",
    "png",
    "runs",
    "save",
    "svg",
]

#: Quiet zone (light border) in modules that ISO/IEC 18004 requires around a QR Code symbol.
QUIET_ZONE = 4

_LEVELS: dict[str, int] = {
    "L": ERROR_CORRECT_L,
    "M": ERROR_CORRECT_M,
    "Q": ERROR_CORRECT_Q,
    "H": ERROR_CORRECT_H,
}
#: Error correction levels by name: L 7 %, M 15 %, Q 25 %, H 30 % of codewords recoverable.
ERROR_CORRECTION_LEVELS = tuple(_LEVELS)

_SUFFIXES = (".svg", ".png")


@dataclass(frozen=True, slots=True)
class QRMatrix:
    """A QR Code symbol as rows of modules (``True`` = dark), quiet zone included.

    ``size`` is the side in modules: ``17 + 4 * version + 2 * border``.
    """

    rows: tuple[tuple[bool, ...], ...]
    version: int
    border: int
    error_correction: str

    @property
    def size(self) -> int:
        """Side of the matrix in modules, quiet zone included."""
        return len(self.rows)

    @property
    def dark_count(self) -> int:
        """Number of dark modules (what a renderer fills)."""
        return sum(sum(row) for row in self.rows)


def _level(error_correction: str) -> int:
    level = _LEVELS.get(error_correction.upper()) if isinstance(error_correction, str) else None
    if level is None:
        raise QRError(
            f"error_correction: {error_correction!r} is not a QR Code error correction level; "
            f"use one of {', '.join(ERROR_CORRECTION_LEVELS)}"
        )
    return level


def _check_border(border: int) -> None:
    if isinstance(border, bool) or not isinstance(border, int) or border < 0:
        raise QRError(f"border: {border!r} must be a whole number of modules >= 0")


def _symbol(data: str | bytes, level: int) -> tuple[int, list[list[bool]]]:
    """Encode ``data`` with qrcode (smallest version, best mask); modules without border."""
    if not data:
        raise QRError("data: must not be empty; a QR code needs something to encode")
    if isinstance(data, str):
        try:
            data.encode("utf-8")
        except UnicodeEncodeError as exc:  # a lone surrogate: no UTF-8 bytes to encode
            raise QRError(
                f"data: character {data[exc.start]!r} at position {exc.start + 1} is not text "
                "(a lone surrogate)"
            ) from None
    code: qrcode.QRCode[Any] = qrcode.QRCode(error_correction=level, border=0)
    code.add_data(data)
    try:
        code.make(fit=True)
    except (DataOverflowError, ValueError):  # qrcode 8 raises ValueError past version 40
        raise QRError(
            f"data: {len(data)} characters do not fit the largest QR Code (version 40) "
            "at this error correction level"
        ) from None
    return int(code.version), cast(list[list[bool]], code.modules)


def matrix(data: str | bytes, *, error_correction: str = "M", border: int = QUIET_ZONE) -> QRMatrix:
    """Encode ``data`` as a QR Code and return its modules with a ``border``-module quiet zone."""
    level = _level(error_correction)
    _check_border(border)
    version, modules = _symbol(data, level)
    if border:
        pad = (False,) * border
        blank = (False,) * (len(modules) + 2 * border)
        body = [pad + tuple(row) + pad for row in modules]
        rows = (blank,) * border + tuple(body) + (blank,) * border
    else:
        rows = tuple(tuple(row) for row in modules)
    return QRMatrix(rows, version, border, error_correction.upper())


def runs(rows: Sequence[Sequence[bool]]) -> Iterator[tuple[int, int, int]]:
    """Yield ``(row, column, length)`` for every horizontal run of dark modules.

    Renderers draw one rectangle per run instead of one per module: far fewer shapes.
    """
    for y, row in enumerate(rows):
        end = len(row)
        start = 0
        while True:
            try:
                first = row.index(True, start)
            except ValueError:
                break
            try:
                start = row.index(False, first)
            except ValueError:
                start = end
            yield y, first, start - first


def _positive(name: str, value: float) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value < math.inf:
        raise QRError(f"{name}: {value!r} must be a finite number > 0")


def svg(
    data: str | bytes,
    *,
    error_correction: str = "M",
    module_size: float = 4,
    border: int = QUIET_ZONE,
    title: str | None = None,
    dark: str = "#000",
    light: str | None = "#fff",
) -> str:
    """Return an SVG document of the QR Code of ``data``.

    One ``<path>`` holds every dark module (run-length merged), drawn in a ``viewBox`` of one
    unit per module with ``shape-rendering="crispEdges"``; ``module_size`` sets the pixel width
    and height. ``light=None`` leaves the background transparent.
    """
    _positive("module_size", module_size)
    qr = matrix(data, error_correction=error_correction, border=border)
    n = qr.size
    side = f"{n * module_size:g}"
    d = "".join(f"M{x} {y}h{w}v1h-{w}z" for y, x, w in runs(qr.rows))
    parts = [
        '<svg xmlns="http://www.w3.org/2000/svg" version="1.1" '
        f'width="{side}" height="{side}" viewBox="0 0 {n} {n}" '
        'shape-rendering="crispEdges" role="img">'
    ]
    if title is not None:
        parts.append(f"<title>{escape(title)}</title>")
    if light is not None:
        parts.append(f'<rect width="{n}" height="{n}" fill={quoteattr(light)}/>')
    parts.append(f"<path fill={quoteattr(dark)} d={quoteattr(d)}/>")
    parts.append("</svg>\n")
    return "".join(parts)


def png(
    data: str | bytes,
    *,
    error_correction: str = "M",
    box_size: int = 10,
    border: int = QUIET_ZONE,
) -> bytes:
    """Return a black-and-white PNG of the QR Code of ``data``, ``box_size`` pixels per module.

    Needs Pillow (the ``shoptrace[pdf]`` extra).
    """
    if isinstance(box_size, bool) or not isinstance(box_size, int) or box_size < 1:
        raise QRError(f"box_size: {box_size!r} must be a whole number of pixels >= 1")
    try:
        from PIL import Image
    except ImportError as exc:
        raise MissingExtra(
            "PNG output needs Pillow: install the extra with pip install 'shoptrace[pdf]'"
        ) from exc
    qr = matrix(data, error_correction=error_correction, border=border)
    n = qr.size
    pixels = bytes(0 if dark else 255 for row in qr.rows for dark in row)
    image = Image.frombytes("L", (n, n), pixels)
    if box_size > 1:
        image = image.resize((n * box_size, n * box_size), Image.Resampling.NEAREST)
    out = io.BytesIO()
    image.convert("1", dither=Image.Dither.NONE).save(out, format="PNG", optimize=True)
    return out.getvalue()


def save(data: str | bytes, path: str | os.PathLike[str], **opts: Any) -> Path:
    """Write the QR Code of ``data`` to ``path``; the suffix (.svg or .png) picks the format.

    ``opts`` go to :func:`svg` or :func:`png`. Returns the path written.
    """
    target = Path(path)
    suffix = target.suffix.lower()
    if suffix == ".svg":
        target.write_text(svg(data, **opts), encoding="utf-8")
    elif suffix == ".png":
        target.write_bytes(png(data, **opts))
    else:
        raise QRError(
            f"path: suffix {target.suffix or '(none)'!r} of {str(target)!r} is not supported; "
            f"the file name must end in {' or '.join(_SUFFIXES)}"
        )
    return target
