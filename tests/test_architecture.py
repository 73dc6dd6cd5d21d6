"""Rules of the code's shape, read statically from the source: who may import whom, who prints.

The graph is built from the AST of every module under unifeed/, so an import
inside a function or under TYPE_CHECKING counts: a lazy import hides a cycle
from Python, not from a reader. Packages are found by walking the folder, so a
new one is covered without being listed here.
"""

from __future__ import annotations

import ast
import importlib.util
import re
import tomllib
from collections.abc import Iterable, Mapping
from pathlib import Path

from setuptools import find_packages

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "unifeed"

# Where the simulator may be imported: itself, and the command line (`python -m
# unifeed` included) whose `demo` runs it.
SIM = "unifeed.sim"
SIM_USERS = ("unifeed.sim", "unifeed.cli", "unifeed.__main__")
# The benchmarks, by the name they have in a checkout and the one they had in the package.
BENCH = ("bench", "unifeed.bench")
# The one package allowed to print.
CLI = "unifeed.cli"

# Package cycles that exist and are being removed; each must still occur, so
# that the entry goes when its cycle does. Anything else fails.
KNOWN_PACKAGE_CYCLES: list[frozenset[str]] = []


def module_name(path: Path, root: Path = PACKAGE) -> str:
    parts = path.relative_to(root.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def sources(root: Path = PACKAGE) -> dict[str, Path]:
    """Module name -> file, for every module under `root`."""
    return {module_name(p, root): p for p in sorted(root.rglob("*.py"))}


def imported_names(tree: ast.AST, module: str, is_package: bool) -> set[str]:
    """Every dotted name the module imports; `from a import b` gives a.b, whatever b is.

    Importing a.b also runs a/__init__.py, but that edge is left out: counted,
    every package's __init__ importing its own modules would be a cycle.
    """
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: resolved against the importing package
                anchor = module.split(".")
                anchor = anchor[: len(anchor) - node.level + (1 if is_package else 0)]
                base = ".".join([*anchor, base] if base else anchor)
            names.update(f"{base}.{a.name}" for a in node.names)
    return names


def import_graph(modules: Mapping[str, Path]) -> dict[str, set[str]]:
    """Module -> the modules of `modules` it imports (the longest known prefix of each name).

    a.b is the module a.b when there is one, else the name b from module a.
    """

    def known(name: str) -> str | None:
        while name and name not in modules:
            name = name.rpartition(".")[0]
        return name or None

    graph: dict[str, set[str]] = {}
    for module, path in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        found = {known(n) for n in imported_names(tree, module, path.name == "__init__.py")}
        graph[module] = {m for m in found if m is not None and m != module}
    return graph


def cycles(graph: Mapping[str, Iterable[str]]) -> list[frozenset[str]]:
    """The strongly connected components of more than one node (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[frozenset[str]] = []
    for start in graph:
        if start in index:
            continue
        work = [(start, iter(graph.get(start, ())))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, edges = work[-1]
            nxt = next(edges, None)
            if nxt is not None:
                if nxt not in index:
                    index[nxt] = low[nxt] = len(index)
                    stack.append(nxt)
                    on_stack.add(nxt)
                    work.append((nxt, iter(graph.get(nxt, ()))))
                elif nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = set()
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.add(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(frozenset(component))
    return found


def package_of(module: str) -> str:
    """unifeed.ads.delivery -> unifeed.ads; top-level modules stand for themselves."""
    return ".".join(module.split(".")[:2])


def package_graph(graph: Mapping[str, Iterable[str]]) -> dict[str, set[str]]:
    packages: dict[str, set[str]] = {}
    for module, targets in graph.items():
        edges = packages.setdefault(package_of(module), set())
        edges.update(package_of(t) for t in targets if package_of(t) != package_of(module))
    return packages


def reachable(graph: Mapping[str, Iterable[str]], start: str) -> dict[str, str]:
    """Every module `start` imports, directly or not -> the module that imports it."""
    via: dict[str, str] = {}
    todo = [start]
    while todo:
        node = todo.pop()
        for nxt in graph.get(node, ()):
            if nxt not in via and nxt != start:
                via[nxt] = node
                todo.append(nxt)
    return via


def chain(via: Mapping[str, str], start: str, end: str) -> str:
    path = [end]
    while path[-1] != start:
        path.append(via[path[-1]])
    return " -> ".join(reversed(path))


def prints(source: str) -> list[int]:
    """Lines that use the builtin `print`, called or passed along."""
    tree = ast.parse(source)
    return sorted(
        node.lineno for node in ast.walk(tree) if isinstance(node, ast.Name) and node.id == "print"
    )


MODULES = sources()
GRAPH = import_graph(MODULES)


def in_package(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


# ---------------------------------------------------------------- the checks check
def test_the_cycle_finder_finds_a_cycle_and_only_cycles() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}, "e": set()}
    assert cycles(graph) == [frozenset({"a", "b", "c"})]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_the_graph_reads_every_form_of_import(tmp_path: Path) -> None:
    pkg = tmp_path / "unifeed"
    (pkg / "x").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "x" / "__init__.py").write_text("from unifeed.x import b\n")
    (pkg / "x" / "a.py").write_text("def f():\n    from . import b\n")
    (pkg / "x" / "b.py").write_text("import unifeed.y\nfrom unifeed.x.a import f\n")
    (pkg / "y.py").write_text("import json\nfrom unifeed.x import b as _, thing\n")
    graph = import_graph(sources(pkg))
    assert graph == {
        "unifeed": set(),
        "unifeed.x": {"unifeed.x.b"},
        "unifeed.x.a": {"unifeed.x.b"},
        "unifeed.x.b": {"unifeed.y", "unifeed.x.a"},
        "unifeed.y": {"unifeed.x", "unifeed.x.b"},
    }
    # x -> x.b -> y -> x, and x.a <-> x.b
    assert cycles(graph) == [frozenset({"unifeed.x", "unifeed.x.a", "unifeed.x.b", "unifeed.y"})]


def test_the_print_finder_sees_calls_and_references() -> None:
    assert prints('"""print(1) in a docstring"""\nlog = print\nprint("x")\n') == [2, 3]
    assert prints("logger.info('print')\n") == []


# ---------------------------------------------------------------- the rules
def test_no_module_imports_itself_through_others() -> None:
    found = [sorted(c) for c in cycles(GRAPH)]
    assert not found, f"import cycles between modules: {found}"


def test_no_package_imports_itself_through_others() -> None:
    found = cycles(package_graph(GRAPH))
    new = [sorted(c) for c in found if c not in KNOWN_PACKAGE_CYCLES]
    gone = [sorted(c) for c in KNOWN_PACKAGE_CYCLES if c not in found]
    assert not new, f"import cycles between packages: {new}"
    assert not gone, f"these known cycles are gone; remove them from KNOWN_PACKAGE_CYCLES: {gone}"


def test_only_the_cli_prints() -> None:
    found = {
        str(path.relative_to(ROOT)): lines
        for module, path in MODULES.items()
        if not in_package(module, CLI) and (lines := prints(path.read_text(encoding="utf-8")))
    }
    assert not found, f"print outside {CLI} (log, return, or take a progress callback): {found}"


def test_the_production_stack_never_imports_the_simulator() -> None:
    """The ground truth stays hidden: no production module reaches it, even through another."""
    production = [m for m in MODULES if not any(in_package(m, p) for p in SIM_USERS)]
    assert "unifeed.ads.delivery" in production and "unifeed.api.app" in production
    leaks = {}
    for module in production:
        via = reachable(GRAPH, module)
        reached = sorted(m for m in via if in_package(m, SIM))
        if reached:
            leaks[module] = chain(via, module, reached[0])
    assert not leaks, f"production modules reach the simulator: {leaks}"


def test_the_benchmarks_are_not_part_of_the_package() -> None:
    """bench/ is development tooling: nothing in unifeed imports it, and no wheel ships it."""
    for module, path in MODULES.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        names = imported_names(tree, module, path.name == "__init__.py")
        bench = sorted(n for n in names if any(in_package(n, b) for b in BENCH))
        assert not bench, f"{module} imports {bench}"
    assert importlib.util.find_spec("unifeed.bench") is None
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    include = config["tool"]["setuptools"]["packages"]["find"]["include"]
    shipped = find_packages(where=str(ROOT), include=include)
    assert "unifeed" in shipped and "unifeed.ads" in shipped
    assert not [p for p in shipped if not in_package(p, "unifeed")]


def documented_imports(text: str) -> dict[str, set[str]]:
    """Package -> the packages it may import, from the table in docs/architecture.md."""
    block = text.split("<!-- BEGIN imports -->")[1].split("<!-- END imports -->")[0]
    rules: dict[str, set[str]] = {}
    for line in block.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 3 and cells[0].startswith("`"):
            rules[cells[0].strip("`")] = set(re.findall(r"`([\w.]+)`", cells[2]))
    return rules


def test_docs_architecture_states_what_each_package_imports() -> None:
    """The table a reader relies on is the import graph: no package imports
    more than it says, and none is said to import what it does not."""
    documented = documented_imports((ROOT / "docs" / "architecture.md").read_text())
    real = package_graph(GRAPH)
    for entry in ("unifeed", "unifeed.__main__"):  # the version; `python -m unifeed`
        real.pop(entry, None)
    assert documented == real


def test_test_files_have_unique_basenames() -> None:
    """tests/ has no __init__.py files, so pytest imports each test module by its
    basename: two with the same name stop the whole run at collection."""
    seen: dict[str, list[str]] = {}
    for path in (ROOT / "tests").rglob("test_*.py"):
        seen.setdefault(path.name, []).append(str(path.relative_to(ROOT)))
    assert not {name: paths for name, paths in seen.items() if len(paths) > 1}
