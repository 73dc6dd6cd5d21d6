"""Do the creator's posts answer this question? Two signals that must agree.

A cosine of the question with a whole post says the post is on the subject;
it cannot tell "the posts talk about sourdough" from "a post says how long a
sourdough loaf bakes in a tin", and the near misses a follower asks sit right
between the two (docs/assistants.md). So a question is answerable only when

1. some *sentence* of the creator's posts is close to it (all-MiniLM-L6-v2
   cosine >= `SENTENCE`): a sentence states one thing, so closeness to a
   sentence is closeness to a statement rather than to a subject; and
2. the post holding that sentence contains most of what the question is
   about: the IDF-weighted share of the question's content terms (stems and
   numbers, `claims.terms`) found in the post is >= `COVERED`. The weights
   come from the creator's own posts, so a term none of them uses
   ("panettone", "529", "Saturdays") weighs the most, and a question about
   32 mm tyres is not covered by a post about 28 mm ones. Words that say what
   kind of answer is wanted ("how long", "how many", "best", "what") and the
   light verbs questions are built with ("goes in", "put") are left out: the
   answer, not the question, carries them.

Both thresholds were chosen on two of the corpus's four creators and are
reported on the other two (bench/assistants.py, docs/assistants.md).
"""

from __future__ import annotations

import math
import threading
import weakref
from collections import Counter
from dataclasses import dataclass

import numpy as np

from unifeed.assistants.claims import numbers, sentences, terms
from unifeed.assistants.knowledge import Knowledge, Post
from unifeed.text.embeddings import TextEncoder

__all__ = ["ASKING", "COVERED", "SENTENCE", "Answerability", "Judgement", "answerability_of"]

SENTENCE = 0.58
COVERED = 0.40

# Words that name the kind of answer wanted, not its subject, and the light
# verbs a question is built with ("how much goes in", "what do you put").
ASKING = frozenset(
    terms(
        "long much many often big far old best way what help know tip work good need want "
        "anything something everything trick amount "
        "go goes going went do does get gets put puts take takes give gives come comes keep"
    )
)

_CACHE_LIMIT = 100_000  # sentence vectors kept across refreshes (text -> vector)


@dataclass(frozen=True, slots=True)
class Judgement:
    answerable: bool
    post: Post | None  # the post holding the closest sentence
    sentence: str
    similarity: float  # cosine of the question with that sentence
    coverage: float  # IDF-weighted share of the question's terms in that post

    @property
    def detail(self) -> str:
        return (
            f"closest sentence cosine {self.similarity:.2f} (>= {SENTENCE} needed), "
            f"question terms in its post {self.coverage:.2f} (>= {COVERED} needed)"
        )


class Answerability:
    """One creator's posts, split into sentences and embedded, with their terms' weights."""

    def __init__(
        self,
        knowledge: Knowledge,
        encoder: TextEncoder,
        sentence: float = SENTENCE,
        covered: float = COVERED,
    ) -> None:
        self.sentence, self.covered = sentence, covered
        self.units = [(p, s) for p in knowledge.posts for s in sentences(p.text)]
        self.vectors = _encode([s for _, s in self.units], encoder)  # (S, D)
        self.post_terms = {p.id: terms(p.text) | numbers(p.text) for p in knowledge.posts}
        df = Counter(t for ts in self.post_terms.values() for t in ts)
        n = len(knowledge.posts)
        # Smoothed IDF; a term no post has gets the largest weight.
        self.idf = {t: math.log((n + 1) / (c + 0.5)) for t, c in df.items()}
        self.unseen = math.log((n + 1) / 0.5)

    def coverage(self, question: str, post: Post) -> float:
        asked = (terms(question) | numbers(question)) - ASKING
        if not asked:
            return 1.0
        weights = {t: self.idf.get(t, self.unseen) for t in asked}
        have = self.post_terms.get(post.id) or (terms(post.text) | numbers(post.text))
        return sum(w for t, w in weights.items() if t in have) / sum(weights.values())

    def judge(self, question: str, vector: np.ndarray) -> Judgement:
        """`vector` (D,) is the question's embedding."""
        if not self.units:
            return Judgement(False, None, "", 0.0, 0.0)
        scores = self.vectors @ np.asarray(vector, dtype=np.float32).reshape(-1)  # (S,)
        best = int(np.argmax(scores))
        post, text = self.units[best]
        similarity = float(scores[best])
        covered = self.coverage(question, post)
        ok = similarity >= self.sentence and covered >= self.covered
        return Judgement(ok, post, text, similarity, covered)


_INDEXES: weakref.WeakKeyDictionary[Knowledge, Answerability] = weakref.WeakKeyDictionary()
_VECTORS: dict[tuple[str, str], np.ndarray] = {}
_LOCK = threading.Lock()


def answerability_of(knowledge: Knowledge, encoder: TextEncoder) -> Answerability:
    """The judge for `knowledge`, built once per loaded `Knowledge` (one refresh)."""
    with _LOCK:
        judge = _INDEXES.get(knowledge)
    if judge is None:
        judge = Answerability(knowledge, encoder)
        with _LOCK:
            _INDEXES[knowledge] = judge
    return judge


def _encode(texts: list[str], encoder: TextEncoder) -> np.ndarray:
    """Sentence vectors, reusing those of sentences seen before: a refresh reloads every
    post, but only new sentences need the encoder."""
    name = getattr(encoder, "name", type(encoder).__name__)
    with _LOCK:
        missing = sorted({t for t in texts if (name, t) not in _VECTORS})
    if missing:
        fresh = encoder.encode(missing)
        with _LOCK:
            if len(_VECTORS) + len(missing) > _CACHE_LIMIT:
                _VECTORS.clear()
            _VECTORS.update({(name, t): v for t, v in zip(missing, fresh, strict=True)})
    if not texts:
        return np.zeros((0, encoder.dim), dtype=np.float32)
    with _LOCK:
        got = [_VECTORS.get((name, t)) for t in texts]
    if any(v is None for v in got):  # cleared by another thread meanwhile
        return np.asarray(encoder.encode(texts), dtype=np.float32)
    return np.asarray(np.stack(got), dtype=np.float32)  # type: ignore[arg-type]
