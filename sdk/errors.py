"""Typed exceptions raised by the SDK.

Every error a caller can act on has its own class; all derive from :class:`ShoptraceError`.
Input errors are also ``ValueError`` so plain ``except ValueError`` keeps working.
"""

from __future__ import annotations


class ShoptraceError(Exception):
    """Base class of every exception the SDK raises on purpose."""


class InvalidElementString(ShoptraceError, ValueError):
    """A GS1 element string, AI or AI value breaks a rule of the GS1 General Specifications.

    ``ai`` names the Application Identifier concerned (when one is), ``rule`` the rule broken.
    """

    def __init__(self, message: str, *, ai: str | None = None, rule: str | None = None) -> None:
        super().__init__(message)
        self.ai = ai
        self.rule = rule


class InvalidDigitalLink(ShoptraceError, ValueError):
    """A GS1 Digital Link URI breaks a rule of the GS1 Digital Link URI Syntax.

    ``segment`` is the offending part of the URI (a path segment, a query parameter or the
    domain), ``rule`` a short name of the rule broken. The message names both.
    """

    def __init__(
        self, message: str, *, segment: str | None = None, rule: str | None = None
    ) -> None:
        super().__init__(message)
        self.segment = segment
        self.rule = rule


class QRError(ShoptraceError, ValueError):
    """A QR code cannot be made as asked (error correction level, border, data, file type)."""


class LabelError(ShoptraceError, ValueError):
    """A label sheet cannot be laid out as asked (size, margins, missing extra)."""


class MissingExtra(ShoptraceError, ImportError):
    """An optional dependency is needed: the message names the pip extra to install."""


class WebhookSignatureError(ShoptraceError, ValueError):
    """A webhook's ``ShopTrace-Signature`` does not prove it came from the sender now.

    ``reason`` names what failed: ``missing-header``, ``malformed-header``, ``no-signature``
    (no ``v1`` value), ``mismatch`` (no ``v1`` matches the secret and body), ``too-old``,
    ``too-new`` (the timestamp is outside the tolerance) or ``payload`` (signed, but not a
    JSON object). ``header`` is the header as received (it holds no secret).
    """

    def __init__(self, message: str, *, reason: str, header: str | None = None) -> None:
        super().__init__(message)
        self.reason = reason
        self.header = header
