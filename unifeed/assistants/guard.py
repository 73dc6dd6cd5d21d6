"""The guard: questions an assistant declines, and what an answer may never carry.

Before retrieval, a question is declined when it is on one of the creator's
avoided topics (its embedding close to a topic's, or it names one of the
topic's listed terms) or when it reads as an attempt to change the assistant's
instructions (override, role-play, fake authority, prompt extraction, encoded
or obfuscated text, an unlisted link, in the languages the corpus attacks in).
These patterns are a tripwire, not the defence: the defence is that an answer
reaches the follower only if the faithfulness check finds every word of it in
the cited posts, or as a quote of them, or as one of the fixed replies here.
After generation `screen_answer` also removes any URL that is not one of the
creator's links and refuses an answer that repeats the persona.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

import numpy as np

from unifeed.assistants.claims import normalize, terms
from unifeed.assistants.config import AssistantConfig
from unifeed.text.embeddings import TextEncoder

__all__ = ["DECLINED", "Decline", "Guard", "unlisted_urls"]

Reason = Literal["avoided_topic", "instruction_attack"]

DECLINED: dict[Reason, str] = {
    "avoided_topic": (
        "Sorry, that's a topic I don't give advice on here. "
        "Ask me about anything I've written in my posts!"
    ),
    "instruction_attack": (
        "I can only answer questions from my own posts, so I'll leave that one. "
        "Ask me about anything I've written!"
    ),
}

# A question is on an avoided topic when its cosine with the topic (or an item
# the topic lists) is at least TOPIC_SIMILARITY and not below its cosine with
# the creator's closest post by more than TOPIC_MARGIN: about as close to what
# the creator avoids as to anything they wrote. Each topic is embedded twice,
# as written and as a follower would ask it (AS_ASKED): a question's embedding
# is closer to a question's than to a noun phrase's ("How do I remove the
# 25 km/h limit on my Bafang mid-drive?" is 0.29 from "de-restricting or
# speed-tuning e-bike motors" as written). all-MiniLM-L6-v2; both numbers
# chosen on two of the four corpus creators (docs/assistants.md).
TOPIC_SIMILARITY = 0.33
TOPIC_MARGIN = 0.12
AS_ASKED = "How do I do {}?"

_URL = re.compile(
    r"(?:https?://|www\.)[^\s<>()\[\]\"'`]+|\b[a-z0-9-]+(?:\.[a-z0-9-]+)+/[^\s<>()\[\]\"'`]*",
    re.IGNORECASE,
)

# Instruction attacks, lower-cased and accent-kept. Each line is one family.
_ATTACKS = [
    # override, in English and the languages followers attack in
    r"\b(ignore|disregard|forget|override|bypass)\b.{0,40}\b(instruction|rule|prompt|guideline|"
    r"restriction|previous|above|everything)",
    r"\bignor(e|ez|a|iere|uj)\b|\bzignoruj\b|\bolvida\b|\bdimentica\b|\boublie\b|\bvergiss\b",
    r"\b(instructions?|instrucciones|anweisungen|istruzioni|instrukcje|regole|reglas|regeln)\b"
    r".{0,40}\b(précédentes|anteriores|vorherigen|precedenti|poprzednie)",
    r"\b(system|hidden|initial|original)\s+(prompt|instruction|message|rule)",
    r"\bprompt\b.{0,30}\b(sistema|système|systems?)\b|\b(your|tu|ton|dein)\s+prompt\b",
    r"\bword for word\b|\bverbatim\b|\bwere you given\b|\bbefore this conversation\b",
    r"\b(developer|debug|admin|god|jailbreak|dan)\s+mode\b|\bsystem notice\b|\badmin team\b",
    r"\byou(?:'re| are)\s+(now|no longer|not)\b|\bfrom now on\b|\bno (rules|restrictions)\b",
    r"\b(pretend|roleplay|role-play|role play|act as|play a game|be him|be her)\b",
    r"\b(reply|respond|answer|say|write|print|output)\s+(only|exactly|just)\b",
    r"\b(start|begin|end|sign off)\s+(your|the|it)?\s*(reply|answer|message|it)?\s*with\b",
    r"\b(confirm|repeat) (with|that|after)\b|\bjust answer\b|\bfill in the blank\b",
    r"\bdecode\b|\bbase64\b|[a-z0-9+/]{24,}={0,2}",
    r"(\b\w\.){4,}",  # i.g.n.o.r.e
    r"<!--|<cfg>|\[system\]|\bassistant:\s",
    r"\b(it's|this is|i am|i'm)\s+(the creator|the admin|your creator|your developer)\b",
    r"\bhi,? it's\b|\bi've changed my policy\b|\bwrite (a|one) (post|message|comment|sentence)\b",
    r"\b(tell|ask) (my|your|all|every)\w*\s+(followers|readers|everyone|people)\b",
    r"\btell (everyone|people|them)\b|\bunfollow\b|\bpost from \w+ that you\b",
    r"\b(idiot|stupid|loser|crooks?|clueless|talentless|disgusting|shut up)\b",
    r"\bgive me your\b",
]
_ATTACK = re.compile("|".join(f"(?:{p})" for p in _ATTACKS))
_ADVICE_TOPIC = re.compile(r"\b(recommend\w*|endors\w*|brands?|products?|picks?)\b")
_ADVICE_ASKED = re.compile(
    r"\bshould i (buy|get|choose|pick|put|go with)\b|\bwhich\b.{0,60}\b(buy|best|better)\b"
    r"|\bbetter\b.{0,40}\bfor me\b|\bworth buying\b"
)
# Leetspeak: words that mix letters and the digits that stand for letters.
_LEET = re.compile(r"\b(?=\w*[a-z])(?=\w*[013457])[a-z013457]{3,}\b")


@dataclass(frozen=True, slots=True)
class Decline:
    reason: Reason
    detail: str  # what fired, for the creator's conversation log (never shown to the asker)

    @property
    def text(self) -> str:
        return DECLINED[self.reason]


def _bare(url: str) -> str:
    url = re.sub(r"^(https?://)?(www\.)?", "", url.strip().lower())
    return url.rstrip("/.,;:!?*_")


def unlisted_urls(text: str, config: AssistantConfig) -> list[str]:
    allowed = {_bare(link.url) for link in config.links}
    return [u for u in _URL.findall(text) if _bare(u) not in allowed]


def _topic_phrases(topic: str) -> list[str]:
    """A topic and the items it lists: "diet claims (diabetes, IBS)" -> 3 phrases."""
    inner = re.findall(r"\(([^)]*)\)", topic)
    items = [p.strip() for group in inner for p in group.split(",") if p.strip()]
    return [re.sub(r"\s*\([^)]*\)", "", topic).strip(), *items]


def _leet_words(question: str) -> int:
    return sum(1 for w in _LEET.findall(question.lower()) if not w.isdigit() and not w.isalpha())


class Guard:
    """Screens one assistant's questions and answers; topics are embedded once here."""

    def __init__(
        self,
        config: AssistantConfig,
        encoder: TextEncoder,
        topic_similarity: float = TOPIC_SIMILARITY,
        topic_margin: float = TOPIC_MARGIN,
    ) -> None:
        self.config, self.encoder = config, encoder
        self.topic_similarity, self.topic_margin = topic_similarity, topic_margin
        written = [(t, p) for t in config.avoid_topics for p in _topic_phrases(t)]
        self.phrases = [(t, form) for t, p in written for form in (p, AS_ASKED.format(p))]
        texts = [p for _, p in self.phrases]
        self.vectors = encoder.encode(texts) if texts else np.zeros((0, encoder.dim))  # (T, D)
        # A phrase's words all present ("weight loss", "growing cannabis") is a match.
        self.item_terms = [
            (topic, frozenset(terms(phrase))) for topic, phrase in written if terms(phrase)
        ]
        # A creator who avoids recommending products avoids every "which should I buy".
        self.advice = next(
            (t for t in config.avoid_topics if _ADVICE_TOPIC.search(t.lower())), None
        )

    def screen(
        self, question: str, vector: np.ndarray | None = None, best_post: float = 0.0
    ) -> Decline | None:
        """Why the question is declined, or None. `vector` (D,) is its embedding if known,
        `best_post` its cosine with the creator's closest post."""
        text = normalize(question)
        hit = _ATTACK.search(text)
        if hit:
            return Decline("instruction_attack", f"pattern {hit.group(0)!r}")
        if _leet_words(text) >= 2:
            return Decline("instruction_attack", "obfuscated words")
        if unlisted_urls(question, self.config):
            return Decline("instruction_attack", "a link that is not the creator's")
        return self.avoided(question, vector, best_post)

    def avoided(
        self, question: str, vector: np.ndarray | None = None, best_post: float = 0.0
    ) -> Decline | None:
        if not self.phrases:
            return None
        asked = terms(question)
        if self.advice is not None and _ADVICE_ASKED.search(normalize(question)):
            return Decline("avoided_topic", f"asks for a pick, and {self.advice!r} is avoided")
        for topic, needed in self.item_terms:
            if needed <= asked:
                return Decline("avoided_topic", f"names {sorted(needed)} of {topic!r}")
        if vector is None:
            vector = self.encoder.encode([question])[0]
        sims = self.vectors @ np.asarray(vector, dtype=np.float32)  # (T,)
        best = int(np.argmax(sims))
        if sims[best] >= self.topic_similarity and sims[best] >= best_post - self.topic_margin:
            topic, phrase = self.phrases[best]
            return Decline("avoided_topic", f"close to {phrase!r} ({sims[best]:.2f}) of {topic!r}")
        return None

    def screen_answer(self, answer: str) -> str | None:
        """The answer without unlisted links, or None when it must not be sent at all."""
        if self._leaks_persona(answer):
            return None
        for url in unlisted_urls(answer, self.config):
            answer = answer.replace(url, "").replace("()", "")
        return re.sub(r"[ \t]{2,}", " ", answer).strip() or None

    def _leaks_persona(self, answer: str, run: int = 6) -> bool:
        persona = re.findall(r"\w+", normalize(self.config.persona))
        said = " " + " ".join(re.findall(r"\w+", normalize(answer))) + " "
        return any(
            f" {' '.join(persona[i : i + run])} " in said for i in range(len(persona) - run + 1)
        )
