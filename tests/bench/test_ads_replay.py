"""The ML-100K ads replay runs end to end (tiny: 1 epoch, 2 campaigns)."""

from __future__ import annotations

import pytest

from bench.ads_replay import render, run
from bench.report import SHARED_DATA

ML100K = SHARED_DATA / "ml-100k"


@pytest.mark.skipif(not (ML100K / "u.data").is_file(), reason="../shared/data/ml-100k is absent")
def test_replay_reports_every_audience() -> None:
    r = run(ML100K, campaigns=2, impressions=20, epochs=1)
    assert len(r["campaigns"]) == 2
    for c in r["campaigns"]:
        for k in ("automatic", "demographic", "broad"):
            assert 0.0 <= c[k] <= 1.0
        assert c["demographic_group"] is not None
    text = render(r, "python bench/ads_replay.py")
    assert "| automatic |" in text and "vs demographic" in text
