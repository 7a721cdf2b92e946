"""Site settings the author changes in the browser (the disclosure wording among them)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from flask import current_app, g
from werkzeug.http import http_date

from . import changes
from .disclosure import DEFAULT_WORDING, SiteDisclosure, WordingError, check_wording, for_site
from .extensions import db
from .licenses import LICENSES, License, license_for
from .models import Setting

EDITABLE_KEYS = (
    "site_title",
    "site_description",
    "author_name",
    "default_license",
    "disclosure",
    "about",
    "fediverse_object",
)
MAX_ABOUT_CHARS = 50_000
# How followers' servers receive a post: the whole text as an Article (Mastodon shows its title,
# summary and link), or a Note teaser, which Mastodon shows in full.
FEDIVERSE_OBJECTS = {
    "article": "Article: the title, a summary and the whole conversation",
    "note": "Note: a teaser (title, summary, disclosure, license and a link to the post)",
}


@dataclass(frozen=True)
class SiteSettings:
    site_title: str
    site_description: str
    author_name: str
    default_license: str
    disclosure: str
    about: str = ""
    about_html: str = ""
    fediverse_object: str = "article"

    @property
    def license(self) -> License:
        return license_for(self.default_license)

    @property
    def site_disclosure(self) -> SiteDisclosure:
        return for_site(self.author_name)


class SettingsError(ValueError):
    """A setting the author entered cannot be used."""


def load_settings() -> SiteSettings:
    """Stored settings over the configured defaults (read once per request)."""
    if "site_settings" in g:
        return g.site_settings
    config = current_app.config
    stored = {row.key: row.value for row in db.session.scalars(db.select(Setting))}
    settings = SiteSettings(
        site_title=stored.get("site_title") or config["SITE_TITLE"],
        site_description=stored.get("site_description") or config["SITE_DESCRIPTION"],
        author_name=stored.get("author_name") or config["SITE_AUTHOR"],
        default_license=stored.get("default_license") or config["DEFAULT_LICENSE"],
        disclosure=stored.get("disclosure") or DEFAULT_WORDING,
        about=stored.get("about", ""),
        about_html=stored.get("about_html", ""),
        fediverse_object=stored.get("fediverse_object") or "article",
    )
    g.site_settings = settings
    return settings


def load_about_html() -> str:
    """The About page as stored when the author saved it (sanitised HTML)."""
    return load_settings().about_html


def save_settings(values: dict[str, str], render: Callable[[str], str] | None = None) -> None:
    """Validate and store the editable settings; an empty disclosure restores the default.

    `render` turns the About page's Markdown into sanitised HTML (the posts package's renderer).
    """
    cleaned = {key: (values.get(key) or "").strip() for key in EDITABLE_KEYS if key in values}
    if "default_license" in cleaned and cleaned["default_license"] not in LICENSES:
        raise SettingsError("Choose a license from the list.")
    if "fediverse_object" in cleaned and cleaned["fediverse_object"] not in FEDIVERSE_OBJECTS:
        raise SettingsError("Choose how posts are sent to the fediverse from the list.")
    if "disclosure" in cleaned and cleaned["disclosure"]:
        try:
            check_wording(cleaned["disclosure"])
        except WordingError as exc:
            raise SettingsError(str(exc)) from exc
    if "about" in cleaned:
        if len(cleaned["about"]) > MAX_ABOUT_CHARS:
            raise SettingsError(f"The About page is limited to {MAX_ABOUT_CHARS:,} characters.")
        # Rendered and sanitised once, here, like a turn: the About page only prints it.
        if render is None:
            raise SettingsError("The About page cannot be saved without its renderer.")
        cleaned["about_html"] = render(cleaned["about"]) if cleaned["about"] else ""
    for key, value in cleaned.items():
        row = db.session.get(Setting, key)
        if row is None:
            db.session.add(Setting(key=key, value=value))
        else:
            row.value = value
    bump_generation()
    changes.site_changed()
    db.session.commit()
    g.pop("site_settings", None)


def adopt_author_name(name: str) -> None:
    """The name given when the first account is made becomes the site's author name, unless
    one is already set: bylines, footer, disclosure and feeds all print this one value."""
    if current_app.config["SITE_AUTHOR"] or not name.strip():
        return
    row = db.session.get(Setting, "author_name")
    if row is None:
        db.session.add(Setting(key="author_name", value=name.strip()))
    elif not row.value.strip():
        row.value = name.strip()
    g.pop("site_settings", None)


def bump_generation() -> None:
    """Invalidate every cached public page, in every worker (commit follows)."""
    row = db.session.get(Setting, "generation", with_for_update=True)
    if row is None:
        db.session.add(Setting(key="generation", value="1"))
    else:
        row.value = str(int(row.value) + 1)
    # The time of the last public change: the Last-Modified of every cached page.
    changed = db.session.get(Setting, "changed_at")
    stamp = http_date(datetime.now(UTC))
    if changed is None:
        db.session.add(Setting(key="changed_at", value=stamp))
    else:
        changed.value = stamp
