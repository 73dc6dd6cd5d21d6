"""What the demo's market phase (`unifeed.sim.market`) brought back.

Per brief-only campaign, what the service wrote for it and what it bought
(`CampaignOutcome`); for the phase, those, the assistants' exchanges and the
day's totals (`MarketResult`), which `unifeed.sim.market_report` renders.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from unifeed.sim.advertisers import Advertiser
from unifeed.sim.followers import Exchange


@dataclass
class CampaignOutcome:
    """A brief-only campaign: what the service wrote for it and what it bought."""

    advertiser: Advertiser
    topic: str
    brief: dict[str, Any]  # as posted
    campaign: str  # its public id
    approval: Literal["automatic", "advertiser"]
    generation: dict[str, Any]  # the API's GenerationPublic, once settled
    generation_wall_s: float  # from the campaign's creation until the writer was done
    approved_by_advertiser: list[int]  # creative ids the advertiser approved
    creatives: list[dict[str, Any]]  # the API's CreativePublic list, after the day
    report: dict[str, Any] | None  # the API's campaign report (None: the day did not run)

    @property
    def serving(self) -> list[dict[str, Any]]:
        return [c for c in self.creatives if c["serves"]]

    @property
    def served_nothing_because(self) -> str | None:
        """Why the campaign had nothing to serve, or None when it had creatives."""
        if self.serving:
            return None
        g = self.generation
        if g["status"] == "failed":
            return f"generation failed: {g['detail']}"
        if g["status"] != "done":
            return f"generation had not finished ({g['status']}): {g['detail']}"
        written = [c for c in self.creatives if c["origin"] == "generated"]
        if not written:
            return (
                f"no variant passed parsing and review: {g['attempts']} attempts, "
                f"parse pass rate {_share(g['parse_pass_rate'])}, review pass rate "
                f"{_share(g['review_pass_rate'])}"
            )
        return "every written variant was rejected or left unapproved"


@dataclass
class MarketResult:
    day: int  # the simulated day it ran (the one after the arms' last)
    budget_minor: int = 0  # each campaign's
    campaigns: list[CampaignOutcome] = field(default_factory=list)
    exchanges: list[Exchange] = field(default_factory=list)
    writer_model: str | None = None
    feeds: int = 0
    ad_impressions: int = 0
    conversions: int = 0
    day_ran: bool = False
    seconds: float = 0.0
    # Wall seconds of each stage: start (copy, server), assistants, writing
    # (waiting for the writer), day (the day of ads and the reports).
    stages: dict[str, float] = field(default_factory=dict)
    began_s: float = 0.0  # seconds into the demo when the phase began (after the model arm)


def _share(x: float | None) -> str:
    return "-" if x is None else f"{x:.0%}"
