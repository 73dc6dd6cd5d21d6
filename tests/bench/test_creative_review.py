"""bench/creative_review.py runs and reports both splits (it writes nothing with --no-write)."""

from __future__ import annotations

import pytest

from bench import creative_review


def test_it_reports_precision_and_recall_on_both_splits(capsys: pytest.CaptureFixture[str]) -> None:
    assert creative_review.main(["--no-write"]) == 0
    out = capsys.readouterr().out
    for split in ("development", "held out", "all, hand"):
        assert f"| {split} |" in out
