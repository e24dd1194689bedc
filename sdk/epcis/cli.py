"""``shoptrace epcis``: validate EPCIS 2.0 JSON files and print their event hash IDs.

Both commands read a file (``-`` for stdin). Bad input (an unreadable file, text that is not
JSON) prints one line to stderr and exits with status 2; ``validate`` also exits with 2 when
the document breaks rules, after printing one ``POINTER: message`` line per problem.
"""

from __future__ import annotations

import sys
from typing import Any, NoReturn

import click

from shoptrace.sdk.epcis.documents import parse_json
from shoptrace.sdk.epcis.hashing import document_hashes
from shoptrace.sdk.epcis.validate import (
    EPCISValidationError,
    document_problems,
    event_problems,
    format_problem,
)
from shoptrace.sdk.errors import ShoptraceError

_DOCUMENT_TYPES = ("EPCISDocument", "EPCISQueryDocument")


def _fail(message: str) -> NoReturn:
    click.echo(f"error: {' '.join(message.split())}", err=True)
    sys.exit(2)


def _load(path: str) -> Any:
    try:
        with click.open_file(path, "rb") as fp:
            data = fp.read()
    except OSError as exc:
        _fail(f"{path}: cannot read: {exc.strerror or exc}")
    try:
        return parse_json(data)
    except EPCISValidationError as exc:
        _fail(f"{path}: {exc.problems[0][1]}")


@click.group("epcis")
def epcis() -> None:
    """EPCIS 2.0 JSON documents: validate them and compute event hash IDs."""


@epcis.command("validate")
@click.argument("file", metavar="FILE")
def validate_command(file: str) -> None:
    """Check FILE (an EPCISDocument, an EPCISQueryDocument or a single event) against every
    rule of the EPCIS 2.0 JSON binding; list every problem and exit with 2 when any."""
    data = _load(file)
    if isinstance(data, dict) and data.get("type") in _DOCUMENT_TYPES:
        problems = document_problems(data)
        what = data["type"]
    else:
        problems = event_problems(data)
        what = "event"
    for problem in problems:
        click.echo(format_problem(problem), err=True)
    if problems:
        sys.exit(2)
    click.echo(f"{file}: valid {what}")


@epcis.command("hash")
@click.argument("file", metavar="FILE")
def hash_command(file: str) -> None:
    """Print the event hash ID (``ni:///sha-256;...?ver=CBV2.0``) of every event in FILE,
    one per line, in document order."""
    data = _load(file)
    if not (isinstance(data, dict) and data.get("type") in _DOCUMENT_TYPES):
        _fail(f"{file}: not an EPCISDocument or EPCISQueryDocument")
    try:
        hashes = document_hashes(data)
    except (ShoptraceError, ValueError) as exc:
        _fail(f"{file}: {exc}")
    for hash_id in hashes:
        click.echo(hash_id)
