"""Platt scaling recovers a known logistic link and reports reliability."""

from __future__ import annotations

import numpy as np

from unifeed.ads.calibration import Calibrator, reliability, sigmoid


def test_fit_recovers_the_link() -> None:
    rng = np.random.default_rng(0)
    s = rng.normal(size=50_000)
    y = rng.random(len(s)) < sigmoid(1.5 * s - 2.0)
    cal = Calibrator.fit(s, y)
    assert abs(cal.a - 1.5) < 0.1 and abs(cal.b + 2.0) < 0.1
    table = reliability(cal.predict(s), y.astype(float))
    assert len(table) == 10
    for row in table:
        assert abs(row["predicted"] - row["observed"]) < 0.02


def test_no_data_gives_the_prior() -> None:
    cal = Calibrator.fit(np.zeros(0), np.zeros(0))
    assert cal.n == 0 and 0.04 < float(cal.predict(3.0)) < 0.06
    # All negatives: a finite fit with tiny probabilities, not a crash.
    cal = Calibrator.fit(np.linspace(-1, 1, 100), np.zeros(100))
    assert float(cal.predict(0.0)) < 0.01
