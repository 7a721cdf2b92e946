"""The deployment guide keeps up with the code: every setting and command is documented."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from markupsafe import escape

from blog.config import DEFAULTS
from blog.formats.base import SOURCE_NAMES
from blog.formats.export_guide import EXPORT_GUIDE

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


# Where to get each export: the import page and the README name every source the same way.

README = Path(__file__).resolve().parents[1] / "README.md"


def readme_export_section() -> str:
    text = README.read_text(encoding="utf-8")
    start = text.index("## Where to get your export")
    return text[start : text.index("\n## ", start + 1)]


def test_the_export_guide_has_one_entry_per_source():
    kinds = [source.kind for source in EXPORT_GUIDE]
    assert sorted(kinds) == sorted(SOURCE_NAMES)


@pytest.mark.parametrize("kind", sorted(SOURCE_NAMES))
def test_the_readme_says_where_to_get_every_source(kind):
    (source,) = [s for s in EXPORT_GUIDE if s.kind == kind]
    section = readme_export_section()
    assert f"- **{source.name}**: " in section
    # The paths and file names the page shows are the README's too.
    for text, code in source.parts():
        if code:
            assert f"`{text}`" in section, f"{text} is missing from the README's {source.name}"


def test_the_import_page_lists_every_source_without_a_table(author):
    page = author.get("/studio/import/").get_data(as_text=True)
    assert "<table" not in page
    for source in EXPORT_GUIDE:
        assert f"<dt>{escape(source.name)}</dt>" in page
    assert "<code>~/.codex/sessions/YYYY/MM/DD/</code>" in page
    assert "<code>~/.claude/projects/&lt;project&gt;/</code>" in page
    assert "Mistral Le Chat" in page
    # Listed once, in the page's body: the title is the page's name alone.
    assert page.count('id="sources-title"') == 1
    assert "<title>Import · " in page
