"""The commands: ``shoptrace db|merchants|jobs|serve`` and ``flask shoptrace ...``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from flask import Flask

from shoptrace.sdk.cli import main
from shoptrace.shop_plugin import cli
from shoptrace.shop_plugin.store import head_revision
from tests.shop_plugin.helpers import SIGNING_KEY, Api


def _shoptrace(*args: str, env: dict[str, str] | None = None) -> Any:
    result = CliRunner().invoke(
        main, list(args), env={"SHOPTRACE_SIGNING_KEY": SIGNING_KEY, **(env or {})}
    )
    return result


def test_plugin_commands_are_entry_points_of_the_console_command() -> None:
    result = _shoptrace("--help")
    assert result.exit_code == 0
    for name in ("serve", "db", "merchants", "jobs"):
        assert f"  {name}" in result.output


def test_db_upgrade_then_merchant_create_prints_a_working_key_last(
    empty_db_url: str, tmp_path: Path
) -> None:
    current = _shoptrace("db", "current", "--db", empty_db_url)
    assert current.exit_code == 0 and "current: empty" in current.output
    refused = _shoptrace("merchants", "create", "Acme", "--db", empty_db_url)
    assert refused.exit_code == 2
    assert "shoptrace db upgrade" in refused.stderr
    upgraded = _shoptrace("db", "upgrade", "--db", empty_db_url)
    assert upgraded.exit_code == 0, upgraded.output
    assert f"database at {head_revision()} (was empty)" in upgraded.output
    created = _shoptrace("merchants", "create", "Acme Orchards 烟台", "--db", empty_db_url)
    assert created.exit_code == 0, created.output
    lines = created.stdout.strip().splitlines()
    key = lines[-1]
    assert key.startswith("st_") and len(key) > 40
    assert "merchant 1 'Acme Orchards 烟台' created" in lines[0]

    from tests.shop_plugin.helpers import make_app

    app = make_app(empty_db_url, tmp_path / "instance")
    try:
        answer = Api(app.test_client(), key, 1).get("/products")
        assert answer.status_code == 200
    finally:
        app.extensions["shoptrace"].store.dispose()

    listed = _shoptrace("merchants", "keys", "list", "1", "--db", empty_db_url)
    assert listed.exit_code == 0
    assert key[:11] in listed.output and key[12:] not in listed.output
    assert "active" in listed.output


def test_key_rotate_and_revoke(db_url: str) -> None:
    created = _shoptrace("merchants", "create", "Acme", "--db", db_url)
    old = created.stdout.strip().splitlines()[-1]
    rotated = _shoptrace("merchants", "keys", "rotate", old[:11], "--grace", "60", "--db", db_url)
    assert rotated.exit_code == 0, rotated.output
    new = rotated.stdout.strip().splitlines()[-1]
    assert new.startswith("st_") and new != old
    assert "ends in 60 s" in rotated.output
    revoked = _shoptrace("merchants", "keys", "revoke", new[:11], "--db", db_url)
    assert revoked.exit_code == 0
    assert f"key {new[:11]} revoked" in revoked.output
    missing = _shoptrace("merchants", "keys", "revoke", "st_nothing", "--db", db_url)
    assert missing.exit_code == 2
    assert "no API key with prefix" in missing.stderr
    merchants = _shoptrace("merchants", "list", "--db", db_url)
    assert "\tactive\t" in merchants.output and "Acme" in merchants.output


@pytest.mark.parametrize("name", ["", "x" * 201])
def test_bad_merchant_names_exit_2(db_url: str, name: str) -> None:
    result = _shoptrace("merchants", "create", name, "--db", db_url)
    assert result.exit_code == 2
    assert result.stderr.startswith("error: ")


def test_a_bad_database_url_exits_2() -> None:
    result = _shoptrace("db", "current", "--db", "mysql://u@h/x")
    assert result.exit_code == 2
    assert "SHOPTRACE_DATABASE_URL" in result.stderr


def test_jobs_run_once_finishes_pending_issuances(app: Flask, api: Api, db_url: str) -> None:
    batch = api.batch(api.product()["id"])
    job = api.post(f"/batches/{batch['id']}/codes", {"count": 1500})
    assert job.status_code == 202
    result = _shoptrace("jobs", "run", "--once", "--db", db_url)
    assert result.exit_code == 0, result.output
    assert "1 job(s) finished" in result.output
    assert api.get(job.headers["Location"]).get_json()["status"] == "done"


def test_flask_shoptrace_commands_use_the_host_app(app: Flask, runner: Any) -> None:
    current = runner.invoke(args=["shoptrace", "db", "current"])
    assert current.exit_code == 0, current.output
    assert f"current: {head_revision()}" in current.output
    created = runner.invoke(args=["shoptrace", "merchants", "create", "Host Shop"])
    assert created.exit_code == 0, created.output
    key = created.output.strip().splitlines()[-1]
    assert Api(app.test_client(), key, 1).get("/products").status_code == 200


def test_serve_runs_the_app_with_host_and_port(
    monkeypatch: pytest.MonkeyPatch, db_url: str, tmp_path: Path
) -> None:
    seen: dict[str, Any] = {}

    def fake_run(host: str, port: int, app: Flask, **kwargs: Any) -> None:
        seen.update(app=app, host=host, port=port)
        app.extensions["shoptrace"].store.dispose()

    monkeypatch.setattr(cli, "run_simple", fake_run)
    monkeypatch.setenv("SHOPTRACE_INSTANCE_PATH", str(tmp_path))
    result = _shoptrace("serve", "--host", "0.0.0.0", "--port", "8123", "--db", db_url)
    assert result.exit_code == 0, result.output
    assert (seen["host"], seen["port"]) == ("0.0.0.0", 8123)
    assert seen["app"].extensions["shoptrace"].settings.database_url == db_url
    assert "/trace/api/v1" in result.stderr


def test_flask_shoptrace_serve_serves_the_host_app(
    app: Flask, runner: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: dict[str, Any] = {}
    monkeypatch.setattr(cli, "run_simple", lambda host, port, served, **kw: seen.update(app=served))
    result = runner.invoke(args=["shoptrace", "serve", "--port", "8124"])
    assert result.exit_code == 0, result.output
    assert seen["app"] is app
