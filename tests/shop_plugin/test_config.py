"""Settings, the extension in a host shop, and the standalone app factory."""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from shoptrace.shop_plugin import OPTIONS, ConfigError, Settings, ShopTrace, create_app
from shoptrace.shop_plugin.services.signing import KEY_FILE, resolve_signing_key
from tests.shop_plugin.helpers import API, SIGNING_KEY, Api, add_merchant

README = Path(__file__).resolve().parents[2] / "shop_plugin" / "README.md"


def _settings(**config: Any) -> Settings:
    return Settings.from_mapping(config, instance_path="/srv/instance")


def test_defaults() -> None:
    settings = _settings()
    assert settings.url_prefix == "/trace"
    assert settings.embedded and settings.auto_migrate
    assert settings.database_url == "sqlite:////srv/instance/shoptrace.db"
    assert settings.default_language == "zh-CN"
    assert settings.rate_limit == "600 per minute"
    assert settings.job_runner == "thread"


def test_every_option_is_documented_in_the_readme_table() -> None:
    text = README.read_text(encoding="utf-8")
    rows = [line for line in text.splitlines() if line.startswith("| `SHOPTRACE_")]
    expected = [
        f"| `{o.key}` | {'unset' if o.default is None else f'`{o.default}`'} | {o.doc} |"
        for o in OPTIONS
    ]
    assert rows == expected


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("SHOPTRACE_URL_PREFIX", "trace", "SHOPTRACE_URL_PREFIX"),
        ("SHOPTRACE_URL_PREFIX", "/trace/", "SHOPTRACE_URL_PREFIX"),
        ("SHOPTRACE_PUBLIC_BASE_URL", "ftp://shop.example.com", "SHOPTRACE_PUBLIC_BASE_URL"),
        (
            "SHOPTRACE_PUBLIC_BASE_URL",
            "https://shop.example.com/t?x=1",
            "SHOPTRACE_PUBLIC_BASE_URL",
        ),
        ("SHOPTRACE_DATABASE_URL", "mysql://u@h/db", "SHOPTRACE_DATABASE_URL"),
        ("SHOPTRACE_DATABASE_URL", "postgresql+psycopg2://u@h/db", "psycopg 3"),
        ("SHOPTRACE_DATABASE_URL", "sqlite://", "SHOPTRACE_DATABASE_URL"),
        ("SHOPTRACE_DATABASE_URL", "not a url", "SHOPTRACE_DATABASE_URL"),
        ("SHOPTRACE_SIGNING_KEY", "short", "SHOPTRACE_SIGNING_KEY"),
        ("SHOPTRACE_DEFAULT_LANGUAGE", "fr", "SHOPTRACE_DEFAULT_LANGUAGE"),
        ("SHOPTRACE_RATE_LIMIT", "lots", "SHOPTRACE_RATE_LIMIT"),
        ("SHOPTRACE_MAX_BODY_BYTES", "1kb", "SHOPTRACE_MAX_BODY_BYTES"),
        ("SHOPTRACE_MAX_BODY_BYTES", True, "SHOPTRACE_MAX_BODY_BYTES"),
        ("SHOPTRACE_PAGE_SIZE", 600, "SHOPTRACE_PAGE_SIZE"),
        ("SHOPTRACE_SYNC_CODE_LIMIT", 2_000_000, "SHOPTRACE_SYNC_CODE_LIMIT"),
        ("SHOPTRACE_JOB_RUNNER", "celery", "SHOPTRACE_JOB_RUNNER"),
        ("SHOPTRACE_AUTO_MIGRATE", "maybe", "SHOPTRACE_AUTO_MIGRATE"),
        ("SHOPTRACE_NO_SUCH_KEY", "1", "SHOPTRACE_NO_SUCH_KEY"),
    ],
)
def test_bad_settings_stop_start_up_naming_the_key(key: str, value: Any, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        _settings(**{key: value})


def test_a_server_database_needs_a_signing_key() -> None:
    with pytest.raises(ConfigError, match="SHOPTRACE_SIGNING_KEY"):
        _settings(SHOPTRACE_DATABASE_URL="postgresql+psycopg://u@h/db")
    ok = _settings(
        SHOPTRACE_DATABASE_URL="postgresql+psycopg://u@h/db", SHOPTRACE_SIGNING_KEY=SIGNING_KEY
    )
    assert not ok.embedded and not ok.auto_migrate


def test_values_from_the_environment_are_parsed() -> None:
    settings = _settings(SHOPTRACE_PAGE_SIZE="20", SHOPTRACE_AUTO_MIGRATE="false")
    assert settings.page_size == 20 and settings.auto_migrate is False


def test_sqlite_signing_key_is_generated_once_and_private(tmp_path: Path) -> None:
    settings = Settings.from_mapping({}, instance_path=tmp_path)
    first = resolve_signing_key(settings)
    assert len(first) >= 32
    assert resolve_signing_key(settings) == first
    mode = stat.S_IMODE(os.stat(tmp_path / KEY_FILE).st_mode)
    assert mode == 0o600
    assert [p.name for p in tmp_path.iterdir()] == [KEY_FILE]


def test_embedded_default_migrates_on_first_start(tmp_path: Path) -> None:
    app = create_app(instance_path=tmp_path / "inst", SHOPTRACE_RATE_LIMIT="")
    try:
        assert (tmp_path / "inst" / "shoptrace.db").exists()
        assert (tmp_path / "inst" / KEY_FILE).exists()
        merchant_id, key = add_merchant(app, "Embedded")
        response = Api(app.test_client(), key, merchant_id).get("/products")
        assert response.status_code == 200 and response.get_json()["products"] == []
        with app.extensions["shoptrace"].store.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    finally:
        app.extensions["shoptrace"].close()


def test_close_stops_the_runner_threads_and_the_app_serves_no_more(tmp_path: Path) -> None:
    app = create_app(instance_path=tmp_path / "inst", SHOPTRACE_RATE_LIMIT="")
    shop = app.extensions["shoptrace"]
    try:
        assert app.test_client().get(f"{API}/openapi.json").status_code == 200
        assert shop.outbox_runner.running and shop.sync_runner.running  # the request started them
    finally:
        shop.close()
    assert not shop.outbox_runner.running and not shop.sync_runner.running
    assert shop.outbox_runner.stopping and shop.sync_runner.stopping


def test_create_app_reads_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SHOPTRACE_URL_PREFIX", "/provenance")
    monkeypatch.setenv("SHOPTRACE_INSTANCE_PATH", str(tmp_path / "from-env"))
    app = create_app(SHOPTRACE_RATE_LIMIT="")
    try:
        assert app.instance_path == str(tmp_path / "from-env")
        assert app.test_client().get("/provenance/api/v1/openapi.json").status_code == 200
        assert app.test_client().get(f"{API}/openapi.json").status_code == 404
    finally:
        app.extensions["shoptrace"].close()


def _host(tmp_path: Path) -> Flask:
    host = Flask(__name__, instance_path=str(tmp_path / "host-instance"))

    @host.get("/")
    def home() -> str:
        return "shop home"

    @host.errorhandler(404)
    def missing(_: Exception) -> tuple[str, int]:
        return "shop 404 page", 404

    return host


def test_the_extension_mounts_under_a_prefix_in_a_host_shop(db_url: str, tmp_path: Path) -> None:
    host = _host(tmp_path)
    host.config.update(SHOPTRACE_DATABASE_URL=db_url, SHOPTRACE_SIGNING_KEY=SIGNING_KEY)
    shoptrace = ShopTrace(url_prefix="/t", rate_limit="")
    shoptrace.init_app(host)
    try:
        client = host.test_client()
        assert client.get("/").get_data(as_text=True) == "shop home"
        shop_missing = client.get("/no-such-page")
        assert shop_missing.status_code == 404
        assert shop_missing.get_data(as_text=True) == "shop 404 page"
        api_missing = client.get("/t/api/v1/no-such-thing")
        assert api_missing.status_code == 404
        assert api_missing.mimetype == "application/problem+json"
        assert client.get("/t/api/v1/openapi.json").get_json()["servers"] == [{"url": "/t/api/v1"}]
        rules = [r.rule for r in host.url_map.iter_rules() if r.endpoint.startswith("shoptrace")]
        assert rules and all(rule.startswith("/t/") for rule in rules)
        assert "shoptrace" in host.cli.commands
        with pytest.raises(RuntimeError, match="already registered"):
            shoptrace.init_app(host)
    finally:
        host.extensions["shoptrace"].close()


def test_host_config_wins_over_extension_options(db_url: str, tmp_path: Path) -> None:
    host = _host(tmp_path)
    host.config.update(
        SHOPTRACE_DATABASE_URL=db_url,
        SHOPTRACE_SIGNING_KEY=SIGNING_KEY,
        SHOPTRACE_URL_PREFIX="/from-config",
    )
    ShopTrace(host, url_prefix="/from-option")
    try:
        assert host.extensions["shoptrace"].settings.url_prefix == "/from-config"
    finally:
        host.extensions["shoptrace"].close()


def test_unknown_extension_options_are_refused() -> None:
    with pytest.raises(TypeError, match="colour"):
        ShopTrace(colour="red")


def test_an_app_with_bad_settings_does_not_start(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="SHOPTRACE_URL_PREFIX"):
        create_app(instance_path=tmp_path, SHOPTRACE_URL_PREFIX="nope")
