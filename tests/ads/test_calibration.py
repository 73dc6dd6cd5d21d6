"""Platt scaling recovers a known logistic link and reports reliability; click levels
and wear-out are recovered from billed impressions."""

from __future__ import annotations

import numpy as np

from unifeed.ads.calibration import (
    Calibrator,
    fit_ad_curve,
    fit_click_levels,
    reliability,
    shrunk_ratios,
    sigmoid,
    wearout_bucket,
)


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


def test_click_levels_and_wearout_are_recovered_together() -> None:
    # Two campaigns at 2x and 0.5x the model's p(click); repeat viewers click
    # 0.7^f as often. The second campaign shows mostly to repeat viewers, so a
    # fit of either factor alone would confuse its low level with wear-out.
    rng = np.random.default_rng(1)
    n = 200_000
    campaign = rng.integers(2, size=n)
    freq = np.where(campaign == 0, rng.integers(2, size=n), rng.integers(1, 4, size=n))
    predicted = rng.uniform(0.02, 0.2, size=n)
    truth_level = np.where(campaign == 0, 2.0, 0.5)
    truth_wear = np.array([1.0, 0.7, 0.49, 0.343])
    clicked = (rng.random(n) < predicted * truth_level * truth_wear[freq]).astype(float)
    level, wearout = fit_click_levels(campaign, predicted, freq, clicked)
    assert abs(level[0] - 2.0) < 0.1 and abs(level[1] - 0.5) < 0.05
    assert np.allclose(wearout[:4], truth_wear, atol=0.05)
    assert np.allclose(wearout[4:], 1.0, atol=0.05)  # no viewer had clicked: the prior


def test_viewers_who_clicked_before_get_their_own_wearout() -> None:
    # Repeat viewers who clicked the campaign before click 1.4x as often as
    # a first view; those who saw it without a click, 0.3x, then 0.15x.
    rng = np.random.default_rng(3)
    n = 100_000
    views = rng.integers(4, size=n)
    before = (views > 0) & (rng.random(n) < 0.4)
    bucket = wearout_bucket(views, before)
    truth = np.array([1.0, 0.3, 0.15, 0.1, 1.0, 1.4, 1.2, 1.0])
    clicked = (rng.random(n) < 0.2 * truth[bucket]).astype(float)
    level, wearout = fit_click_levels(np.zeros(n, dtype=np.int64), np.full(n, 0.2), bucket, clicked)
    assert abs(level[0] - 1.0) < 0.05
    assert np.allclose(wearout[[0, 1, 2, 3, 5, 6, 7]], truth[[0, 1, 2, 3, 5, 6, 7]], atol=0.06)
    # One curve for both would have put them between.
    assert wearout[5] > 3 * wearout[1]


def test_click_levels_without_data_are_neutral() -> None:
    empty = np.zeros(0)
    level, wearout = fit_click_levels(empty.astype(np.int64), empty, empty.astype(np.int64), empty)
    assert level == {} and np.all(wearout == 1.0)


def test_a_new_models_levels_start_from_the_last_ones() -> None:
    none = np.zeros(0, dtype=np.int64)
    prior = np.array([1.0, 0.7, 0.5, 0.3, 1.0, 1.2, 1.1, 1.0])
    level, wearout = fit_click_levels(none, np.zeros(0), none, np.zeros(0), {7: 1.8}, prior)
    assert level == {} and np.allclose(wearout, prior)
    # A few impressions barely move them; many decide.
    rng = np.random.default_rng(2)
    for n in (20, 100_000):
        c, f = np.full(n, 7), rng.integers(4, size=n)
        clicked = (rng.random(n) < 0.1 * np.array([1.0, 0.9, 0.8, 0.7])[f]).astype(float)
        level, wearout = fit_click_levels(c, np.full(n, 0.1), f, clicked, {7: 1.8}, prior)
        if n == 20:
            assert level[7] > 1.4 and wearout[3] < 0.4
    # The first views' own click rate over the predicted 0.1, and the curve.
    assert abs(level[7] - clicked[f == 0].mean() / 0.1) < 0.02
    rates = np.array([clicked[f == k].mean() for k in range(4)])
    assert np.allclose(wearout[:4], rates / rates[0], atol=0.02)
    assert np.allclose(wearout[4:], prior[4:], atol=0.05)  # no clicked-before views


def test_shrunk_ratios_lean_on_the_prior_until_clicks_decide() -> None:
    rng = np.random.default_rng(3)
    for n, close in ((40, False), (200_000, True)):
        key = rng.integers(2, size=n)
        expected = np.full(n, 0.1)
        clicked = (rng.random(n) < np.where(key == 1, 0.15, 0.05)).astype(float)
        ratio = shrunk_ratios(key, expected, clicked, {0: 1.0, 1: 1.0})
        if close:
            assert abs(ratio[0] - 0.5) < 0.02 and abs(ratio[1] - 1.5) < 0.03
        else:  # two clicks' worth of evidence each: most of the way still at 1
            assert 0.6 < ratio[0] < 1.0 < ratio[1] < 1.4
    assert shrunk_ratios(np.zeros(0, np.int64), np.zeros(0), np.zeros(0)) == {}


def test_the_ad_curve_finds_the_slope_within_campaigns() -> None:
    # Campaign 1 reaches high scores but clicks rarely: pooled, the two
    # campaigns would fake a negative slope; within each it is 1.2.
    rng = np.random.default_rng(4)
    n = 60_000
    group = rng.integers(2, size=n)
    score = rng.normal(np.where(group == 1, 3.0, 0.0), 1.0)
    logit = 1.2 * score + np.where(group == 1, -5.0, -1.5)
    clicked = (rng.random(n) < sigmoid(logit)).astype(float)
    flat = Calibrator(a=0.3, b=-1.0)
    curve = fit_ad_curve(score, clicked, group, flat)
    assert abs(curve.a - 1.2) < 0.06
    # One intercept for all: the mean predicted rate is the observed one.
    assert abs(float(curve.predict(score).mean()) - clicked.mean()) < 0.005
    # A handful of clicks barely moves the organic slope; none leaves it.
    few = slice(0, 60)
    assert abs(fit_ad_curve(score[few], clicked[few], group[few], flat).a - 0.3) < 0.4
    none = np.zeros(60)
    assert fit_ad_curve(score[few], none, group[few], flat) is flat


def test_the_ad_curve_converges_from_a_prior_slope_of_the_wrong_sign() -> None:
    # Within campaigns the clicks fall with the score while the organic
    # prior says they rise: the fit must walk there, not run off.
    rng = np.random.default_rng(4)
    n, true_slope, prior_slope = 3_000, -2.0, 1.0
    group = rng.integers(6, size=n)
    score = rng.normal(rng.normal(size=6)[group], 1.0)
    logit = true_slope * score + rng.normal(-1.5, 0.6, size=6)[group]
    clicked = (rng.random(n) < sigmoid(logit)).astype(float)
    curve = fit_ad_curve(score, clicked, group, Calibrator(a=prior_slope, b=-1.0))
    clicks = clicked.sum()
    # The fitted slope, shrunk towards the prior by 50 clicks' worth.
    share = clicks / (clicks + 50)
    expected = share * true_slope + (1 - share) * prior_slope
    assert abs(curve.a - expected) < 0.15  # alternating steps ran off to -4e11
    assert abs(float(curve.predict(score).mean()) - clicked.mean()) < 0.005
