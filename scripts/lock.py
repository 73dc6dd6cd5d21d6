"""Write requirements.lock: the versions the README, CI and benchmarks install.

    python scripts/lock.py      resolve pyproject.toml afresh and rewrite the lock

The lock is pip's own resolution of ``.[test]`` in a new virtualenv, frozen.
It is a constraints file (``pip install -c requirements.lock ...``): it fixes
the version of everything that gets installed without adding packages a
platform does not need. pyproject.toml keeps ranges, for people who install
Unifeed into an environment of their own; tests/test_lock.py checks the two
agree in the environment the tests run in.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LOCK = ROOT / "requirements.lock"
HEADER = """\
# The versions the README's commands, .ci/run and the benchmarks install:
#     pip install -c requirements.lock -e '.[test]'
# Resolved by pip on CPython {python} (Linux x86_64); regenerate with
#     python scripts/lock.py
# after any change to the dependencies in pyproject.toml (tests/test_lock.py
# fails until the two agree).
"""


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def read_lock(path: Path = LOCK) -> dict[str, str]:
    """{normalised name: version} from a lock file."""
    pins: dict[str, str] = {}
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        name, sep, version = line.partition("==")
        if not sep:
            raise ValueError(f"{path.name}: {raw!r} is not 'name==version'")
        pins[_norm(name)] = version.strip()
    return pins


def resolve() -> str:
    """Install .[test] into a fresh virtualenv and return the lock's text."""
    with tempfile.TemporaryDirectory() as tmp:
        venv = Path(tmp) / "venv"
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        pip = [str(venv / "bin" / "python"), "-m", "pip"]
        subprocess.run([*pip, "install", "-q", "-e", f"{ROOT}[test]"], check=True)
        frozen = subprocess.run(
            [*pip, "freeze", "--all", "--exclude-editable"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        python = subprocess.run(
            [
                str(venv / "bin" / "python"),
                "-c",
                "import platform; print(platform.python_version())",
            ],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
    lines = []
    for line in sorted(frozen.splitlines(), key=str.lower):
        name, _, version = line.partition("==")
        if _norm(name) == "pip":
            continue  # the installer, not a dependency
        # The local CPU wheel is 2.13.0+cpu; the pin without the label also
        # matches the registry's build on machines without that wheel.
        lines.append(f"{name}=={version.split('+', 1)[0]}")
    return HEADER.format(python=python) + "\n".join(lines) + "\n"


def main() -> int:
    argparse.ArgumentParser(description=__doc__.splitlines()[0]).parse_args()
    LOCK.write_text(resolve(), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
