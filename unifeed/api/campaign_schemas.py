"""Request and response bodies of advertisers and campaigns.

An advertiser states an objective, a budget, a schedule and a brief; nothing
else is required. Every rule a campaign must satisfy is checked here, so a
bad campaign is a 422 that names the field.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Literal, Self

from pydantic import BaseModel, Field, HttpUrl, model_validator

from unifeed.ads import campaign_spec as spec
from unifeed.ads.campaign_spec import BID_STRATEGIES, MAX_CLICK_WINDOW_DAYS, CampaignSpec
from unifeed.ads.campaigns import Campaign
from unifeed.ads.objective import OBJECTIVES
from unifeed.api.schemas import Currency, Id, Plain, Strict, Time

Objective = Literal[tuple(OBJECTIVES)]  # type: ignore[valid-type]
Strategy = Literal[BID_STRATEGIES]  # type: ignore[valid-type]
Minor = Annotated[int, Field(gt=0, le=10**13, description="integer minor units (cents)")]
Words = Plain(2000)
Name = Plain(200)
MAX_GENERATED = 10  # variants one generation may write


class AdvertiserCreate(Strict):
    id: Id
    name: Name


class AdvertiserPublic(BaseModel):
    id: str
    name: str
    api_key: str | None = Field(description="shown once, at creation; stored hashed")


class BudgetIn(Strict):
    amount_minor: Minor
    currency: Currency
    kind: Literal["lifetime", "daily"] = "lifetime"


# The horizon a schedule must lie in, on the service's clock: what a report
# or a pacing curve has to cover stays bounded, and a back-dated start cannot
# make a new campaign look far behind its target (and rush its budget out).
MAX_FLIGHT = timedelta(days=366)
MAX_BACKDATE = timedelta(days=7)  # clock skew, "start now" sent a little late
MAX_LEAD = timedelta(days=366)  # how far ahead a flight may be booked


class Schedule(Strict):
    start: Time
    end: Time

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.end <= self.start:
            raise ValueError("schedule.end must be after schedule.start")
        if self.end - self.start > MAX_FLIGHT:
            raise ValueError(f"a flight lasts at most {MAX_FLIGHT.days} days")
        return self

    def outside_horizon(self, now: datetime) -> tuple[str, str] | None:
        """(field, why) when the schedule is not within the horizon of `now`."""
        now = now if now.tzinfo else now.replace(tzinfo=UTC)
        at = f"now ({now:%Y-%m-%dT%H:%MZ})"
        if self.start < now - MAX_BACKDATE:
            return "start", f"must not be more than {MAX_BACKDATE.days} days before {at}"
        if self.start > now + MAX_LEAD:
            return "start", f"must not be more than {MAX_LEAD.days} days after {at}"
        return None


class BidStrategy(Strict):
    type: Strategy = "highest_volume"
    cost_per_result_minor: Minor | None = None
    roas: float | None = Field(default=None, gt=0, le=1000, description="value / spend goal")
    bid_cap_minor: Minor | None = None

    @model_validator(mode="after")
    def _goal_given(self) -> Self:
        need = {
            "cost_per_result": "cost_per_result_minor",
            "roas": "roas",
            "bid_cap": "bid_cap_minor",
        }.get(self.type)
        if need and getattr(self, need) is None:
            raise ValueError(f"bid_strategy.{need} is required for bid_strategy.type={self.type}")
        return self


class Brief(Strict):
    product: Name
    description: Words
    landing_url: HttpUrl
    image_urls: list[HttpUrl] = Field(default_factory=list, max_length=10)
    tone: Plain(100) | None = None  # type: ignore[valid-type]
    language: Literal["en", "fr", "de", "es"] = Field(
        default="en", description="what generated creatives are written in"
    )


class LegalConstraints(Strict):
    """Legal limits only: who may be shown the ad, never who should."""

    countries: list[Annotated[str, Field(pattern=r"^[A-Z]{2}$")]] | None = Field(
        default=None, max_length=250
    )
    min_age: int | None = Field(default=None, ge=13, le=100)


class AudienceSuggestion(Strict):
    """Whom the advertiser thinks the product suits. Delivery learns how much
    it is worth from the campaign's clicks; it never filters."""

    age_min: int | None = Field(default=None, ge=0, le=120)
    age_max: int | None = Field(default=None, ge=0, le=120)
    genders: list[Annotated[str, Field(min_length=1, max_length=32)]] | None = Field(
        default=None, min_length=1, max_length=10
    )

    @model_validator(mode="after")
    def _ages_in_order(self) -> Self:
        if self.age_min is not None and self.age_max is not None and self.age_min > self.age_max:
            raise ValueError("age_min must not be above age_max")
        return self


