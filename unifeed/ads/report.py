"""What a campaign bought and whom the system found.

Spend comes from the ledger, results from attribution (so the report names
the attribution windows it counts), and the audience breakdown compares the
people who saw the ad and who responded with the platform's whole population,
by age band, gender, country and interest (a user's most engaged-with tag).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from unifeed.ads.audience_groups import Groups, shares, shares_of
from unifeed.ads.campaign_state import PRIOR_CLICKS, PRIOR_IMPRESSIONS
from unifeed.ads.campaigns import Campaign
from unifeed.ads.pacing import BudgetPlan
from unifeed.ads.records.learning import LearningRecords
from unifeed.ads.records.reports import ReportRecords
from unifeed.ads.traffic import TrafficCurve, midnight
from unifeed.ads.traffic import learn as learn_traffic
from unifeed.ads.variant_report import creative_report
from unifeed.store import Store
from unifeed.store.db import as_utc


def campaign_report(
    store: Store, c: Campaign, now: datetime, *, audience_breakdown: bool = True
) -> dict[str, Any]:
    """The report. Its cost does not grow with the flight's length: spend by
    time is summed in SQL into at most MAX_POINTS buckets, and impressions
    come back one row per person reached. Without `audience_breakdown` (a
    list of campaigns' figures) the platform's population is not read and
    "audience" is None."""
    now = as_utc(now)
    step = step_hours(c, now)
    spend, shown, results, buckets = ReportRecords(store).campaign(c.id, c.start_at, step)
    clicks = LearningRecords(store).clicks([c.id]).get(c.id, 0)
    n_results = len(results)
    impressions, reach = sum(shown.values()), len(shown)
    value = float(sum(r.value or 0.0 for r in results))
    curve = pacing_curve(c, buckets, now, learn_traffic(store, _last_day(c, now)), step)
    delivery = delivery_status(c, spend, n_results, value, curve, now)
    delivery["learning"] = learning(c, impressions, clicks)
    out: dict[str, Any] = {
        "campaign": c.public_id,
        "objective": c.objective.name,
        "result_actions": list(c.result_actions),
        "attribution": {
            "click_days": c.click_window_days,
            "view_days": c.view_window_days,
            "rule": "a result counts after a click within click_days or an impression within "
            "view_days; a click beats an impression; each result counts for one campaign",
        },
        "currency": c.currency,
        "budget_minor": c.budget_minor,
        "spend_minor": spend,
        "impressions": impressions,
        "reach": reach,
        "frequency": impressions / reach if reach else None,
        "clicks": clicks,
        "ctr": clicks / impressions if impressions else None,
        "cpm_minor": 1000 * spend / impressions if impressions else None,
        "results": n_results,
        "results_by_touch": dict(Counter(r.touch for r in results)),
        "cost_per_result_minor": spend / n_results if n_results else None,
        "value_minor": value,
        "roas": value / spend if spend else None,
        "pacing": curve,
        "pacing_step_hours": step,
        "results_over_time": results_curve([as_utc(r.at) for r in results], curve),
        "delivery": delivery,
        "audience": None,
        "creatives": None,
    }
    if audience_breakdown:
        dims = Groups(store)
        out["audience"] = audience(store, shown, [r.user_id for r in results], dims)
        out["creatives"] = creative_report(store, c, shown, dims)
    return out


def learning(c: Campaign, impressions: int, clicks: int) -> bool:
    """Whether delivery still bids mostly on its priors: its click rate counts
    PRIOR_IMPRESSIONS imaginary impressions and its results per click
    PRIOR_CLICKS imaginary clicks (`campaign_state`), so until it has as many
    of its own, the prior outweighs what it has learned."""
    if impressions < PRIOR_IMPRESSIONS:
        return True
    needs_clicks = not (c.objective.is_reach or c.objective.result_is_the_click)
    return needs_clicks and clicks < PRIOR_CLICKS


def results_curve(results_at: list[datetime], pacing: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Cumulative results at each point of the pacing curve, by the result
    events' own times (`results_at`, in order)."""
    out, i = [], 0
    for point in pacing:
        t = datetime.fromisoformat(point["hour"])
        while i < len(results_at) and results_at[i] < t:
            i += 1
        out.append({"hour": point["hour"], "results": i})
    return out


def _last_day(c: Campaign, now: datetime) -> datetime:
    """A moment of the flight's last day so far: delivery's curve then is the target's."""
    return min(now, c.end_at - timedelta(microseconds=1))


# Spend under this share of the target so far is behind (delivery_status).
BEHIND = 0.8


def delivery_status(
    c: Campaign,
    spend: int,
    results: int,
    value: float,
    pacing: list[dict[str, Any]],
    now: datetime,
) -> dict[str, Any]:
    """Where the campaign stands and, when it spends less than its curve
    asks, why: an advertiser whose goal is below what results cost sees
    that, with the cost so far, rather than a campaign that quietly idles."""
    target = pacing[-1]["target_minor"] if pacing else 0.0
    out: dict[str, Any] = {"spent_share": spend / c.budget_minor, "target_minor": target}
    if as_utc(now) < c.start_at:
        return out | {"status": "scheduled"}
    if c.status != "active":
        return out | {"status": c.status}
    if as_utc(now) >= c.end_at:
        return out | {"status": "ended"}
    if c.budget_kind == "lifetime" and spend >= c.budget_minor:
        return out | {"status": "budget spent"}
    if spend >= BEHIND * target:
        return out | {"status": "on track"}
    missed = _goal_missed(c, spend, results, value)
    if missed is None:
        return out | {"status": "behind"}
    detail = f"bidding to hold its goal, it wins few auctions: {missed}"
    return out | {"status": "limited by goal", "detail": detail}


def _goal_missed(c: Campaign, spend: int, results: int, value: float) -> str | None:
    """How the campaign's results so far miss its cost or ROAS goal, or None."""
    if c.bid_strategy == "cost_per_result" and c.cost_goal_minor:
        goal = c.cost_goal_minor
        if results:
            cost = spend / results
            return (
                f"results so far cost {cost:.0f} each against a goal of {goal}"
                if cost > goal
                else None
            )
        return (
            f"no result yet for {spend} spent against a goal of {goal}" if spend >= goal else None
        )
    if c.bid_strategy == "roas" and c.roas_goal and spend:
        roas = value / spend
        return (
            f"a return of {roas:.2f} per unit spent against a goal of {c.roas_goal}"
            if roas < c.roas_goal
            else None
        )
    return None


# Points of the pacing curve at most: a long flight's are coarser than hourly.
MAX_POINTS = 500
STEPS_HOURS = (1, 2, 3, 4, 6, 8, 12, 24, 48, 72, 168)


def step_hours(c: Campaign, now: datetime) -> int:
    """The pacing curve's step: the finest of STEPS_HOURS that keeps its
    points (one per step from the start to now or the end) within MAX_POINTS."""
    span = (min(as_utc(now), c.end_at) - c.start_at) / timedelta(hours=1)
    if span < 0:
        return STEPS_HOURS[0]
    for step in STEPS_HOURS:
        if math.floor(span / step) + 1 <= MAX_POINTS:
            return step
    return math.ceil(span / (MAX_POINTS - 1))  # a schedule from before the horizon rule


def pacing_curve(
    c: Campaign,
    charges: list[Any],
    now: datetime,
    curve: TrafficCurve | None = None,
    step: int = 1,
) -> list[dict[str, Any]]:
    """Cumulative spend every `step` hours against the flight's target curve
    (a daily budget's: each day's budget along that day's curve, added up).

    `charges`: (event_time, amount_minor) in time order. `curve`: the
    traffic's shape the target follows (delivery's on the flight's last day
    so far); even when None."""
    curve = curve or TrafficCurve()
    plan: BudgetPlan | _DailyTarget = (
        _DailyTarget(c.budget_minor, c.start_at, c.end_at, curve)
        if c.budget_kind == "daily"
        else BudgetPlan(c.budget_minor, c.start_at, c.end_at, curve=curve)
    )
    end = min(now, c.end_at)
    out, spent, i = [], 0, 0
    t = c.start_at
    while t <= end:
        t_next = t + timedelta(hours=step)
        while i < len(charges) and charges[i].event_time < t_next:
            spent += int(charges[i].amount_minor)
            i += 1
        out.append(
            {"hour": t_next.isoformat(), "spend_minor": spent, "target_minor": plan.target(t_next)}
        )
        t = t_next
    return out


def audience(
    store: Store, shown: Mapping[int, int], responders: list[int], dims: Groups | None = None
) -> dict[str, Any]:
    """Shares of impressions, results and the platform population, per dimension.

    `shown`: impressions per person, in the order they were first reached."""
    dims = dims or Groups(store)
    people = dims.people
    out: dict[str, Any] = {}
    for dim in ("age", "gender", "country", "interest"):
        out[dim] = {
            "impressions": shares_of(shown, dims, dim),
            "results": shares(Counter(dims(x)[dim] for x in responders)),
            "population": shares(Counter(dims(x)[dim] for x in people)),
        }
    return out


class _DailyTarget:
    """The spend a daily budget's plans (one per day, from midnight) have
    asked for by t, added up over the flight's days."""

    def __init__(self, budget_minor: int, start: datetime, end: datetime, curve: TrafficCurve):
        self.budget_minor, self.start, self.end, self.curve = budget_minor, start, end, curve

    def target(self, t: datetime) -> float:
        # Every whole day before t's asked its full budget; t's own day, its
        # share so far. Closed form: a year-long flight costs no more than a day.
        t = min(as_utc(t), self.end)
        first = midnight(self.start)
        if t < first:
            return 0.0
        day = midnight(t)
        total = float(self.budget_minor * (day - first).days)
        if day < self.end:
            total += self.budget_minor * self.curve.share(day, t, day + timedelta(days=1))
        return total
