"""The distribution maps the three folders onto one ``shoptrace`` namespace."""

from __future__ import annotations

import importlib
import tomllib

from tests._conformance import ROOT

PARTS = {
    "sdk": "shoptrace.sdk",
    "shop_plugin": "shoptrace.shop_plugin",
    "widgets": "shoptrace.widgets",
}


def _project() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def test_every_package_folder_is_listed_in_pyproject() -> None:
    listed = set(_project()["tool"]["setuptools"]["packages"])
    on_disk = set()
    for folder, name in PARTS.items():
        for init in (ROOT / folder).rglob("__init__.py"):
            rel = init.parent.relative_to(ROOT / folder)
            on_disk.add(".".join([name, *rel.parts]))
    assert on_disk == listed


def test_package_dir_mapping_and_imports() -> None:
    mapping = _project()["tool"]["setuptools"]["package-dir"]
    assert mapping == {name: folder for folder, name in PARTS.items()}
    for name in PARTS.values():
        module = importlib.import_module(name)
        assert module.__file__ is not None
        assert module.__file__.startswith(str(ROOT))


def test_sdk_is_typed() -> None:
    assert (ROOT / "sdk" / "py.typed").exists()
    assert "py.typed" in _project()["tool"]["setuptools"]["package-data"]["shoptrace.sdk"]
