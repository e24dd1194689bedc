"""The ``shoptrace`` console command.

``shoptrace dl parse|build``, ``shoptrace qr``, ``shoptrace labels`` and ``shoptrace epcis``
come with the SDK; the shop plugin adds its commands (``serve``, ``db``, ``merchants``, ...)
through the ``shoptrace.commands`` entry-point group, so the SDK never imports the plugin. An
entry point named like a built-in group adds its subcommands to it (``epcis export``).
Bad input prints one line to stderr and exits with status 2.
"""

from __future__ import annotations

import copy
import json
import os
import sys
from collections.abc import Iterator, Sequence
from functools import cache
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any, NoReturn

import click

from shoptrace.sdk import digital_link
from shoptrace.sdk.epcis.cli import epcis
from shoptrace.sdk.errors import ShoptraceError


def fail(message: str) -> NoReturn:
    """Print a one-line error and exit with status 2 (bad input)."""
    click.echo(f"error: {' '.join(str(message).split())}", err=True)
    sys.exit(2)


@cache
def _plugin_entry_points() -> dict[str, Any]:
    """The ``shoptrace.commands`` entry points by name, read from the metadata once."""
    return {ep.name: ep for ep in entry_points(group="shoptrace.commands")}


class _Group(click.Group):
    """A group that loads plugin commands lazily from the ``shoptrace.commands`` entry points."""

    def _plugins(self) -> dict[str, Any]:
        return _plugin_entry_points()

    def main(
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        """Run the CLI; a usage error (unknown option or command, missing argument, bad
        option value) is one ``error:`` line naming the command, and status 2."""
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, standalone_mode, **extra)
        try:
            code = super().main(args, prog_name, complete_var, False, **extra)
        except click.UsageError as exc:
            message = exc.format_message().rstrip(".")
            if exc.ctx is None:  # click knows no command for some option errors
                fail(f"{prog_name or 'shoptrace'}: {message}")
            where = exc.ctx.command_path
            fail(f"{where}: {message} (see {where} --help)")
        except click.ClickException as exc:
            exc.show()
            sys.exit(exc.exit_code)
        except click.Abort:
            click.echo("Aborted!", err=True)
            sys.exit(1)
        sys.exit(code if isinstance(code, int) else 0)

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(set(super().list_commands(ctx)) | set(self._plugins()))

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        cmd = super().get_command(ctx, name)
        if name not in self._plugins():
            return cmd
        loaded = self._plugins()[name].load()
        if cmd is None:
            return loaded if isinstance(loaded, click.Command) else None
        if isinstance(cmd, click.Group) and isinstance(loaded, click.Group):
            # A plugin group named like a built-in one adds its subcommands to it
            # (``shoptrace epcis export``); the built-in ones win a clash.
            grafted = copy.copy(cmd)
            grafted.commands = {**loaded.commands, **cmd.commands}
            return grafted
        return cmd


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="shoptrace", prog_name="shoptrace")
def main() -> None:
    """shoptrace: GS1 Digital Link trace codes, QR labels and EPCIS 2.0 events."""


@main.group("dl")
def dl_group() -> None:
    """Parse and build GS1 Digital Link URIs."""


def link_as_json(link: digital_link.DigitalLink) -> dict[str, Any]:
    """The JSON shape ``shoptrace dl parse`` prints."""
    return {
        "uri": link.uri(),
        "domain": link.domain,
        "stem": link.stem,
        "primaryKey": {"ai": link.primary_key[0], "value": link.primary_key[1]},
        "qualifiers": [{"ai": a, "value": v} for a, v in link.qualifiers],
        "attributes": [{"ai": a, "value": v} for a, v in link.attributes],
        "ais": [[a, v] for a, v in link.ais],
        "params": [[k, v] for k, v in link.params],
        "canonical": link.canonical(),
        "elementString": link.element_string(separator="^", fnc1_first=True),
        "hri": link.hri(),
    }


@dl_group.command("parse")
@click.argument("uri")
@click.option("--legacy-gtin", is_flag=True, help="Accept GTIN-8/12/13 and pad them to 14 digits.")
def dl_parse(uri: str, legacy_gtin: bool) -> None:
    """Check URI and print its AIs, parameters, canonical URI and element string as JSON.

    The element string writes FNC1 as ^ (a leading ^ is FNC1 in first position).
    """
    try:
        link = digital_link.parse(uri, legacy_gtin=legacy_gtin)
    except ShoptraceError as exc:
        fail(str(exc))
    click.echo(json.dumps(link_as_json(link), ensure_ascii=False, indent=2))


def _attr(value: str) -> tuple[str, str]:
    ai, sep, val = value.partition("=")
    if not sep or not ai:
        fail(f"--attr {value!r}: expected AI=VALUE, for example 17=271231")
    return ai, val


