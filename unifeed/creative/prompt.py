"""The prompt that asks a language model for one variant of a campaign's ad.

Small models copy better than they obey, so the prompt has no rules in it to
copy: a one-line system message, two worked examples for made-up products
(`unifeed.creative.examples`), then the brief laid out as the examples are,
with only the facts the variant's angle leads with. An angle is thus a
choice of facts (the price and the offer, a feature, a date), not an
instruction such as "one concrete feature from the facts", which the model
used to print as the ad. One or two facts also make a short answer: given
the whole description, the model copied it until the length limit cut it.

The brief's tone is left out: SmolLM2 printed its words as the ad
("Ledgerly: a crisp", from the tone "crisp, professional"), which is worse
than no tone.

The system message and the examples are the same for every campaign in a
language; the embedded back-end evaluates them once and keeps them
(unifeed/llm/embedded.py), so a variant costs only its own facts and answer.
"""

from __future__ import annotations

import json
import re

from unifeed.creative.brief import LANGUAGES, Brief
from unifeed.creative.examples import EXAMPLES, LABELS, Example
from unifeed.creative.variant import Angle, CallToAction
from unifeed.llm import Message

__all__ = ["button_for", "calls_to_action", "facts_for", "messages"]

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

# What marks a sentence of the brief as leading with an angle, in the four
# languages. A sentence that matches nothing still serves, in the brief's order.
_CUES: dict[Angle, re.Pattern[str]] = {
    Angle.offer: re.compile(
        r"[£$€%]|\b(free|price|off|code|trial|offer|discount|gratuit\w*|offert\w*|prix|"
        r"essai|remise|dès|kostenlos|gratis|preis|angebot|rabatt|versandkostenfrei|ab|"
        r"precio|oferta|prueba|descuento)\b",
        re.IGNORECASE,
    ),
    Angle.urgency: re.compile(
        r"\b(until|before|only|today|tonight|limited|next|by|now|this (week|month)|jusqu|avant|"
        r"seulement|prochaine|bis|vor|nur|nächste|hasta|solo|antes|próxima)\b",
        re.IGNORECASE,
    ),
    Angle.social_proof: re.compile(
        r"★|\b(rated|reviews?|customers|award|prize|survey|stars?|users|members|clients|"
        r"avis|jury|inscrits|kunden|bewertung|clientes|reseñas|premio|oro|gold)\b",
        re.IGNORECASE,
    ),
    Angle.feature: re.compile(r"\d"),
}
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=\S)")


def calls_to_action(brief: Brief) -> tuple[CallToAction, ...]:
    """The buttons a generated variant may carry for this brief's objective."""
    return _BUTTONS.get(brief.objective or "", tuple(CallToAction))


def button_for(brief: Brief, angle: Angle) -> CallToAction:
    """The button a variant carries: the objective's first, or "Get offer" for the offer angle.

    Unifeed picks it rather than the model: SmolLM2 drew it at random from the
    objective's list (its choice read nothing of the ad), and leaving it out of
    the answer saves a tenth of a variant's time (unifeed/llm/fields.py: a
    value the schema fixes is never decoded).
    """
    buttons = calls_to_action(brief)
    if angle is Angle.offer and CallToAction.get_offer in buttons:
        return CallToAction.get_offer
    return buttons[0]


def facts_for(brief: Brief, angle: Angle, slot: int = 0) -> str:
    """The sentence of the brief this angle leads with; the angles of a round differ.

    The benefit leads with the first sentence (what the product is and does);
    then offer, urgency, social proof and feature each take the first sentence
    not yet taken that carries their cue (a price, a date, a survey, a
    figure), or else the first not yet taken; once all are taken, the least
    taken. A campaign with more slots than
    angles starts the next round one sentence further on.
    """
    sentences = [s.strip() for s in _SENTENCE_END.split(brief.description) if s.strip()]
    if not sentences:
        return brief.description
    shift = (slot // len(Angle)) % len(sentences)
    sentences = sentences[shift:] + sentences[:shift]
    uses = dict.fromkeys(sentences, 0)
    for a in _PICK_ORDER:
        fewest = min(uses.values())
        free = [s for s in sentences if uses[s] == fewest]
        cued = [s for s in free if a is not Angle.benefit and _CUES[a].search(s)]
        pick = (cued or free)[0]
        if a is angle:
            return pick
        uses[pick] += 1
    raise AssertionError(angle)  # every angle is in _PICK_ORDER


_PICK_ORDER = (Angle.benefit, Angle.offer, Angle.urgency, Angle.social_proof, Angle.feature)


def _card(language: str, product_name: str, product: str, facts: str, audience: str = "") -> str:
    label = LABELS[language]
    # A product line that only repeats the name ("Pixelforge controller
    # (Pixelforge controller)", as the API's briefs have it) costs tokens and says nothing.
    named = (
        product_name
        if product.casefold() == product_name.casefold()
        else (f"{product_name} ({product})")
    )
    lines = [f"{label.product}: {named}", f"{label.facts}: {facts}"]
    if audience.strip():
        lines.append(f"{label.audience}: {audience.strip()}")
    return "\n".join(lines)


def _answer(example: Example) -> str:
    return json.dumps(
        {
            "headline": example.headline,
            "primary_text": example.primary_text,
            "call_to_action": example.call_to_action,
        },
        ensure_ascii=False,
    )


def shared_messages(language: str) -> list[Message]:
    """The system message and the worked examples: the same for every brief in `language`."""
    out = [Message("system", f"You write short online ads in {LANGUAGES[language]}, as JSON.")]
    for ex in EXAMPLES[language]:
        out.append(Message("user", _card(language, ex.product_name, ex.product, ex.facts)))
        out.append(Message("assistant", _answer(ex)))
    return out


def messages(brief: Brief, angle: Angle, audience: str = "", slot: int = 0) -> list[Message]:
    """The shared start, then the brief's card with the facts for this angle.

    `audience` names who the variant is for (`unifeed.creative.audience`).
    """
    card = _card(
        brief.language,
        brief.product_name,
        brief.product,
        facts_for(brief, angle, slot),
        audience,
    )
    return [*shared_messages(brief.language), Message("user", card)]
