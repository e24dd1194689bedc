"""``shoptrace epcis validate|hash`` through click's CliRunner."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from shoptrace.sdk.epcis.cli import epcis
from tests.sdk.epcis.conftest import FIXTURES, RULES, official_examples

HASH_ID = re.compile(r"ni:///sha-256;[0-9a-f]{64}\?ver=CBV2\.0")
SHOP = FIXTURES / "shop_document.jsonld"
BROKEN = FIXTURES / "broken_document.jsonld"


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def test_validate_valid_document(runner: CliRunner) -> None:
    result = runner.invoke(epcis, ["validate", str(SHOP)])
    assert result.exit_code == 0
    assert result.stdout == f"{SHOP}: valid EPCISDocument\n"
    assert result.stderr == ""


def test_validate_lists_every_problem_and_exits_2(runner: CliRunner) -> None:
    result = runner.invoke(epcis, ["validate", str(BROKEN)])
    assert result.exit_code == 2
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert [line.split(": ", 1)[0] for line in lines] == [
        "/epcisBody/eventList/1/eventTime",
        "/epcisBody/eventList/1/action",
        "/epcisBody/eventList/1/bizStep",
        "/epcisBody/eventList/2/childEPCs/0",
        "/epcisBody/eventList/2/shop:carrier",
        "/epcisBody/eventList/2/parentID",
    ]
    assert "action must be one of ADD, OBSERVE, DELETE, got 'SHIP'" in lines[1]


def test_validate_a_single_event(runner: CliRunner, tmp_path: Path) -> None:
    path = tmp_path / "event.json"
    path.write_text(json.dumps(RULES["bases"]["ObjectEvent"]))
    result = runner.invoke(epcis, ["validate", str(path)])
    assert result.exit_code == 2
    assert result.stderr.startswith("/@context: an event outside a document requires @context")
    path.write_text(json.dumps({"@context": RULES["context"], **RULES["bases"]["ObjectEvent"]}))
    result = runner.invoke(epcis, ["validate", str(path)])
    assert result.exit_code == 0
    assert result.stdout == f"{path}: valid event\n"


def test_validate_root_problem_is_shown_as_root(runner: CliRunner, tmp_path: Path) -> None:
    path = tmp_path / "list.json"
    path.write_text("[1, 2]")
    result = runner.invoke(epcis, ["validate", str(path)])
    assert result.exit_code == 2
    assert result.stderr == "(root): an event must be a JSON object, got [1, 2]\n"


def test_validate_reads_stdin(runner: CliRunner) -> None:
    result = runner.invoke(epcis, ["validate", "-"], input=SHOP.read_bytes())
    assert result.exit_code == 0
    assert result.stdout == "-: valid EPCISDocument\n"


@pytest.mark.parametrize("command", ["validate", "hash"])
def test_missing_file_is_one_line_and_exit_2(
    runner: CliRunner, tmp_path: Path, command: str
) -> None:
    missing = tmp_path / "nope.jsonld"
    result = runner.invoke(epcis, [command, str(missing)])
    assert result.exit_code == 2
    assert result.stderr == f"error: {missing}: cannot read: No such file or directory\n"


@pytest.mark.parametrize("command", ["validate", "hash"])
def test_bad_json_is_one_line_and_exit_2(runner: CliRunner, tmp_path: Path, command: str) -> None:
    path = tmp_path / "bad.jsonld"
    path.write_text('{"type": "EPCISDocument",\n  "epcisBody": [}')
    result = runner.invoke(epcis, [command, str(path)])
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1
    assert result.stderr.startswith(f"error: {path}: not valid JSON: ")
    assert "line 2" in result.stderr


def test_hash_prints_one_id_per_event_in_order(runner: CliRunner) -> None:
    from shoptrace.sdk.epcis.hashing import event_hash

    doc: dict[str, Any] = json.loads(SHOP.read_text(encoding="utf-8"))
    result = runner.invoke(epcis, ["hash", str(SHOP)])
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    events = doc["epcisBody"]["eventList"]
    assert len(lines) == len(events)
    assert all(HASH_ID.fullmatch(line) for line in lines)
    assert lines == [event_hash(e, doc["@context"]) for e in events]
    assert len(set(lines)) == len(lines)


def test_hash_refuses_what_is_not_a_document(runner: CliRunner, tmp_path: Path) -> None:
    path = tmp_path / "event.json"
    path.write_text(json.dumps(RULES["bases"]["ObjectEvent"]))
    result = runner.invoke(epcis, ["hash", str(path)])
    assert result.exit_code == 2
    assert result.stderr == f"error: {path}: not an EPCISDocument or EPCISQueryDocument\n"


def test_hash_reports_hashing_errors_on_one_line(runner: CliRunner, tmp_path: Path) -> None:
    path = tmp_path / "doc.json"
    path.write_text(json.dumps({"type": "EPCISDocument", "epcisBody": {"eventList": "none"}}))
    result = runner.invoke(epcis, ["hash", str(path)])
    assert result.exit_code == 2
    assert result.stderr.startswith(f"error: {path}: ")
    assert result.stderr.count("\n") == 1


def test_group_help_lists_both_commands(runner: CliRunner) -> None:
    result = runner.invoke(epcis, ["--help"])
    assert result.exit_code == 0
    assert "validate" in result.stdout
    assert "hash" in result.stdout


@pytest.mark.conformance
@pytest.mark.parametrize("path", official_examples())
def test_every_official_example_validates_and_hashes(runner: CliRunner, path: Path) -> None:
    checked = runner.invoke(epcis, ["validate", str(path)])
    assert checked.exit_code == 0, checked.output
    hashed = runner.invoke(epcis, ["hash", str(path)])
    assert hashed.exit_code == 0, hashed.output
    ids = hashed.stdout.split()
    doc = json.loads(path.read_text(encoding="utf-8"))
    body = doc["epcisBody"]
    events = body.get("eventList") or body.get("queryResults", {}).get("resultsBody", {}).get(
        "eventList", []
    )
    assert len(ids) == len(events) >= 1
    assert all(HASH_ID.fullmatch(i) for i in ids)
