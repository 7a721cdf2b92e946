"""The licenses an author can choose for a post; pure data."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class License:
    code: str
    name: str
    url: str


LICENSES: dict[str, License] = {
    lic.code: lic
    for lic in (
        License("cc-by-4.0", "CC BY 4.0", "https://creativecommons.org/licenses/by/4.0/"),
        License("cc-by-sa-4.0", "CC BY-SA 4.0", "https://creativecommons.org/licenses/by-sa/4.0/"),
        License(
            "cc-by-nc-sa-4.0",
            "CC BY-NC-SA 4.0",
            "https://creativecommons.org/licenses/by-nc-sa/4.0/",
        ),
        License("cc0-1.0", "CC0 1.0", "https://creativecommons.org/publicdomain/zero/1.0/"),
        License("all-rights-reserved", "All rights reserved", ""),
    )
}
DEFAULT_LICENSE = "cc-by-nc-sa-4.0"


def license_for(code: str | None) -> License:
    """The license with this code, or the default when unknown or empty."""
    return LICENSES.get(code or "", LICENSES[DEFAULT_LICENSE])
