"""The ``shoptrace`` console command: JSON out, one-line errors with exit status 2."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from shoptrace.sdk import digital_link, serials
from shoptrace.sdk.cli import main

GTIN = "09506000134352"
UNIT = f"https://shop.example.com/trace/01/{GTIN}/10/LOT42/21/7KQ2M9XH4C8RT?17=271231&lang=en"


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def test_dl_parse_prints_ais_params_canonical_and_element_string(runner: CliRunner) -> None:
    result = runner.invoke(main, ["dl", "parse", UNIT])
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert out["primaryKey"] == {"ai": "01", "value": GTIN}
    assert out["ais"] == [["01", GTIN], ["10", "LOT42"], ["21", "7KQ2M9XH4C8RT"], ["17", "271231"]]
    assert out["params"] == [["lang", "en"]]
    assert out["canonical"] == f"https://id.gs1.org/01/{GTIN}/10/LOT42/21/7KQ2M9XH4C8RT?17=271231"
    assert out["elementString"] == f"^01{GTIN}10LOT42^217KQ2M9XH4C8RT^17271231"
    assert out["hri"] == f"(01){GTIN}(10)LOT42(21)7KQ2M9XH4C8RT(17)271231"
    assert out["stem"] == "/trace"


@pytest.mark.parametrize(
    ("uri", "reason"),
    [
        (f"https://a/01/{GTIN}/21/S/10/L", "key qualifiers of (01)"),
        ("https://a/01/09506000134353", "incorrect check digit"),
        (f"https://a/01/{GTIN}?10=L", "belongs in the path"),
        ("mailto:x@example.com", "http:// or https://"),
    ],
)
def test_dl_parse_invalid_exits_2_with_one_line(runner: CliRunner, uri: str, reason: str) -> None:
    result = runner.invoke(main, ["dl", "parse", uri])
    assert result.exit_code == 2
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("error: ") and reason in lines[0]


def test_dl_parse_legacy_gtin_flag(runner: CliRunner) -> None:
    uri = "https://a/01/9506000134352"
    assert runner.invoke(main, ["dl", "parse", uri]).exit_code == 2
    result = runner.invoke(main, ["dl", "parse", "--legacy-gtin", uri])
    assert json.loads(result.stdout)["primaryKey"]["value"] == GTIN


def test_dl_build(runner: CliRunner) -> None:
    result = runner.invoke(
        main,
        [
            "dl",
            "build",
            "--domain",
            "https://shop.example.com/trace",
            "--gtin",
            GTIN,
            "--lot",
            "L/1",
            "--serial",
            "ABC",
            "--attr",
            "17=271231",
        ],
    )
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == (
        f"https://shop.example.com/trace/01/{GTIN}/10/L%2F1/21/ABC?17=271231"
    )


@pytest.mark.parametrize(
    ("args", "reason"),
    [
        (["--gtin", "123"], "AI (01)"),
        (["--gtin", GTIN, "--attr", "17"], "expected AI=VALUE"),
        (["--gtin", GTIN, "--attr", "21=X"], "not permitted"),
    ],
)
def test_dl_build_bad_input(runner: CliRunner, args: list[str], reason: str) -> None:
    result = runner.invoke(main, ["dl", "build", "--domain", "shop.example.com", *args])
    assert result.exit_code == 2
    assert reason in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_qr_writes_svg_and_png(runner: CliRunner, tmp_path: Path) -> None:
    svg = tmp_path / "code.svg"
    result = runner.invoke(main, ["qr", UNIT, "-o", str(svg)])
    assert result.exit_code == 0, result.output
    assert svg.read_text().lstrip().startswith("<") and "<path" in svg.read_text()
    png = tmp_path / "code.png"
    assert runner.invoke(main, ["qr", UNIT, "-o", str(png), "--ec", "H"]).exit_code == 0
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_qr_refuses_bad_suffix_and_bad_uri(runner: CliRunner, tmp_path: Path) -> None:
    bad_suffix = runner.invoke(main, ["qr", UNIT, "-o", str(tmp_path / "x.gif")])
    assert bad_suffix.exit_code == 2 and "error:" in bad_suffix.stderr
    assert not (tmp_path / "x.gif").exists()
    bad_uri = runner.invoke(main, ["qr", "https://a/01/1", "-o", str(tmp_path / "x.svg")])
    assert bad_uri.exit_code == 2 and "AI (01)" in bad_uri.stderr


def test_labels_writes_a_pdf_of_verifiable_codes(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pypdf import PdfReader

    key = "k" * 32
    monkeypatch.setenv("SHOP_KEY", key)
    out = tmp_path / "labels.pdf"
    result = runner.invoke(
        main,
        [
            "labels",
            "--domain",
            "https://shop.example.com/trace",
            "--gtin",
            GTIN,
            "--lot",
            "L1",
            "--expiry",
            "271231",
            "--count",
            "30",
            "-o",
            str(out),
            "--key-env",
            "SHOP_KEY",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "30 labels written" in result.stdout
    reader = PdfReader(out)
    assert len(reader.pages) == 2  # 24 labels a page on the default A4 3x8 sheet
    text = "".join(page.extract_text() for page in reader.pages)
    found = [line.split()[-1] for line in text.splitlines() if line.startswith("(21)")]
    assert len(found) == 30 and len(set(found)) == 30
    assert all(serials.verify(s, gtin=GTIN, lot="L1", key=key.encode()) for s in found)


@pytest.mark.parametrize(
    ("args", "reason"),
    [
        (["--count", "0"], "count"),
        (["--count", "5", "--layout", "nope"], "nope"),
        (["--count", "5", "--expiry", "271340"], "(17)"),
        (["--count", "5", "--key-env", "SHOPTRACE_NO_SUCH_VAR"], "SHOPTRACE_NO_SUCH_VAR"),
    ],
)
def test_labels_bad_input(runner: CliRunner, tmp_path: Path, args: list[str], reason: str) -> None:
    out = tmp_path / "l.pdf"
    result = runner.invoke(
        main, ["labels", "--domain", "shop.example.com", "--gtin", GTIN, "-o", str(out), *args]
    )
    assert result.exit_code == 2
    assert reason in result.stderr
    assert not out.exists()


def test_console_script_is_installed() -> None:
    exe = Path(sys.executable).with_name("shoptrace")
    done = subprocess.run(
        [str(exe), "dl", "build", "--domain", "a.example", "--gtin", GTIN],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert digital_link.parse(done.stdout.strip()).gtin == GTIN


def _default_option_parse_cases() -> list[object]:
    from tests._conformance import conformance_cases

    return conformance_cases(
        "digital-link/gs1_syntax_engine_dl_parse.json",
        where=lambda c: not c["parser_options"],
    )


@pytest.mark.conformance
@pytest.mark.parametrize("case", _default_option_parse_cases())
def test_dl_parse_command_agrees_with_the_gs1_engine(runner: CliRunner, case: dict) -> None:
    result = runner.invoke(main, ["dl", "parse", case["uri"]])
    if not case["valid"]:
        assert result.exit_code == 2
        assert result.stderr.startswith("error: ") and len(result.stderr.splitlines()) == 1
        return
    assert result.exit_code == 0, result.stderr
    out = json.loads(result.stdout)
    assert out["ais"] == case["expected_ais"]
    assert out["elementString"] == case["expected_element_string"]


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["dl", "parse"], "shoptrace dl parse: Missing argument 'URI' (see shoptrace dl parse"),
        (["dl", "parse", "--bogus", "x"], "No such option '--bogus'"),
        (["nosuch"], "shoptrace: No such command 'nosuch'"),
        (["dl", "build", "--gtin"], "Option '--gtin' requires an argument"),
    ],
)
def test_a_usage_error_is_one_line_and_status_2(
    runner: CliRunner, args: list[str], says: str
) -> None:
    result = runner.invoke(main, args, prog_name="shoptrace")
    assert result.exit_code == 2
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and says in lines[0], lines


def test_help_and_version_still_exit_0(runner: CliRunner) -> None:
    assert runner.invoke(main, ["--help"]).exit_code == 0
    assert (
        "Usage: shoptrace dl" in runner.invoke(main, ["dl", "--help"], prog_name="shoptrace").stdout
    )
    version = runner.invoke(main, ["--version"])
    assert version.exit_code == 0 and "shoptrace, version" in version.stdout
