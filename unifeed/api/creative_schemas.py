"""Request and response bodies of a campaign's creatives: add, list, edit, generate.

Lengths here only bound what is stored; the ad's own limits (headline <= 40
characters, primary text <= 125, a button from the list) are review's to
check, so a typed ad over them is stored as rejected with a reason the
advertiser can act on, rather than refused without one.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal, Self

from pydantic import BaseModel, Field, HttpUrl, model_validator

from unifeed.ads.creatives import STATUSES, CampaignCreative, CreativeVersion
from unifeed.api.campaign_schemas import MAX_GENERATED, Words
from unifeed.api.schemas import Plain, Strict

Status = Literal[STATUSES]  # type: ignore[valid-type]
Headline = Plain(200)
Button = Plain(40)


class CreativeIn(Strict):
    """One ad as the advertiser writes it; the button defaults to "Learn more"."""

    headline: Headline  # type: ignore[valid-type]
    primary_text: Words  # type: ignore[valid-type]
    call_to_action: Button = "Learn more"  # type: ignore[valid-type]
    landing_url: HttpUrl | None = Field(default=None, description="None: the brief's")


class CreativesCreate(Strict):
    """Ads written by the advertiser: plain `texts` (each a text-only ad, headed by
    the product's name) or whole `creatives`. Each is reviewed before it may serve."""

    texts: list[Words] | None = Field(  # type: ignore[valid-type]
        default=None, min_length=1, max_length=20
    )
    creatives: list[CreativeIn] | None = Field(default=None, min_length=1, max_length=20)

    @model_validator(mode="after")
    def _one_kind(self) -> Self:
        if (self.texts is None) == (self.creatives is None):
            raise ValueError("send either texts or creatives (one of them, not both)")
        return self


class CreativeEdit(Strict):
    """The parts to change; the rest is kept from the current version. An edit is
    a new version, reviewed again: its figures start from zero, the old ones stay."""

    headline: Headline | None = None  # type: ignore[valid-type]
    primary_text: Words | None = None  # type: ignore[valid-type]
    call_to_action: Button | None = None  # type: ignore[valid-type]
    landing_url: HttpUrl | None = None

    @model_validator(mode="after")
    def _something(self) -> Self:
        if not self.model_fields_set:
            raise ValueError(
                "name at least one of headline, primary_text, call_to_action, landing_url"
            )
        return self


class GenerateRequest(Strict):
    variants: int = Field(default=5, ge=1, le=MAX_GENERATED)


class ReviewReason(BaseModel):
    rule: str
    reason: str


class ReviewPublic(BaseModel):
    passed: bool | None = Field(description="None: stored before review existed")
    reasons: list[ReviewReason]


class CreativeVersionPublic(BaseModel):
    version: int
    item_id: str
    headline: str | None = Field(description="None: a text-only ad, headed by the product")
    primary_text: str
    call_to_action: str
    landing_url: str | None = Field(description="None: the brief's")
    review: ReviewPublic
    created_at: datetime

    @classmethod
    def of(cls, v: CreativeVersion) -> CreativeVersionPublic:
        return cls(
            version=v.version,
            item_id=v.item_id,
            headline=v.headline,
            primary_text=v.primary_text,
            call_to_action=v.call_to_action,
            landing_url=v.landing_url,
            review=ReviewPublic(
                passed=None if v.review is None else not v.review,
                reasons=[ReviewReason(rule=r, reason=why) for r, why in v.review or ()],
            ),
            created_at=v.created_at,
        )


class CreativePublic(BaseModel):
    id: int
    status: Status  # type: ignore[valid-type]
    serves: bool = Field(description="approved, and its current version passed review")
    origin: str
    angle: str | None
    model: str | None
    version: int
    current: CreativeVersionPublic
    versions: list[CreativeVersionPublic] = Field(description="every version, oldest first")
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, c: CampaignCreative) -> CreativePublic:
        return cls(
            id=c.id,
            status=c.status,
            serves=c.serves,
            origin=c.origin,
            angle=c.angle,
            model=c.model,
            version=c.version,
            current=CreativeVersionPublic.of(c.current),
            versions=[CreativeVersionPublic.of(v) for v in c.versions],
            created_at=c.created_at,
            updated_at=c.updated_at,
        )


class CreativesPublic(BaseModel):
    item_ids: list[str] = Field(description="the new creatives' catalogue items, in order")
    creatives: list[CreativePublic]


GenerationState = Literal["off", "queued", "done", "failed"]


class GenerationPublic(BaseModel):
    """The campaign's latest generation in this server process."""

    status: GenerationState
    detail: str
    variants: int = 0  # asked for
    written: int = 0  # stored (drafts, or approved when the campaign approves automatically)
    rejected: int = 0  # slots with no approved variant whose last answer is stored as rejected
    attempts: int = 0
    parse_pass_rate: float | None = None
    review_pass_rate: float | None = None
    requested_at: datetime | None = None
    finished_at: datetime | None = None


class CreativeListPublic(BaseModel):
    creatives: list[CreativePublic]
    generation: GenerationPublic
