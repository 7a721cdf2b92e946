"""The project's dependencies, read from pyproject.toml, for `pip install -r`; and the import path.

    python scripts/dependencies.py dev postgres   # print the requirements with these extras
    python scripts/dependencies.py --link          # put the project root on this Python's path

`make install` installs the dependencies only, not the project: the app runs from the project
root, so there is nothing to build (and setuptools has nothing to warn about). The `.pth` file
lets `import blog` work from any folder, as an editable install would.
"""

from __future__ import annotations

import argparse
import sysconfig
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def requirements(extras: list[str]) -> list[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    optional = project.get("optional-dependencies", {})
    unknown = sorted(set(extras) - set(optional))
    if unknown:
        raise SystemExit(f"No such extra in pyproject.toml: {', '.join(unknown)}")
    listed = list(project["dependencies"])
    for extra in extras:
        listed += [r for r in optional[extra] if r not in listed]
    return listed


def link() -> Path:
    path = Path(sysconfig.get_paths()["purelib"]) / "colloquy.pth"
    path.write_text(f"{ROOT}\n", encoding="utf-8")
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("extras", nargs="*", help="optional dependency groups to add")
    parser.add_argument("--link", action="store_true", help="write the .pth file and exit")
    args = parser.parse_args()
    if args.link:
        link()
        return
    print("\n".join(requirements(args.extras)))


if __name__ == "__main__":
    main()
