"""How a creator sets up their assistant: who it is, what it avoids, who may talk to it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

__all__ = ["AUDIENCES", "AssistantConfig", "Audience", "Link"]

Audience = Literal["everyone", "followers", "creator"]
AUDIENCES: tuple[Audience, ...] = ("everyone", "followers", "creator")


@dataclass(frozen=True, slots=True)
class Link:
    """A URL the assistant may share (only these: any other URL is removed from answers)."""

    url: str
    title: str = ""


@dataclass(frozen=True, slots=True)
class AssistantConfig:
    """A creator's assistant. It answers only from the creator's published posts."""

    name: str
    persona: str = ""
    avoid_topics: tuple[str, ...] = ()
    links: tuple[Link, ...] = ()
    audience: Audience = "everyone"
    enabled: bool = True
