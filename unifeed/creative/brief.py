"""The brief: what an advertiser states, and so the only facts an ad may use.

Generation prompts from it and review checks against it: the numbers it
states, its landing domain, the product name every ad must show, and the
capitalised words it defines itself (ORBIT, SPF) that are not shouting.
"""

from __future__ import annotations

import re
from functools import cached_property
from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, HttpUrl, field_validator

__all__ = ["LANGUAGES", "Brief", "Language", "Objective", "numbers_in"]

# The languages the prompts and the review's word lists cover.
Language = Literal["en", "fr", "de", "es"]
LANGUAGES: dict[str, str] = {"en": "English", "fr": "French", "de": "German", "es": "Spanish"}

_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_WORD = re.compile(r"[^\W_]+")


def numbers_in(text: str) -> set[str]:
    """Digits with separators removed, so '£85,000' and '85.000 €' are both '85000'."""
    return {re.sub(r"[.,]", "", n) for n in _NUMBER.findall(text)}


# The ads package's objective names (issue 23); they only narrow the buttons offered.
Objective = Literal["awareness", "traffic", "engagement", "leads", "app_promotion", "sales"]

Text = Annotated[str, Field(min_length=1, max_length=2000)]


class Brief(BaseModel):
    """A campaign's brief. Frozen: a variant is always judged against the brief it came from."""

    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)

    product_name: Annotated[str, Field(min_length=1, max_length=80)]
    product: Annotated[str, Field(min_length=1, max_length=200)]  # what it is, one line
    description: Text  # every fact, number, price and offer an ad may state
    landing_url: HttpUrl
    language: Language = "en"
    tone: Annotated[str, Field(max_length=100)] = ""
    advertiser: Annotated[str, Field(max_length=120)] = ""
    objective: Objective | None = None

    @field_validator("landing_url")
    @classmethod
    def _web_page(cls, v: HttpUrl) -> HttpUrl:
        if v.scheme not in ("http", "https") or not v.host:
            raise ValueError("landing_url must be an http(s) URL with a host")
        return v

    @property
    def facts(self) -> str:
        """All the text an ad's facts may come from."""
        return f"{self.product_name}\n{self.product}\n{self.description}"

    @cached_property
    def numbers(self) -> frozenset[str]:
        return frozenset(numbers_in(self.facts))

    @cached_property
    def domain(self) -> str:
        """The landing host without ``www.``; the host itself and its subdomains are on it."""
        return (urlsplit(str(self.landing_url)).hostname or "").removeprefix("www.")

    @cached_property
    def allowed_caps(self) -> frozenset[str]:
        """Words of 3+ letters the brief itself writes in capitals (ORBIT, SPF, LIGHT20)."""
        return frozenset(w for w in _WORD.findall(self.facts) if _is_caps(w))


def _is_caps(word: str) -> bool:
    return sum(ch.isalpha() for ch in word) >= 3 and word.isupper()
