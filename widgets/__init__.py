"""shoptrace widgets: the embeddable trace badge, timeline and trace page templates.

Pure Python and Jinja2 (no Flask): :mod:`~shoptrace.widgets.render` renders the pages and
serves the widget script, :mod:`~shoptrace.widgets.i18n` holds the words shoppers see.
"""

from __future__ import annotations

from shoptrace.widgets.i18n import LANGS, Lang, negotiate, step_phrase, t
from shoptrace.widgets.render import (
    TraceView,
    environment,
    macros_path,
    page_context,
    render_embed,
    render_trace_page,
    render_unknown_page,
    templates_path,
    trace_view,
    widget_js,
)

__all__ = [
    "LANGS",
    "Lang",
    "TraceView",
    "environment",
    "macros_path",
    "negotiate",
    "page_context",
    "render_embed",
    "render_trace_page",
    "render_unknown_page",
    "step_phrase",
    "t",
    "templates_path",
    "trace_view",
    "widget_js",
]
