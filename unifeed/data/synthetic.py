"""A small generated data set whose next item is predictable, plus its control.

Items sit on cyclic "chains", one topic per chain; each user walks one chain
from a random start, so the next item is a fixed function of the current one
and the item text names the chain's topic. A model that learns anything should
beat popularity here by a wide margin, and should fail on the shuffled control.
"""

from __future__ import annotations

import numpy as np

from unifeed.data.interactions import Interactions

# One topic and its words per chain; chains past the list reuse topics with a
# number so that text still separates chains.
TOPICS: tuple[tuple[str, ...], ...] = (
    ("cooking", "recipe", "kitchen", "spices"),
    ("football", "match", "goal", "league"),
    ("jazz", "saxophone", "improvisation", "swing"),
    ("astronomy", "telescope", "galaxy", "orbit"),
    ("gardening", "seeds", "compost", "roses"),
    ("chess", "opening", "endgame", "gambit"),
    ("surfing", "waves", "board", "beach"),
    ("painting", "canvas", "brush", "watercolor"),
    ("cycling", "bike", "climb", "sprint"),
    ("photography", "lens", "exposure", "portrait"),
)

# The share of posts, videos and ads among items, roughly as in a mixed feed.
_KIND_SHARES: dict[str, float] = {"post": 0.6, "video": 0.3, "ad": 0.1}
_START_TIME = 1_700_000_000  # 2023-11-14, an arbitrary fixed epoch


def make_synthetic(
    n_users: int = 200,
    n_items: int = 120,
    seq_len: int = 20,
    *,
    n_chains: int = 6,
    seed: int = 0,
    shuffled: bool = False,
    with_text: bool = True,
    name: str | None = None,
) -> Interactions:
    """Users walking item chains; deterministic given `seed`.

    Item ``i{k}`` belongs to chain ``k % n_chains`` and is followed by the
    next item of that chain, cyclically. Every user has `seq_len` events with
    strictly increasing timestamps. With ``shuffled=True`` each user's items
    are drawn uniformly at random instead (the same lengths, times, texts and
    kinds), so nothing predicts the next item. Items nobody visits are absent
    from the table.
    """
    if n_users < 1 or seq_len < 1:
        raise ValueError(f"need n_users >= 1 and seq_len >= 1, got {n_users} and {seq_len}")
    if n_chains < 1 or n_items < 2 * n_chains:
        raise ValueError(
            f"need n_chains >= 1 and at least 2 items per chain, "
            f"got n_items={n_items}, n_chains={n_chains}"
        )
    rng = np.random.default_rng(seed)

    # Chain c holds items c, c + n_chains, c + 2 n_chains, ...
    chains = [np.arange(c, n_items, n_chains) for c in range(n_chains)]
    user_chain = rng.integers(0, n_chains, size=n_users)
    start = rng.integers(0, n_items, size=n_users)  # reduced modulo the chain length
    steps = np.arange(seq_len)
    walks = np.stack(
        [chains[c][(s + steps) % len(chains[c])] for c, s in zip(user_chain, start, strict=True)]
    )
    if shuffled:
        # A separate stream, so that the control shares times, kinds and texts
        # with the predictable data set of the same seed.
        walks = np.random.default_rng([seed, 1]).integers(0, n_items, size=(n_users, seq_len))

    # Gaps of at least one second keep timestamps strictly increasing per user.
    gaps = rng.integers(1, 3_600, size=(n_users, seq_len))
    times = _START_TIME + rng.integers(0, 86_400, size=(n_users, 1)) + np.cumsum(gaps, axis=1)

    kind_names = list(_KIND_SHARES)
    kinds = rng.choice(kind_names, size=n_items, p=list(_KIND_SHARES.values()))
    item_ids = [f"i{k}" for k in range(n_items)]
    text = None
    if with_text:
        text = {
            item_ids[k]: _item_text(k, k % n_chains, str(kinds[k]), rng) for k in range(n_items)
        }

    users = np.repeat([f"u{u}" for u in range(n_users)], seq_len)
    return Interactions.from_events(
        users,
        np.asarray(item_ids, dtype=object)[walks.reshape(-1)],
        times.reshape(-1),
        item_text=text,
        item_kind=dict(zip(item_ids, map(str, kinds), strict=True)),
        name=name or ("synthetic-shuffled" if shuffled else "synthetic"),
    )


def _item_text(item: int, chain: int, kind: str, rng: np.random.Generator) -> str:
    topic, *words = TOPICS[chain % len(TOPICS)]
    if chain >= len(TOPICS):
        topic = f"{topic} {chain // len(TOPICS) + 1}"
    picked = rng.choice(words, size=2, replace=False)
    return f"{kind} about {topic}: {picked[0]} and {picked[1]} (#{item})"
