"""The assistant's setup form: what a creator types, turned into the API's `AssistantSetup`.

Topics to avoid and links are typed one per line (a link's title after its
address); the body is judged by `AssistantSetup` itself, so the dashboard
accepts exactly the setups the API accepts, and each error is put back
beside its field in words for a person.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from unifeed.api.assistant_schemas import AssistantSetup
from unifeed.assistants.config import AssistantConfig
from unifeed.web.pages import Form

AUDIENCE_CHOICES: tuple[tuple[str, str, str], ...] = (
    ("everyone", "Everyone", "Anyone on the platform may ask it."),
    ("followers", "Followers", "Only people who liked, shared or clicked one of your posts."),
    ("creator", "Only me", "Nobody else: try it out before you open it up."),
)
ORDER = ("name", "persona", "avoid_topics", "links", "audience")
MAX_LINES = 20  # topics or links: the API's limit of each


@dataclass
class AssistantForm:
    """What the form shows: its values and, after a refused save, its errors."""

    values: dict[str, str]
    errors: dict[str, str] = field(default_factory=dict)
    audiences = AUDIENCE_CHOICES

    @classmethod
    def of(cls, config: AssistantConfig | None, default_name: str) -> AssistantForm:
        if config is None:
            return cls({"name": default_name, "audience": "everyone"})
        return cls(
            {
                "name": config.name,
                "persona": config.persona,
                "avoid_topics": "\n".join(config.avoid_topics),
                "links": "\n".join(f"{x.url} {x.title}".strip() for x in config.links),
                "audience": config.audience,
            }
        )

    @property
    def error_list(self) -> list[tuple[str, str]]:
        return sorted(self.errors.items(), key=lambda kv: ORDER.index(kv[0]))

    def anchor(self, name: str) -> str:
        return f"audience-{AUDIENCE_CHOICES[0][0]}" if name == "audience" else name


def lines(text: str) -> list[str]:
    return [x.strip() for x in text.replace("\r", "").split("\n") if x.strip()]


def parse(form: Form) -> tuple[AssistantSetup | None, AssistantForm]:
    """The setup the form describes, or None and the form with its errors."""
    values = {k: form.get(k) for k in ORDER}
    links = []
    for line in lines(form.get("links")):
        url, _, title = line.partition(" ")
        links.append({"url": url, "title": title.strip()} if title.strip() else {"url": url})
    body: dict[str, Any] = {
        "name": form.get("name"),
        "persona": form.get("persona"),
        "avoid_topics": lines(form.get("avoid_topics")),
        "links": links,
        "audience": form.get("audience") or "everyone",
    }
    errors: dict[str, str] = {}
    try:
        setup = AssistantSetup.model_validate(body)
    except ValidationError as e:
        add_errors(errors, e.errors(include_url=False))
        setup = None
    return (None if errors else setup), AssistantForm(values, errors)


def add_errors(errors: dict[str, str], found: Sequence[Any]) -> None:
    for err in found:
        loc = [str(x) for x in err.get("loc", ())]
        name = loc[0] if loc and loc[0] in ORDER else "name"
        errors.setdefault(name, message(err, loc))


def message(err: Any, loc: list[str]) -> str:
    kind, name = err.get("type", ""), loc[0] if loc else ""
    line = f"Line {int(loc[1]) + 1}: " if len(loc) > 1 and loc[1].isdigit() else ""
    if name == "name" and kind in ("missing", "string_too_short"):
        return "Give your assistant a name."
    if kind == "too_long" and name in ("avoid_topics", "links"):
        return f"At most {MAX_LINES} lines."
    if name == "links" and "url" in loc:
        return f"{line}start each line with a full address, such as https://example.com/shop."
    if kind == "string_too_long":
        most = (err.get("ctx") or {}).get("max_length")
        return f"{line}at most {most:,} characters." if most else f"{line}too long."
    msg = str(err.get("msg", "")).removeprefix("Value error, ")
    return f"{line}{msg[:1].upper()}{msg[1:]}" + ("" if msg.endswith(".") else ".")