class Attribution(Strict):
    click_days: int = Field(default=7, ge=1, le=MAX_CLICK_WINDOW_DAYS)
    view_days: int = Field(default=1, ge=0, le=7)


class CampaignCreate(Strict):
    name: Name
    objective: Objective
    budget: BudgetIn
    schedule: Schedule
    bid_strategy: BidStrategy = Field(default_factory=BidStrategy)
    brief: Brief
    constraints: LegalConstraints = Field(default_factory=LegalConstraints)
    audience_suggestion: AudienceSuggestion | None = Field(
        default=None, description="a hint the delivery learns to weigh; never a filter"
    )
    attribution: Attribution = Field(default_factory=Attribution)
    advertiser_id: Id | None = Field(default=None, description="operator key only")
    generate_creatives: int = Field(
        default=0,
        ge=0,
        le=MAX_GENERATED,
        description="variants to write from the brief in the background (needs the server's "
        "language model, docs/llm.md); 0: you add creatives yourself",
    )
    auto_approve_creatives: bool = Field(
        default=False,
        description="generated creatives serve once review passes them; otherwise they wait "
        "as drafts for your approval",
    )

    @model_validator(mode="after")
    def _roas_needs_values(self) -> Self:
        if self.bid_strategy.type == "roas" and not OBJECTIVES[self.objective].has_values:
            raise ValueError(
                "bid_strategy.type=roas needs purchase values: use it with objective=sales"
            )
        return self

    def spec(self) -> CampaignSpec:
        """The campaign as ads keeps it: the one contract from the API to ads."""
        hint = self.audience_suggestion
        if hint is not None and not hint.model_dump(exclude_none=True):
            hint = None  # an empty suggestion suggests nothing
        return CampaignSpec(
            name=self.name,
            objective=OBJECTIVES[self.objective],
            currency=self.budget.currency,
            budget_kind=self.budget.kind,
            budget_minor=self.budget.amount_minor,
            start_at=self.schedule.start,
            end_at=self.schedule.end,
            brief=spec.Brief(
                product=self.brief.product,
                description=self.brief.description,
                landing_url=str(self.brief.landing_url),
                image_urls=tuple(str(u) for u in self.brief.image_urls),
                tone=self.brief.tone,
                language=self.brief.language,
            ),
            bid_strategy=self.bid_strategy.type,
            cost_goal_minor=self.bid_strategy.cost_per_result_minor,
            roas_goal=self.bid_strategy.roas,
            bid_cap_minor=self.bid_strategy.bid_cap_minor,
            constraints=spec.LegalConstraints(
                None if self.constraints.countries is None else tuple(self.constraints.countries),
                self.constraints.min_age,
            ),
            audience_hint=None
            if hint is None
            else spec.AudienceHint(
                hint.age_min, hint.age_max, None if hint.genders is None else tuple(hint.genders)
            ),
            click_window_days=self.attribution.click_days,
            view_window_days=self.attribution.view_days,
            auto_approve_creatives=self.auto_approve_creatives,
        )


class CampaignPublic(BaseModel):
    id: str
    name: str
    objective: str
    result_actions: list[str]
    budget: BudgetIn
    schedule: dict[str, datetime]
    bid_strategy: BidStrategy
    brief: dict[str, Any]
    constraints: dict[str, Any]
    audience_suggestion: dict[str, Any] | None
    attribution: Attribution
    status: str
    creatives: int = Field(description="creatives that serve (approved, current versions)")
    auto_approve_creatives: bool

    @classmethod
    def of(cls, c: Campaign) -> CampaignPublic:
        return cls(
            id=c.public_id,
            name=c.name,
            objective=c.objective.name,
            result_actions=list(c.result_actions),
            budget=BudgetIn(amount_minor=c.budget_minor, currency=c.currency, kind=c.budget_kind),  # type: ignore[arg-type]
            schedule={"start": c.start_at, "end": c.end_at},
            bid_strategy=BidStrategy(
                type=c.bid_strategy,  # type: ignore[arg-type]
                cost_per_result_minor=c.cost_goal_minor,
                roas=c.roas_goal,
                bid_cap_minor=c.bid_cap_minor,
            ),
            brief=c.brief.as_dict(),
            constraints=c.constraints.as_dict(),
            audience_suggestion=None if c.audience_hint is None else c.audience_hint.as_dict(),
            attribution=Attribution(click_days=c.click_window_days, view_days=c.view_window_days),
            status=c.status,
            creatives=len(c.creative_item_ids),
            auto_approve_creatives=c.auto_approve_creatives,
        )
