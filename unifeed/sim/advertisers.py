"""Advertisers of the simulated marketplace, and how users respond to their ads.

Each advertiser sells one product that belongs to one topic of the world
(hidden from the service, which sees only the campaign and its ad texts).
People respond to an ad as to any post of that topic (`ResponseModel`), and
after a click some go on to the advertiser's own goal: a lead, an install or
a purchase, more often the more they care for the topic:

    p(conversion | click) = σ(conversion_bias[action] + conversion_affinity · affinity)

Ads wear out: each earlier view of the same advertiser's ads (any of its
creatives) multiplies p(click) by `wearout`, the decline of click-through
with repeated exposure that field studies of display ads report. Without it
a campaign shown to the same few people over and over would lose nothing by
it, which flatters narrow targeting.

The manual targeting of the benchmark's baseline is what an advertiser of
the product would have picked from the topic's audience stereotype (older or
younger, women or men), as advertisers did before delivery chose the audience.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from unifeed.sim.adtext import AdTextResponse
from unifeed.sim.response import ResponseModel
from unifeed.sim.world import GENERIC, TILTS, TOPICS, World

CURRENCY = "EUR"  # every simulated advertiser's budget, and its purchases' values
# Per topic: (brand, product, one-line description, typical order value in cents).
PRODUCTS: dict[str, tuple[str, str, str, int]] = {
    "cooking": ("Copperleaf", "Copperleaf skillet", "a cast-iron pan for every hob", 4900),
    "football": ("Matchday+", "Matchday+ pass", "every league match, live", 1999),
    "gaming": ("Pixelforge", "Pixelforge controller", "a pro gamepad for every console", 5999),
    "gardening": ("Greenroot", "Greenroot seed box", "a month of seeds and compost", 2499),
    "travel": ("Wayfarer", "Wayfarer backpack", "a carry-on that fits everything", 8900),
    "fitness": ("Ironclad", "Ironclad kettlebell set", "three kettlebells for home workouts", 6900),
    "music": ("Tonehaus", "Tonehaus headphones", "studio sound, all day", 12900),
    "photography": ("Lumen", "Lumen prime lens", "a fast 35 mm for portraits", 29900),
    "technology": (
        "Circuitry",
        "Circuitry laptop stand",
        "an aluminium stand for any laptop",
        3900,
    ),
    "fashion": ("Atelier Nord", "Atelier Nord jacket", "a tailored denim jacket", 11900),
    "finance": ("Ledgerly", "Ledgerly app", "budgets and savings in one app", 999),
    "parenting": ("Littlesteps", "Littlesteps stroller", "a light stroller that folds flat", 24900),
    "pets": ("Pawsome", "Pawsome treat box", "healthy treats every month", 1999),
    "cars": ("Torqueline", "Torqueline service", "a full service at your door", 14900),
    "movies": ("Reelhouse", "Reelhouse subscription", "new films every week", 1299),
    "science": ("Starfield", "Starfield telescope", "see the rings of Saturn", 39900),
}

# What each objective asks of the simulated people: the action that is the
# result, and whether it happens off the platform after a click.
CONVERSIONS: dict[str, str] = {"leads": "lead", "app_promotion": "install", "sales": "purchase"}
# p(click) of a view over that of the view before it, of the same advertiser's ads.
WEAROUT = 0.7


@dataclass(frozen=True)
class ConversionModel:
    """The hidden p(conversion | click) of the module docstring."""

    bias: dict[str, float] = field(
        default_factory=lambda: {"lead": -1.4, "install": -1.0, "purchase": -2.2}
    )
    affinity: float = 4.0
    # Seconds from the click to the conversion, at most.
    max_delay_s: int = 3 * 3600

    def p(self, action: str, aff: np.ndarray) -> np.ndarray:
        return 1.0 / (1.0 + np.exp(-(self.bias[action] + self.affinity * aff)))


@dataclass(frozen=True)
class Advertiser:
    id: str
    name: str
    topic: int  # index into world.topics (hidden from the service)
    objective: str
    bid_strategy: dict[str, Any]  # as the API takes it
    texts: tuple[str, ...]  # the ad texts it supplies
    order_value_minor: int  # typical purchase value (sales)
    campaign_name: str

    def targeting(self, world: World) -> dict[str, Any]:
        """The age and gender groups an advertiser would have picked by hand.

        The rule of thumb reads the product's topic stereotype: a topic that
        skews older gets 35 and over, younger gets 16 to 34, neither gets the
        25 to 54 core; a topic that skews female or male gets that gender.
        """
        age_tilt, gender_tilt = TILTS[world.topics[self.topic]]
        lo, hi = (35, 120) if age_tilt > 0.25 else (16, 34) if age_tilt < -0.25 else (25, 54)
        genders = (
            ["female"]
            if gender_tilt > 0.25
            else ["male"]
            if gender_tilt < -0.25
            else ["female", "male"]
        )
        return {"age_min": lo, "age_max": hi, "genders": genders}

    def campaign_body(
        self, world: World, budget_minor: int, start: str, end: str
    ) -> dict[str, Any]:
        """The campaign as the advertiser posts it: objective, budget, schedule, brief."""
        brand, product, description, _ = PRODUCTS[world.topics[self.topic]]
        return {
            "name": self.campaign_name,
            "objective": self.objective,
            "budget": {"amount_minor": budget_minor, "currency": CURRENCY, "kind": "lifetime"},
            "schedule": {"start": start, "end": end},
            "bid_strategy": self.bid_strategy,
            "brief": {
                "product": product,
                "description": description,
                "landing_url": f"https://{_slug(brand)}.example",
            },
            "audience_suggestion": self.targeting(world),
        }


# The benchmark's advertisers: one highest-volume campaign per objective, and
# two holding a cost per result goal (goals set by the benchmark).
OBJECTIVE_PLAN: tuple[tuple[str, str], ...] = (
    ("awareness", "highest_volume"),
    ("traffic", "highest_volume"),
    ("engagement", "highest_volume"),
    ("leads", "highest_volume"),
    ("app_promotion", "highest_volume"),
    ("sales", "highest_volume"),
    ("traffic", "cost_per_result"),
    ("leads", "cost_per_result"),
)


def build_advertisers(
    world: World, cost_goals_minor: dict[str, int], creatives: int = 3
) -> list[Advertiser]:
    """One advertiser per entry of OBJECTIVE_PLAN, each on its own topic of the world.

    `cost_goals_minor` gives the goal of each cost-per-result objective.
    """
    if len(world.topics) < len(OBJECTIVE_PLAN):
        raise ValueError(f"the ads market needs at least {len(OBJECTIVE_PLAN)} topics")
    rng = np.random.default_rng([world.config.seed, 5])
    topics = rng.permutation(len(world.topics))[: len(OBJECTIVE_PLAN)]
    out = []
    for k, ((objective, strategy), t) in enumerate(zip(OBJECTIVE_PLAN, topics, strict=True)):
        topic = world.topics[int(t)]
        brand, product, _, value = PRODUCTS[topic]
        bid: dict[str, Any] = {"type": strategy}
        if strategy == "cost_per_result":
            bid["cost_per_result_minor"] = cost_goals_minor[objective]
        texts = tuple(_ad_text(rng, product, TOPICS[topic].split()) for _ in range(creatives))
        out.append(
            Advertiser(
                id=f"adv{k}",
                name=brand,
                topic=int(t),
                objective=objective,
                bid_strategy=bid,
                texts=texts,
                order_value_minor=value,
                campaign_name=f"{product}: {objective.replace('_', ' ')} ({strategy})",
            )
        )
    return out


def _slug(brand: str) -> str:
    return brand.lower().replace(" ", "-").replace("+", "plus")


def _ad_text(rng: np.random.Generator, product: str, vocab: list[str]) -> str:
    words = [
        vocab[rng.integers(len(vocab))]
        if rng.random() < 0.75
        else GENERIC[rng.integers(len(GENERIC))]
        for _ in range(int(rng.integers(8, 13)))
    ]
    return f"{product}: " + " ".join(words)


class AdResponses:
    """How a user responds to the n-th time they see an advertiser's creative."""

    def __init__(
        self,
        world: World,
        response: ResponseModel,
        conversions: ConversionModel | None = None,
        wearout: float = WEAROUT,
        text: AdTextResponse | None = None,
    ) -> None:
        if not 0.0 < wearout <= 1.0:
            raise ValueError(f"wearout must be in (0, 1], got {wearout}")
        self.world = world
        self.response = response
        self.conversions = conversions or ConversionModel()
        self.wearout = wearout
        # None: people ignore the ad's text (the ads benchmark's world).
        self.text = text

    def affinity(self, user: int, adv: Advertiser) -> float:
        theta = self.world.interests[user]
        return float(theta[adv.topic] * (1.0 + self.response.secondary))

    def respond(
        self,
        user: int,
        adv: Advertiser,
        creative: str,
        nth: int,
        exposures: int = 0,
        text: str | None = None,
    ) -> tuple[list[str], tuple[str, float, float] | None]:
        """(on-platform actions, (conversion action, delay in seconds, value) or None).

        `creative`: the advertiser's own name for the creative, the same in
        every arm; `nth`: earlier views of this creative by this user;
        `exposures`: earlier views of any of the advertiser's creatives (the
        wear-out); `text`: the creative's text, which moves p(click) when the
        world reads ad texts (`unifeed.sim.adtext`). Decided by uniforms
        hashed from (seed, user, creative, nth), so the same person seeing
        the same ad for the same time reacts alike in every arm of a benchmark.
        """
        u = _uniforms(self.world.config.seed, self.world.user_ids[user], creative, nth)
        aff = np.array([self.affinity(user, adv)])
        p = self.response.probabilities_of(aff, np.zeros(1), np.zeros(1))
        p_click = float(p["click"][0])
        if self.text is not None and text is not None:
            brand = PRODUCTS[self.world.topics[adv.topic]][0]
            logit = np.log(p_click / (1.0 - p_click)) + self.text.offset(user, text, brand)
            p_click = float(1.0 / (1.0 + np.exp(-logit)))
        if u[0] >= p_click * self.wearout**exposures:
            return (["hide"] if u[3] < p["hide"][0] else []), None
        acts = ["click"]
        if u[1] < p["like"][0]:
            acts.append("like")
        if u[2] < p["long_view"][0]:
            acts.append("long_view")
        action = CONVERSIONS.get(adv.objective)
        if action is None or u[4] >= self.conversions.p(action, aff)[0]:
            return acts, None
        delay = 60.0 + u[5] * (self.conversions.max_delay_s - 60)
        value = 0.0
        if action == "purchase":
            # A basket around the typical order: from half to twice it.
            value = float(round(adv.order_value_minor * 2.0 ** (2 * u[6] - 1)))
        return acts, (action, delay, value)


def _uniforms(seed: int, user_id: str, creative: str, nth: int) -> np.ndarray:
    digest = hashlib.blake2b(
        f"{seed}\x1f{user_id}\x1f{creative}\x1f{nth}".encode(),
        digest_size=32,
        person=b"unifeed-sim-ads",
    ).digest()
    return np.frombuffer(digest, dtype="<u4").astype(np.float64) / 2.0**32
