"""The prompt that asks a language model for one variant of a campaign's ad.

Small models follow short, concrete instructions best, so the prompt is the
brief's own facts, the tone, the language and one angle, with the rules an ad
must keep. The angle comes last, alone: every variant of a campaign then
shares the prompt up to it, and llama.cpp keeps that prefix instead of reading
it again.
"""

from __future__ import annotations

from unifeed.creative.brief import LANGUAGES, Brief
from unifeed.creative.variant import Angle, CallToAction
from unifeed.llm import Message

__all__ = ["ANGLE_HINTS", "calls_to_action", "messages"]

ANGLE_HINTS: dict[Angle, str] = {
    Angle.benefit: "what the product does for the buyer",
    Angle.feature: "one concrete feature from the facts",
    Angle.offer: "the price or the offer stated in the facts",
    Angle.social_proof: "who it suits and why, without inventing reviews, ratings or numbers",
    Angle.urgency: "acting soon, using only a date or a limit stated in the facts",
}

# Buttons that fit each objective; any button on the list is allowed without one.
_BUTTONS: dict[str, tuple[CallToAction, ...]] = {
    "sales": (
        CallToAction.shop_now,
        CallToAction.order_now,
        CallToAction.get_offer,
        CallToAction.learn_more,
    ),
    "leads": (
        CallToAction.sign_up,
        CallToAction.contact_us,
        CallToAction.get_quote,
        CallToAction.apply_now,
        CallToAction.book_now,
        CallToAction.learn_more,
    ),
    "app_promotion": (CallToAction.download, CallToAction.sign_up, CallToAction.learn_more),
    "traffic": (CallToAction.learn_more, CallToAction.shop_now, CallToAction.watch_more),
    "engagement": (CallToAction.learn_more, CallToAction.watch_more, CallToAction.subscribe),
    "awareness": (CallToAction.learn_more,),
}


def calls_to_action(brief: Brief) -> tuple[CallToAction, ...]:
    """The buttons a generated variant may carry for this brief's objective."""
    return _BUTTONS.get(brief.objective or "", tuple(CallToAction))


def _system(brief: Brief) -> str:
    language = LANGUAGES[brief.language]
    return (
        f"You write one short online ad in {language}, as JSON. "
        f"headline: 3 to 6 words that name {brief.product_name}. "
        "primary_text: one sentence about the angle, different from the headline. "
        "Use only facts from the brief: no other numbers, prices, awards or claims. "
        "Do not promise results, health or money, and do not ask about the reader's "
        "health, age, weight or money. No capitals for emphasis, at most one '!'."
    )


def messages(brief: Brief, angle: Angle, audience: str = "") -> list[Message]:
    """The brief goes in the system message and the angle alone in the last one.

    Every variant of a campaign then shares all but the last message, which the
    embedded back-end evaluates once and keeps (unifeed/llm/embedded.py).
    `audience` names who the variant is for (`unifeed.creative.audience`); it
    goes in the last message too, so the shared prefix stays the same.
    """
    brief_text = (
        f"Product: {brief.product_name} ({brief.product})\n"
        f"Facts: {brief.description}\n"
        f"Tone: {brief.tone or 'plain'}\n"
        f"Language: {LANGUAGES[brief.language]}"
    )
    return [
        Message("system", f"{_system(brief)}\n\n{brief_text}"),
        Message("user", f"Write the ad. Angle: {ANGLE_HINTS[angle]}.{_for(audience)}"),
    ]


def _for(audience: str) -> str:
    if not audience.strip():
        return ""
    return f" Write it for {audience.strip()}, in words they use."