@dl_group.command("build")
@click.option(
    "--domain", required=True, help="Host or base URI, e.g. https://shop.example.com/trace"
)
@click.option("--gtin", required=True, help="GTIN-14 (AI 01).")
@click.option("--cpv", help="Consumer product variant (AI 22).")
@click.option("--lot", help="Batch or lot (AI 10).")
@click.option("--serial", help="Serial number (AI 21).")
@click.option("--attr", "attrs", multiple=True, metavar="AI=VALUE", help="Data attribute.")
def dl_build(
    domain: str,
    gtin: str,
    cpv: str | None,
    lot: str | None,
    serial: str | None,
    attrs: tuple[str, ...],
) -> None:
    """Build the Digital Link URI of a product, lot or unit and print it."""
    pairs = [_attr(a) for a in attrs]
    try:
        uri = digital_link.build(domain, gtin, cpv=cpv, lot=lot, serial=serial, attributes=pairs)
    except ShoptraceError as exc:
        fail(str(exc))
    click.echo(uri)


@main.command("qr")
@click.argument("uri")
@click.option(
    "-o",
    "--output",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="FILE.svg or FILE.png",
)
@click.option(
    "--ec",
    "error_correction",
    default="M",
    show_default=True,
    type=click.Choice(["L", "M", "Q", "H"], case_sensitive=False),
    help="Error correction level.",
)
@click.option(
    "--check/--no-check",
    default=True,
    show_default=True,
    help="Refuse a URI that is not a valid GS1 Digital Link.",
)
def qr_command(uri: str, output: Path, error_correction: str, check: bool) -> None:
    """Write the QR code of URI as SVG or PNG (chosen by the file suffix)."""
    from shoptrace.sdk import qr

    if check:
        try:
            digital_link.parse(uri)
        except ShoptraceError as exc:
            fail(str(exc))
    try:
        qr.save(uri, output, error_correction=error_correction.upper())
    except (ShoptraceError, OSError) as exc:
        fail(str(exc))
    click.echo(str(output))


def _signing_key(key_env: str | None) -> bytes | None:
    if not key_env:
        return None
    value = os.environ.get(key_env)
    if not value:
        fail(f"--key-env {key_env}: the environment variable is not set or empty")
    try:
        return value.encode("utf-8")
    except UnicodeEncodeError:  # bytes that are not UTF-8 arrive as lone surrogates
        fail(f"--key-env {key_env}: the environment variable is not UTF-8 text")


@main.command("labels")
@click.option(
    "--domain", required=True, help="Host or base URI, e.g. https://shop.example.com/trace"
)
@click.option("--gtin", required=True, help="GTIN-14 (AI 01).")
@click.option("--lot", help="Batch or lot (AI 10).")
@click.option("--expiry", help="Expiry date YYMMDD (AI 17), printed and put in the code.")
@click.option("--count", required=True, type=click.IntRange(1, 1_000_000), help="Number of labels.")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--layout",
    "layout_name",
    default="a4-3x8",
    show_default=True,
    help="Sheet or roll layout, e.g. a4-3x8, a4-4x10, roll-50x30, roll-40x30.",
)
@click.option(
    "--key-env",
    metavar="VAR",
    help="Environment variable holding the merchant signing key for check tags.",
)
def labels_command(
    domain: str,
    gtin: str,
    lot: str | None,
    expiry: str | None,
    count: int,
    output: Path,
    layout_name: str,
    key_env: str | None,
) -> None:
    """Issue COUNT unit serials and write their QR labels to a PDF."""
    from shoptrace.sdk import labels, serials

    key = _signing_key(key_env)
    attributes = [("17", expiry)] if expiry else None
    try:
        layout = labels.layout_by_name(layout_name)
        digital_link.build(domain, gtin, lot=lot, attributes=attributes)
        codes = serials.generate(count, gtin=gtin, lot=lot, key=key)
    except ShoptraceError as exc:
        fail(str(exc))

    def items() -> Iterator[labels.Label]:
        for serial in codes:
            uri = digital_link.build(domain, gtin, lot=lot, serial=serial, attributes=attributes)
            lines = [f"(01) {gtin}"]
            if lot:
                lines.append(f"(10) {lot}")
            lines.append(f"(21) {serial}")
            if expiry:
                lines.append(f"(17) {expiry}")
            yield labels.Label(uri=uri, lines=tuple(lines))

    try:
        with click.progressbar(length=count, label="labels", file=sys.stderr) as bar:
            written = labels.write_labels(
                items(), output, layout=layout, progress=lambda n: bar.update(1)
            )
    except (ShoptraceError, OSError) as exc:
        fail(str(exc))
    click.echo(f"{written} labels written to {output}")


main.add_command(epcis)

if __name__ == "__main__":
    main()
