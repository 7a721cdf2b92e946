"""Make the virtualenv the bovine-herd peer runs in, from requirements.txt.

bovine-herd's dependencies (Quart, tortoise-orm, aiohttp, pinned versions of shared ones) stay
out of Colloquy's own environment. Usage: python install.py TARGET_FOLDER
"""

import subprocess
import sys
import venv
from pathlib import Path

REQUIREMENTS = Path(__file__).resolve().parent / "requirements.txt"
STAMP = ".installed-requirements.txt"


def installed(target: Path) -> bool:
    """Whether `target` holds a virtualenv made from the current requirements."""
    stamp = target / STAMP
    return stamp.exists() and stamp.read_text() == REQUIREMENTS.read_text()


def install(target: Path) -> None:
    venv.create(target, with_pip=True, clear=True)
    python = target / "bin" / "python"
    pip = [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    result = subprocess.run(
        [*pip, "-r", str(REQUIREMENTS)], capture_output=True, text=True, timeout=900
    )
    if result.returncode != 0:
        sys.exit(f"pip could not install the bovine-herd peer:\n{result.stdout}{result.stderr}")
    (target / STAMP).write_text(REQUIREMENTS.read_text())


if __name__ == "__main__":
    folder = Path(sys.argv[1])
    if not installed(folder):
        install(folder)
