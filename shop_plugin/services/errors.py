"""Errors the services raise; the API turns each into an RFC 7807 problem."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "Conflict",
    "FieldError",
    "InUse",
    "InvalidInput",
    "NotFound",
    "ServiceError",
    "Unavailable",
    "Use",
]


@dataclass(frozen=True)
class FieldError:
    """One broken rule: ``field`` is a path such as ``certifications[0].validUntil``."""

    field: str
    rule: str
    detail: str

    def as_dict(self) -> dict[str, str]:
        return {"field": self.field, "rule": self.rule, "detail": self.detail}


class ServiceError(Exception):
    """Base of the errors a caller can act on; ``status`` is the HTTP status it maps to."""

    status = 400
    slug = "bad-request"
    title = "Bad request"

    def __init__(self, detail: str, *, errors: list[FieldError] | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors = list(errors or [])


class InvalidInput(ServiceError):
    """The input breaks one or more rules; nothing was written."""

    status = 422
    slug = "validation"
    title = "Invalid input"

    def __init__(self, errors: list[FieldError], *, status: int = 422) -> None:
        names = ", ".join(f"{e.field} ({e.rule})" for e in errors[:5])
        more = f" and {len(errors) - 5} more" if len(errors) > 5 else ""
        super().__init__(f"Invalid {names}{more}", errors=errors)
        self.status = status

    @classmethod
    def one(cls, field: str, rule: str, detail: str, *, status: int = 422) -> InvalidInput:
        return cls([FieldError(field, rule, detail)], status=status)


class NotFound(ServiceError):
    """No such resource for this merchant (another merchant's ids are not found either)."""

    status = 404
    slug = "not-found"
    title = "Not found"

    @classmethod
    def of(cls, field: str, detail: str) -> NotFound:
        """Not found, naming the id ``field`` (a path parameter or query parameter)."""
        return cls(detail, errors=[FieldError(field, "not-found", detail)])


class Conflict(ServiceError):
    """The request clashes with stored data, e.g. a GTIN the merchant already registered."""

    status = 409
    slug = "conflict"
    title = "Conflict"


@dataclass(frozen=True)
class Use:
    """Stored rows that refer to something a caller asked to delete: ``what`` they are, as
    the API names them (``lots``, ``orderLines``, ``events``, ...), how many (``count``, or at
    least that many when ``more``), and ``detail`` saying so in English."""

    what: str
    count: int
    more: bool
    detail: str


class InUse(Conflict):
    """A deletion refused because stored rows refer to the resource (they are kept, so it is
    kept too); nothing was deleted. Each use is an error ``{field: what, rule: "in-use"}``."""

    def __init__(self, detail: str, uses: list[Use]) -> None:
        super().__init__(detail, errors=[FieldError(u.what, "in-use", u.detail) for u in uses])
        self.uses = tuple(uses)


class Unavailable(ServiceError):
    """The service cannot answer now (schema behind, optional dependency missing)."""

    status = 503
    slug = "unavailable"
    title = "Service unavailable"
