"""What the demo's brief-only advertisers tell Unifeed about their product.

One brief per product of the simulated marketplace (`PRODUCTS`), written
for the demo: the facts an ad may state, in plain sentences, as an
advertiser would type them into a campaign form. They name no price the
world does not know and promise nothing a review would reject; everything
else about the ad (headline, text, button, angle) is the language model's.
"""

from __future__ import annotations

from typing import Any

from unifeed.sim.advertisers import PRODUCTS, _slug

# Per topic of `PRODUCTS`: the brief's description.
DESCRIPTIONS: dict[str, str] = {
    "cooking": "A pre-seasoned cast-iron skillet for gas, electric and induction hobs and "
    "for the oven. It sears, bakes and fries, and lasts for decades.",
    "football": "A streaming pass for every league match, live or on replay, on your phone, "
    "tablet or TV. No contract: cancel whenever you like.",
    "gaming": "A wireless gamepad for consoles and PC with two remappable back buttons and "
    "a battery that charges over USB-C.",
    "gardening": "A monthly box of seasonal vegetable and flower seeds with peat-free "
    "compost and a sowing calendar for beginners.",
    "travel": "A cabin-size backpack that opens flat like a suitcase, with a padded laptop "
    "sleeve and a hidden pocket for your passport.",
    "fitness": "Three cast-iron kettlebells for training at home, with a wall chart of "
    "beginner workouts and a rack that keeps them tidy.",
    "music": "Over-ear headphones with noise cancelling, a warm studio sound and ear pads "
    "soft enough to wear all day.",
    "photography": "A fast 35 mm prime lens for portraits and street photography, with "
    "quiet autofocus for video.",
    "technology": "An aluminium stand that raises any laptop to eye level and folds flat "
    "into its own sleeve. No tools needed.",
    "fashion": "A tailored jacket in heavyweight denim that softens with every wear, cut "
    "in a workshop in Portugal.",
    "finance": "A budgeting app that sorts your spending into categories and tracks your "
    "savings goals in one place.",
    "parenting": "A light stroller that folds flat with one hand and fits in a small car "
    "boot, with a seat that reclines for naps.",
    "pets": "A monthly box of healthy treats for dogs, made with simple ingredients and "
    "no artificial colours.",
    "cars": "A full car service at your door: a mechanic comes to your home or office "
    "with the parts and sends you a report after.",
    "movies": "A streaming subscription with new independent films every week and a "
    "catalogue of classics, without adverts.",
    "science": "A beginner's telescope that shows the rings of Saturn and the craters of "
    "the Moon, with a sturdy tripod and a star map.",
}
TONE = "friendly, plain"


def brief_body(topic: str) -> dict[str, Any]:
    """The brief of the product of `topic`, as `POST /v1/campaigns` takes it."""
    brand, product, _, _ = PRODUCTS[topic]
    return {
        "product": product,
        "description": DESCRIPTIONS[topic],
        "landing_url": f"https://{_slug(brand)}.example",
        "tone": TONE,
        "language": "en",
    }
