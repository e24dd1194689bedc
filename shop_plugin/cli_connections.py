"""``shoptrace connections add|list|rotate|remove``: the shops whose webhooks a merchant gets.

The secret is asked for (hidden) or read from stdin, never taken from the command line, where
shell history and process lists would keep it; it is stored sealed and never printed.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from shoptrace.sdk.cli import fail
from shoptrace.shop_plugin.config import ConfigError, Settings
from shoptrace.shop_plugin.services import connections as service
from shoptrace.shop_plugin.services import merchants as merchant_service
from shoptrace.shop_plugin.services.errors import ServiceError
from shoptrace.shop_plugin.services.signing import resolve_signing_key

__all__ = ["connections"]

_db_option = click.option(
    "--db",
    "db_url",
    metavar="URL",
    help="Database URL (sqlite:///FILE or postgresql+psycopg://...).",
)


def _run(db_url: str | None, action: Any) -> tuple[Any, Settings]:
    """``action(conn, signing_key)`` in a write transaction, and the settings it ran with;
    service errors exit 2."""
    from shoptrace.shop_plugin.cli import _require_schema, _target

    with _target(db_url) as target:
        _require_schema(target.store)
        try:
            key = resolve_signing_key(target.settings)
        except ConfigError as exc:
            fail(str(exc))
        try:
            with target.store.begin() as conn:
                return action(conn, key), target.settings
        except ServiceError as exc:
            first = exc.errors[0] if exc.errors else None
            fail(f"{first.field}: {first.detail}" if first else exc.detail)


def _secret(from_stdin: bool) -> str:
    if from_stdin:
        value = sys.stdin.readline().rstrip("\r\n")
    else:
        value = click.prompt("Webhook secret", hide_input=True)
    return str(value)


def _show(row: dict[str, Any]) -> str:
    checks = ",".join(row["verification"]) or "-"
    return f"{row['id']}\t{row['platform']}\t{row['status']}\t{checks}\t{row['shop']}"


@click.group("connections")
def connections() -> None:
    """Shop platform connections: where inbound webhooks come from, and their secrets."""


@connections.command("add")
@click.argument("merchant_id", type=click.IntRange(1))
@click.argument("platform", type=click.Choice(service.PLATFORMS))
@click.argument("shop")
@click.option("--secret-stdin", is_flag=True, help="Read the secret from stdin's first line.")
@click.option(
    "--no-secret",
    is_flag=True,
    help="Saleor with --public-key only (JWS signatures, no secretKey).",
)
@click.option(
    "--public-key",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Saleor: a JSON file with its /.well-known/jwks.json (or one JWK).",
)
@_db_option
def connections_add(
    merchant_id: int,
    platform: str,
    shop: str,
    secret_stdin: bool,
    no_secret: bool,
    public_key: Path | None,
    db_url: str | None,
) -> None:
    """Connect SHOP (its domain or URL) of PLATFORM to MERCHANT_ID; asks for the secret."""
    body: dict[str, Any] = {"platform": platform, "shop": shop}
    if public_key is not None:
        try:
            body["publicKey"] = json.loads(public_key.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            fail(f"--public-key: not a JSON file: {exc}")
    if not no_secret:
        body["secret"] = _secret(secret_stdin)

    def add(conn: Any, key: str) -> dict[str, Any]:
        merchant_service.get_merchant(conn, merchant_id)
        return service.create_connection(conn, merchant_id, body, signing_key=key)

    row, settings = _run(db_url, add)
    base = settings.public_base_url or f"https://<your host>{settings.url_prefix}"
    click.echo(f"connection {row['id']} created: {platform} shop {row['shop']}")
    click.echo(f"webhook URL: {base}/hooks/{platform}")


@connections.command("list")
@click.argument("merchant_id", type=click.IntRange(1))
@_db_option
def connections_list(merchant_id: int, db_url: str | None) -> None:
    """List MERCHANT_ID's connections (id, platform, status, verification, shop)."""

    def listed(conn: Any, key: str) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = []
        after = 0
        while True:
            page = service.list_connections(conn, merchant_id, signing_key=key, after=after)
            rows.extend(page.items)
            if page.next_token is None or not page.items:
                return rows
            after = page.items[-1]["id"]

    for row in _run(db_url, listed)[0]:
        click.echo(_show(row))


@connections.command("rotate")
@click.argument("merchant_id", type=click.IntRange(1))
@click.argument("connection_id", type=click.IntRange(1))
@click.option("--secret-stdin", is_flag=True, help="Read the new secret from stdin's first line.")
@click.option(
    "--grace",
    type=click.IntRange(0, service.MAX_GRACE_SECONDS),
    default=0,
    show_default=True,
    help="Seconds the previous secret still verifies webhooks.",
)
@_db_option
def connections_rotate(
    merchant_id: int, connection_id: int, secret_stdin: bool, grace: int, db_url: str | None
) -> None:
    """Give CONNECTION_ID a new secret; asks for it."""
    body = {"secret": _secret(secret_stdin), "graceSeconds": grace}
    row, _ = _run(
        db_url,
        lambda conn, key: service.update_connection(
            conn, merchant_id, connection_id, body, signing_key=key
        ),
    )
    until = row["previousSecretUntil"]
    click.echo(
        f"connection {row['id']}: new secret" + (f", previous one until {until}" if until else "")
    )


@connections.command("remove")
@click.argument("merchant_id", type=click.IntRange(1))
@click.argument("connection_id", type=click.IntRange(1))
@_db_option
def connections_remove(merchant_id: int, connection_id: int, db_url: str | None) -> None:
    """Disconnect CONNECTION_ID: its webhooks are refused from now on."""
    row, _ = _run(
        db_url, lambda conn, key: service.delete_connection(conn, merchant_id, connection_id)
    )
    click.echo(f"connection {row['id']} removed: {row['platform']} shop {row['shop']}")
