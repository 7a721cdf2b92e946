"""The deployment guide keeps up with the code: every setting and command is documented."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from blog.config import DEFAULTS

GUIDE = Path(__file__).resolve().parents[1] / "docs" / "deployment.md"
BLOG = Path(__file__).resolve().parents[1] / "blog"
EXTRA_SETTINGS = ("SECRET_KEY", "SQLALCHEMY_DATABASE_URI")


def guide() -> str:
    return GUIDE.read_text(encoding="utf-8")


def settings_read_by_the_code() -> set[str]:
    """Upper-case keys the app reads from its configuration with config.get(...)."""
    pattern = re.compile(r"config\.get\(\s*\"([A-Z][A-Z0-9_]+)\"")
    return {key for path in BLOG.rglob("*.py") for key in pattern.findall(path.read_text())}


@pytest.mark.parametrize("name", [*DEFAULTS, *EXTRA_SETTINGS])
def test_every_setting_is_documented_with_its_environment_variable(name):
    text = guide()
    assert f"`{name}`" in text, f"{name} is missing from docs/deployment.md"
    assert f"`FLASK_{name}`" in text, f"FLASK_{name} is missing from docs/deployment.md"


def test_settings_the_code_reads_without_a_default_are_documented_too():
    text = guide()
    missing = sorted(k for k in settings_read_by_the_code() if f"`FLASK_{k}`" not in text)
    assert missing == []


def test_database_url_is_documented():
    assert "`DATABASE_URL`" in guide()


def test_every_cli_command_is_documented(app):
    text = guide()
    commands = set(app.cli.commands)
    assert {"backup", "db", "import", "setup-token"} <= commands
    for name in sorted(commands):
        assert f"flask --app app {name}" in text, f"`{name}` is missing from docs/deployment.md"
