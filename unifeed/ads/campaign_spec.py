"""What an advertiser asks for: the one definition of a campaign's fields.

The API validates a request into a `CampaignSpec` (`unifeed.api.campaign_schemas`),
the store keeps it (`unifeed.ads.records.campaigns`), and delivery, billing and reports
read it back as part of a `Campaign`. Each part is a typed value, so nothing
past the API tests a string or looks a key up in a dict.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from datetime import datetime
from typing import Any, Literal

from unifeed.ads.ledger import Budget
from unifeed.ads.objective import Objective

BidStrategyKind = Literal["highest_volume", "cost_per_result", "roas", "bid_cap"]
BID_STRATEGIES: tuple[BidStrategyKind, ...] = (
    "highest_volume",
    "cost_per_result",
    "roas",
    "bid_cap",
)
BudgetKind = Literal["lifetime", "daily"]
MAX_CLICK_WINDOW_DAYS = 28  # the longest attribution window a campaign may ask for


@dataclass(frozen=True)
class Brief:
    """What the ad is about; generated creatives may say nothing it does not."""

    product: str
    description: str = ""
    landing_url: str = ""
    image_urls: tuple[str, ...] = ()
    tone: str | None = None
    language: str = "en"  # what generated creatives are written in

    def as_dict(self) -> dict[str, Any]:
        return asdict(self) | {"image_urls": list(self.image_urls)}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Brief:
        known = {f.name for f in fields(cls)}
        d = {k: v for k, v in d.items() if k in known}
        return cls(**(d | {"image_urls": tuple(d.get("image_urls") or ())}))


@dataclass(frozen=True)
class LegalConstraints:
    """Legal limits only: who may be shown the ad, never who should."""

    countries: tuple[str, ...] | None = None
    min_age: int | None = None

    def as_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {}
        if self.countries is not None:
            d["countries"] = list(self.countries)
        if self.min_age is not None:
            d["min_age"] = self.min_age
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> LegalConstraints:
        countries = d.get("countries")
        return cls(None if countries is None else tuple(countries), d.get("min_age"))


@dataclass(frozen=True)
class AudienceHint:
    """Whom the advertiser thinks the product suits: a hint delivery learns to
    weigh, never a filter (only the manual-targeting baseline filters by it)."""

    age_min: int | None = None
    age_max: int | None = None
    genders: tuple[str, ...] | None = None

    def as_dict(self) -> dict[str, Any]:
        d = {k: v for k, v in asdict(self).items() if v is not None}
        if self.genders is not None:
            d["genders"] = list(self.genders)
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> AudienceHint:
        genders = d.get("genders")
        return cls(d.get("age_min"), d.get("age_max"), None if genders is None else tuple(genders))


@dataclass(frozen=True)
class CampaignSpec:
    """Objective, budget, schedule and brief, and the options with defaults."""

    name: str
    objective: Objective
    currency: str  # ISO 4217
    budget_kind: BudgetKind
    budget_minor: int
    start_at: datetime
    end_at: datetime
    brief: Brief
    bid_strategy: BidStrategyKind = "highest_volume"
    cost_goal_minor: int | None = None  # a cost-per-result goal
    roas_goal: float | None = None  # value / spend
    bid_cap_minor: int | None = None
    constraints: LegalConstraints = field(default_factory=LegalConstraints)
    audience_hint: AudienceHint | None = None
    click_window_days: int = 7
    view_window_days: int = 1
    # Generated creatives serve once review passes them, without waiting
    # for the advertiser's approval (they stay drafts otherwise).
    auto_approve_creatives: bool = False

    @property
    def budget(self) -> Budget:
        return Budget(self.budget_kind, self.budget_minor, self.start_at, self.end_at)

    @property
    def result_actions(self) -> tuple[str, ...]:
        return self.objective.result_actions

    @property
    def holds_a_goal(self) -> bool:
        """Its bid is a price per result (a cost-per-result or ROAS goal),
        not a pacing multiplier's: it needs p(result) right viewer by viewer."""
        return self.bid_strategy in ("cost_per_result", "roas")
