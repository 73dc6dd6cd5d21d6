"""A creative (one ad variant): the text the viewer sees and where its button leads.

`AdText` is what a language model is asked to write, with the limits in its
schema so a grammar can enforce them. `Creative` is any draft, generated or
typed by the advertiser: it holds the text as given (review, not parsing,
rejects a typed headline that is too long, with a reason).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "HEADLINE_MAX",
    "PRIMARY_TEXT_MAX",
    "AdText",
    "Angle",
    "CallToAction",
    "Creative",
    "Origin",
]

HEADLINE_MAX, PRIMARY_TEXT_MAX = 40, 125  # characters, as Python's len counts them


class CallToAction(StrEnum):
    """The button: a fixed list, the same in every language (the app translates it)."""

    learn_more = "Learn more"
    shop_now = "Shop now"
    sign_up = "Sign up"
    download = "Download"
    get_offer = "Get offer"
    book_now = "Book now"
    contact_us = "Contact us"
    subscribe = "Subscribe"
    apply_now = "Apply now"
    get_quote = "Get quote"
    watch_more = "Watch more"
    order_now = "Order now"


class Angle(StrEnum):
    """What a variant leads with; a campaign's variants spread over these."""

    benefit = "benefit"
    feature = "feature"
    offer = "offer"
    social_proof = "social proof"
    urgency = "urgency"


Origin = Literal["generated", "typed"]


class AdText(BaseModel):
    """What a language model writes for one variant; the button comes from the list."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    headline: Annotated[str, Field(min_length=1, max_length=HEADLINE_MAX)]
    primary_text: Annotated[str, Field(min_length=1, max_length=PRIMARY_TEXT_MAX)]
    call_to_action: CallToAction


class Creative(BaseModel):
    """One draft variant. Lengths and the button are checked by review, not here."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)

    headline: Annotated[str, Field(min_length=1, max_length=500)]
    primary_text: Annotated[str, Field(min_length=1, max_length=2000)]
    call_to_action: Annotated[str, Field(min_length=1, max_length=40)]
    landing_url: Annotated[str, Field(min_length=1, max_length=2000)]
    origin: Origin = "typed"
    angle: Angle | None = None
    model: str | None = None  # the language model that wrote it, when generated

    @property
    def text(self) -> str:
        """Headline and primary text, as review reads them."""
        return f"{self.headline}\n{self.primary_text}"
