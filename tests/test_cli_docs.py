"""docs/cli.md is the `--help` of every command; it must not drift from the code."""

from __future__ import annotations

import difflib
import importlib.util
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def load_generator():
    spec = importlib.util.spec_from_file_location("gen_cli_docs", ROOT / "scripts/gen_cli_docs.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_cli_docs_match_the_help() -> None:
    gen = load_generator()
    fresh = gen.render()
    current = gen.DOC.read_text(encoding="utf-8") if gen.DOC.is_file() else ""
    if current != fresh:
        diff = "".join(
            list(
                difflib.unified_diff(
                    current.splitlines(keepends=True),
                    fresh.splitlines(keepends=True),
                    "docs/cli.md",
                    "fresh --help",
                )
            )[:60]
        )
        pytest.fail(
            "docs/cli.md differs from the commands' --help; "
            f"run `python scripts/gen_cli_docs.py` and commit the result.\n{diff}",
            pytrace=False,
        )
