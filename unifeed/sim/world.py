"""The simulated marketplace: users, creators, topics and every item they will post.

Everything is drawn up front from one seed, so the three arms of a run (and
two runs with the same seed) see exactly the same people and the same
content. Users carry latent topic interests, concentrated on a few topics, and
demographics that tilt those interests without determining them. Creators
post in one or two home topics; an item's text is a short post written mostly
from its topic's vocabulary, which is the only thing a ranker can use to place
an item nobody has touched yet.

The ground truth (interests, topics, quality) lives here and in
`unifeed.sim.response`; the production stack only ever sees what the API
accepts: ids, demographics, text, tags and kinds.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from unifeed.sim.topics import GENERIC, TOPICS

# (country, its language, population weight).
COUNTRIES: tuple[tuple[str, str, float], ...] = (
    ("US", "en", 0.26), ("GB", "en", 0.12), ("DE", "de", 0.12), ("FR", "fr", 0.1),
    ("ES", "es", 0.1), ("BR", "pt", 0.12), ("IN", "en", 0.1), ("JP", "ja", 0.08),
)  # fmt: skip
GENDERS: tuple[tuple[str, float], ...] = (("female", 0.49), ("male", 0.47), ("nonbinary", 0.04))

# Per topic: (young-vs-old tilt, female-vs-male tilt), both roughly in [-1, 1].
# Positive age tilt: more popular with older users; positive gender tilt: with women.
TILTS: dict[str, tuple[float, float]] = {
    "cooking": (0.3, 0.3), "football": (-0.2, -0.8), "gaming": (-1.0, -0.5),
    "gardening": (1.0, 0.3), "travel": (0.0, 0.1), "fitness": (-0.5, 0.0),
    "music": (-0.6, 0.0), "photography": (0.3, -0.1), "technology": (-0.3, -0.6),
    "fashion": (-0.4, 0.9), "finance": (0.6, -0.3), "parenting": (0.2, 0.6),
    "pets": (0.1, 0.4), "cars": (0.2, -0.9), "movies": (-0.2, 0.0), "science": (0.0, -0.2),
}  # fmt: skip

ITEM_KINDS: tuple[tuple[str, float], ...] = (("post", 0.7), ("video", 0.3))
START = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
# How busy each hour of the day is (UTC; relative): a social app's day, quiet
# before dawn and busiest in the evening, nine times the trough at its peak.
DIURNAL: tuple[float, ...] = (
    *(0.7, 0.45, 0.3, 0.2, 0.2, 0.3, 0.6, 1.0, 1.2, 1.1, 1.0, 1.0),
    *(1.2, 1.2, 1.0, 1.0, 1.1, 1.2, 1.4, 1.6, 1.8, 1.8, 1.5, 1.1),
)


def session_seconds(rng: np.random.Generator, n: int) -> np.ndarray:
    """(n,) sorted moments of the day (seconds after midnight) that follow DIURNAL."""
    p = np.array(DIURNAL) / sum(DIURNAL)
    hours = rng.choice(len(DIURNAL), size=n, p=p)
    return np.sort((hours + rng.random(n)) * 3600.0)


@dataclass(frozen=True)
class SimConfig:
    """Sizes and knobs of a simulated marketplace; every draw follows from `seed`."""

    seed: int = 0
    n_users: int = 600
    n_creators: int = 40
    n_topics: int = 12
    days: int = 8
    items_per_day: int = 150
    feed_size: int = 10
    # Share of users who open the app on a given day (drawn per user and day).
    active_share: float = 0.8
    # Items an active user also finds outside the feed each day (search, shares,
    # followed creators); the same in every arm. Without them a count-based
    # popularity ranker only ever learns about the items it chose to show.
    organic_per_day: int = 3
    # Dirichlet concentration of a user's interests, summed over topics: small
    # means a user cares about one to three topics.
    interest_concentration: float = 1.2
    # How strongly demographics tilt the interest prior (0: not at all).
    demographic_tilt: float = 0.8
    # Post text: words per post and the share drawn from the item's own topic,
    # from the generic list and (the rest) from a second topic.
    min_words: int = 8
    max_words: int = 15
    topic_word_share: float = 0.65
    generic_word_share: float = 0.2
    # Training of the model arm at the end of every day.
    train_epochs: int = 8
    # A wall-clock cap makes training, and so every later ranking, depend on
    # how busy the machine was; a simulation must replay exactly, so by
    # default only the epochs bound it.
    train_max_seconds: float | None = None
    train_dim: int = 32
    # Sessions follow the day's traffic (DIURNAL) instead of one even queue;
    # the ads benchmark turns it on, so pacing meets a real day's shape.
    diurnal: bool = False

    def __post_init__(self) -> None:
        positive = ("n_users", "n_creators", "n_topics", "days", "items_per_day", "feed_size")
        for name in positive:
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1, got {getattr(self, name)}")
        if not 2 <= self.n_topics <= len(TOPICS):
            raise ValueError(f"n_topics must be between 2 and {len(TOPICS)}, got {self.n_topics}")
        if self.feed_size > 100:
            raise ValueError(f"feed_size must be at most 100, got {self.feed_size}")
        if self.organic_per_day < 0:
            raise ValueError(f"organic_per_day must not be negative, got {self.organic_per_day}")
        if not 0 < self.active_share <= 1:
            raise ValueError(f"active_share must be in (0, 1], got {self.active_share}")
        if self.interest_concentration <= 0:
            raise ValueError("interest_concentration must be positive")
        if self.demographic_tilt < 0:
            raise ValueError("demographic_tilt must not be negative")
        if not 1 <= self.min_words <= self.max_words:
            raise ValueError("need 1 <= min_words <= max_words")
        shares = (self.topic_word_share, self.generic_word_share)
        if min(shares) < 0 or sum(shares) > 1:
            raise ValueError("topic_word_share and generic_word_share must be >= 0, sum <= 1")
        if self.train_epochs < 1 or self.train_dim < 1:
            raise ValueError("train_epochs and train_dim must be at least 1")
        if self.train_max_seconds is not None and self.train_max_seconds <= 0:
            raise ValueError("train_max_seconds must be positive")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class World:
    """Users, creators and all items of a run, as parallel arrays indexed by position."""

    config: SimConfig
    topics: tuple[str, ...]
    # users
    user_ids: tuple[str, ...]
    user_age: np.ndarray  # int
    user_gender: tuple[str, ...]
    user_country: tuple[str, ...]
    user_language: tuple[str, ...]
    interests: np.ndarray  # (n_users, n_topics), rows sum to 1 (hidden)
    # creators
    creator_ids: tuple[str, ...]
    creator_topics: np.ndarray  # (n_creators, 2) home topics (may repeat)
    # items, in posting order; items of day d are a contiguous block
    item_ids: tuple[str, ...]
    item_creator: np.ndarray  # index into creator_ids
    item_topic: np.ndarray  # main topic (hidden)
    item_topic2: np.ndarray  # second topic, a few words of the text (hidden)
    item_quality: np.ndarray  # standard-normal-ish (hidden)
    item_kind: tuple[str, ...]
    item_day: np.ndarray
    item_text: tuple[str, ...]

    @property
    def n_users(self) -> int:
        return len(self.user_ids)

    @property
    def n_items(self) -> int:
        return len(self.item_ids)

    def items_of_day(self, day: int) -> np.ndarray:
        return np.flatnonzero(self.item_day == day)

    def active_users(self, day: int) -> np.ndarray:
        """The users who open the app on `day`, in the order they do.

        Drawn from (seed, day) alone, so every arm sees the same users in the
        same order however the rankers behaved before.
        """
        rng = np.random.default_rng([self.config.seed, 1, day])
        active = np.flatnonzero(rng.random(self.n_users) < self.config.active_share)
        return rng.permutation(active)

    def user_payload(self, u: int) -> dict[str, Any]:
        """A user as `POST /v1/users` takes it: demographics only, never interests."""
        return {
            "id": self.user_ids[u],
            "age": int(self.user_age[u]),
            "gender": self.user_gender[u],
            "country": self.user_country[u],
            "language": self.user_language[u],
        }

    def item_payload(self, i: int) -> dict[str, Any]:
        """An item as `POST /v1/items` takes it: text, a tag and a kind, never quality."""
        c = int(self.item_creator[i])
        posted = START + dt.timedelta(days=int(self.item_day[i]), minutes=5 * (c % 60))
        return {
            "id": self.item_ids[i],
            "kind": self.item_kind[i],
            "author": self.creator_ids[c],
            "text": self.item_text[i],
            # The creator's own label for the post, as apps let creators tag.
            "tags": [self.topics[int(self.item_topic[i])]],
            "created_at": posted.strftime("%Y-%m-%dT%H:%M:%SZ"),
        }

    def summary(self) -> dict[str, Any]:
        top = self.interests.max(axis=1)
        covering = (np.sort(self.interests, axis=1)[:, ::-1].cumsum(axis=1) < 0.8).sum(axis=1) + 1
        share = np.bincount(self.item_topic, minlength=len(self.topics)) / max(1, self.n_items)
        return {
            "users": self.n_users,
            "creators": len(self.creator_ids),
            "topics": list(self.topics),
            "items": self.n_items,
            "items_per_day": self.config.items_per_day,
            "days": self.config.days,
            "mean_top_interest": float(top.mean()),
            "mean_topics_for_80pct_interest": float(covering.mean()),
            "topic_item_share": {t: float(s) for t, s in zip(self.topics, share, strict=True)},
            "mean_interest": {
                t: float(v) for t, v in zip(self.topics, self.interests.mean(axis=0), strict=True)
            },
        }


def build_world(config: SimConfig) -> World:
    """The seeded world of `config`: the same seed always gives the same world."""
    rng = np.random.default_rng([config.seed, 0])
    k = config.n_topics
    names = list(TOPICS)
    chosen = np.sort(rng.choice(len(names), size=k, replace=False))
    topics = tuple(names[t] for t in chosen)
    vocab = [TOPICS[t].split() for t in topics]

    users = _users(config, rng, topics)
    creators = _creators(config, rng)
    items = _items(config, rng, creators[1], vocab)
    return World(config, topics, *users, *creators, *items)


def _users(config: SimConfig, rng: np.random.Generator, topics: tuple[str, ...]) -> tuple:
    n, k = config.n_users, len(topics)
    age = np.clip(np.round(16 + rng.gamma(3.0, 8.0, size=n)), 16, 85).astype(np.int64)
    gender = rng.choice([g for g, _ in GENDERS], size=n, p=[w for _, w in GENDERS])
    weights = np.array([w for *_, w in COUNTRIES])
    country_idx = rng.choice(len(COUNTRIES), size=n, p=weights / weights.sum())
    # Most people use their country's language; some use English anyway.
    english = rng.random(n) < 0.15
    language = ["en" if english[u] else COUNTRIES[country_idx[u]][1] for u in range(n)]

    # The interest prior: a base popularity per topic (some topics are broadly
    # liked, which popularity can exploit), tilted by age, gender and country.
    base = rng.normal(0.0, 0.5, size=k)
    age_t = np.array([TILTS[t][0] for t in topics])
    gender_t = np.array([TILTS[t][1] for t in topics])
    country_t = rng.normal(0.0, 0.5, size=(len(COUNTRIES), k))
    age_z = ((age - 38.0) / 15.0)[:, None]
    g = np.select([gender == "female", gender == "male"], [1.0, -1.0], 0.0)[:, None]
    logits = base + config.demographic_tilt * (
        age_z * age_t + g * gender_t + country_t[country_idx]
    )
    prior = np.exp(logits - logits.max(axis=1, keepdims=True))
    prior /= prior.sum(axis=1, keepdims=True)
    alpha = np.maximum(config.interest_concentration * prior, 1e-3)
    interests = np.stack([rng.dirichlet(a) for a in alpha])

    width = len(str(n - 1))
    return (
        tuple(f"user{u:0{width}d}" for u in range(n)),
        age,
        tuple(str(x) for x in gender),
        tuple(COUNTRIES[c][0] for c in country_idx),
        tuple(language),
        interests,
    )


def _creators(config: SimConfig, rng: np.random.Generator) -> tuple:
    n, k = config.n_creators, config.n_topics
    # Every topic gets creators before any topic gets a second one, so no
    # topic is left without content in a small world.
    first = np.resize(rng.permutation(k), n)
    second = np.where(rng.random(n) < 0.5, first, rng.integers(0, k, size=n))
    width = len(str(n - 1))
    return tuple(f"creator{c:0{width}d}" for c in range(n)), np.stack([first, second], axis=1)


def _items(
    config: SimConfig, rng: np.random.Generator, creator_topics: np.ndarray, vocab: list[list[str]]
) -> tuple:
    n_creators, k = len(creator_topics), config.n_topics
    n = config.days * config.items_per_day
    creator_quality = rng.normal(0.0, 0.6, size=n_creators)
    # Prolific creators post more: a skewed share of each day's posts.
    activity = rng.dirichlet(np.full(n_creators, 2.0))
    creator = rng.choice(n_creators, size=n, p=activity)
    # Mostly the creator's first home topic, sometimes the second, rarely anything.
    pick = rng.random(n)
    topic = np.where(
        pick < 0.65,
        creator_topics[creator, 0],
        np.where(pick < 0.9, creator_topics[creator, 1], rng.integers(0, k, size=n)),
    )
    topic2 = (topic + rng.integers(1, k, size=n)) % k
    quality = creator_quality[creator] + rng.normal(0.0, 0.8, size=n)
    kind_names = [name for name, _ in ITEM_KINDS]
    kind = rng.choice(kind_names, size=n, p=[w for _, w in ITEM_KINDS])
    day = np.repeat(np.arange(config.days), config.items_per_day)
    text = tuple(_post_text(config, rng, vocab[topic[i]], vocab[topic2[i]]) for i in range(n))
    width = len(str(n - 1))
    return (
        tuple(f"item{i:0{width}d}" for i in range(n)),
        creator,
        topic,
        topic2,
        quality,
        tuple(str(x) for x in kind),
        day,
        text,
    )


def _post_text(
    config: SimConfig, rng: np.random.Generator, main: list[str], second: list[str]
) -> str:
    n_words = int(rng.integers(config.min_words, config.max_words + 1))
    source = rng.random(n_words)
    generic_cut = config.topic_word_share + config.generic_word_share
    words = [
        main[rng.integers(len(main))]
        if s < config.topic_word_share
        else GENERIC[rng.integers(len(GENERIC))]
        if s < generic_cut
        else second[rng.integers(len(second))]
        for s in source
    ]
    return " ".join(words).capitalize()
