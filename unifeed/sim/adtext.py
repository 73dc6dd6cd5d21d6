"""The hidden response to an ad's text: angles, topic words and quality, per person.

The simulator reads an ad's text by its own means (the word lists and
patterns below), never with the production encoder or the review's lexicon,
so a system that scores text well is graded by something it cannot see.
An ad's click logit gets an offset

    offset(u, text) = angle(u, text) + TOPIC_WEIGHT · Σ_t θ_u[t] · match_t(text) + quality(text)

angle      the mean of the person's hidden preference for each angle the text
           uses (benefit, feature, offer, social proof, urgency; 0 when it uses
           none). Preferences are drawn per person: N(0, ANGLE_SPREAD), plus an
           age tilt (younger people lean to urgency and social proof, older to
           features and benefits). Averaging, not summing, means stuffing every
           angle into one text buys nothing: only matching the person does.
match_t    min(words of topic t's vocabulary in the text, 2) / 2, for every
           topic of the world; θ_u are the person's hidden interests, so a text
           that speaks a person's topics draws them more, whatever the product.
quality    penalties: the brand not named (NOT_NAMED), over length (a headline
           line over 40 characters, the rest over 125, or one line over 165:
           OVER_LENGTH), and UNREADABLE × the share of readability checks
           failed (mostly letters; no word three times; word length 3 to 9 on
           average; at most 30% capitals; at least four words).

`text_blind` gives the control world: the offset is 0 for every text, so
anything an arm gains there comes from the simulator's noise, not from text.
These rules were fixed before any arm of `bench/creatives.py` was run.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from unifeed.sim.topics import TOPICS
from unifeed.sim.world import World

ANGLES: tuple[str, ...] = ("benefit", "feature", "offer", "social_proof", "urgency")

# What marks each angle in a text, written for the simulator alone.
ANGLE_PATTERNS: dict[str, re.Pattern[str]] = {
    name: re.compile(pattern, re.IGNORECASE)
    for name, pattern in {
        "benefit": r"\b(you|your|yours|enjoy\w*|easy|easier|effortless\w*|help\w*|"
        r"makes?|feel\w*|comfort\w*|relax\w*|simpl\w*|without|every day|all day|"
        r"free up|more time|less time|hassle)\b",
        "feature": r"\b(made|built|crafted|design\w*|fits?|folds?|weighs?|lightweight|"
        r"aluminium|aluminum|steel|iron|denim|fabric|material|includes?|inside|"
        r"battery|sound|lens|mm|features?|comes with|holds?|compact|durable)\b",
        "offer": r"(\b(free|discount\w*|deal|deals|offer\w*|price\w*|save|saving|trial|"
        r"gift|bonus|off|per month|a month|subscribe)\b|[€$£%])",
        "social_proof": r"\b(loved|love it|favourite|favorite|people|customers|fans|"
        r"join\w*|reviews?|rated|popular|everyone|community|trusted|thousands|"
        r"chosen|recommended|others|friends|cooks|gamers|gardeners|travellers|"
        r"runners|parents|owners|listeners|photographers|readers)\b",
        "urgency": r"\b(now|today|tonight|soon|limited|last|ends?|ending|hurry|before|"
        r"don'?t miss|miss out|while|this week|this weekend|quick\w*|fast|"
        r"right away|immediately|instantly|starts?)\b",
    }.items()
}
# Younger (-) or older (+) people's lean to each angle, per standard deviation of age.
ANGLE_AGE_TILT: dict[str, float] = {
    "benefit": 0.15,
    "feature": 0.3,
    "offer": 0.0,
    "social_proof": -0.2,
    "urgency": -0.3,
}
ANGLE_SPREAD = 0.5  # sd of a person's preference for an angle (logit)
TOPIC_WEIGHT = 1.0  # logit per unit of interest in a fully matched topic
NOT_NAMED = 0.6
OVER_LENGTH = 0.5
UNREADABLE = 0.6
HEADLINE_MAX, BODY_MAX, ONE_LINE_MAX = 40, 125, 165

_WORD = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)?")


def _stem(word: str) -> str:
    w = word.casefold()
    return w[:-1] if len(w) > 3 and w.endswith("s") else w


@dataclass(frozen=True)
class TextReading:
    """What the simulator reads in one ad text (the same for every person)."""

    angles: tuple[str, ...]  # the angles it uses
    topic_match: np.ndarray  # (n_topics,) in [0, 1]
    named: bool
    within_length: bool
    readability: float  # share of checks passed, in [0, 1]

    @property
    def quality(self) -> float:
        """The quality term of the offset (0 at best, negative otherwise)."""
        return -(
            NOT_NAMED * (not self.named)
            + OVER_LENGTH * (not self.within_length)
            + UNREADABLE * (1.0 - self.readability)
        )


def angles_of(text: str) -> tuple[str, ...]:
    return tuple(a for a in ANGLES if ANGLE_PATTERNS[a].search(text))


def within_length(text: str) -> bool:
    lines = [x.strip() for x in text.strip().split("\n") if x.strip()]
    if len(lines) <= 1:
        return len(text.strip()) <= ONE_LINE_MAX
    return len(lines[0]) <= HEADLINE_MAX and len(" ".join(lines[1:])) <= BODY_MAX


def readability(text: str) -> float:
    """The share of five plain checks a text passes (see the module docstring)."""
    words = _WORD.findall(text)
    chars = [c for c in text if not c.isspace()]
    letters = [c for c in chars if c.isalpha()]
    counts: dict[str, int] = {}
    for w in words:
        if len(w) >= 3:
            counts[w.casefold()] = counts.get(w.casefold(), 0) + 1
    mean_len = sum(map(len, words)) / len(words) if words else 0.0
    checks = (
        len(letters) >= 0.75 * max(len(chars), 1),
        max(counts.values(), default=0) <= 2,
        3.0 <= mean_len <= 9.0,
        sum(c.isupper() for c in letters) <= 0.3 * max(len(letters), 1),
        len(words) >= 4,
    )
    return sum(checks) / len(checks)


class AdTextResponse:
    """The offset of the module docstring, for the people of one world."""

    def __init__(self, world: World, text_blind: bool = False) -> None:
        self.world = world
        self.text_blind = text_blind
        self._read: dict[tuple[str, str], TextReading] = {}

    @cached_property
    def angle_preference(self) -> np.ndarray:
        """(n_users, len(ANGLES)) each person's hidden lean to each angle (logit)."""
        w = self.world
        rng = np.random.default_rng([w.config.seed, 11])
        base = rng.normal(0.0, ANGLE_SPREAD, size=(w.n_users, len(ANGLES)))
        age_z = (w.user_age.astype(np.float64) - 38.0) / 15.0
        tilt = np.array([ANGLE_AGE_TILT[a] for a in ANGLES])
        return base + age_z[:, None] * tilt[None, :]

    @cached_property
    def _vocab(self) -> list[frozenset[str]]:
        return [frozenset(_stem(x) for x in TOPICS[t].split()) for t in self.world.topics]

    def read(self, text: str, brand: str) -> TextReading:
        key = (text, brand)
        if key not in self._read:
            self._read[key] = self._reading(text, brand)
        return self._read[key]

    def _reading(self, text: str, brand: str) -> TextReading:
        stems = [_stem(x) for x in _WORD.findall(text)]
        match = np.array([min(sum(s in v for s in stems), 2) / 2.0 for v in self._vocab])
        named = re.search(rf"(?<!\w){re.escape(brand)}(?!\w)", text, re.IGNORECASE) is not None
        return TextReading(angles_of(text), match, named, within_length(text), readability(text))

    def offset(self, user: int, text: str, brand: str) -> float:
        """What this text adds to `user`'s click logit for an ad of `brand`."""
        if self.text_blind:
            return 0.0
        r = self.read(text, brand)
        pref = self.angle_preference[user]
        angle = float(np.mean([pref[ANGLES.index(a)] for a in r.angles])) if r.angles else 0.0
        topic = TOPIC_WEIGHT * float(self.world.interests[user] @ r.topic_match)
        return angle + topic + r.quality
