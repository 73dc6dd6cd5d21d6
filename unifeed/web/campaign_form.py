"""The launch form: what a person types, turned into the API's `CampaignCreate`.

The form asks for amounts in the currency's major unit and times as UTC
dates; it turns them into the API's body and lets `CampaignCreate` judge
it, so the dashboard and the API accept exactly the same campaigns. Each
error is put back beside the field it is about, in words for a person.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pydantic import ValidationError

from unifeed.ads.campaign_spec import MAX_CLICK_WINDOW_DAYS
from unifeed.ads.money import CURRENCIES
from unifeed.ads.objective import OBJECTIVES
from unifeed.api.campaign_schemas import MAX_GENERATED, CampaignCreate
from unifeed.web import formats
from unifeed.web.pages import Form

# Objectives as the form offers them: a name and what the campaign buys.
OBJECTIVE_CHOICES: tuple[tuple[str, str, str], ...] = (
    ("sales", "Sales", "People buy from your site; you can report what each purchase was worth."),
    ("leads", "Leads", "People leave their details with you after clicking."),
    ("traffic", "Traffic", "People click through to your site."),
    ("app_promotion", "App installs", "People install your app after clicking."),
    ("engagement", "Engagement", "People like, share or watch your ad to the end."),
    ("awareness", "Awareness", "As many different people as possible see your ad."),
)
assert {o for o, _, _ in OBJECTIVE_CHOICES} == set(OBJECTIVES)

STRATEGY_CHOICES: tuple[tuple[str, str, str], ...] = (
    ("highest_volume", "Highest volume", "Spend the budget and get the most results from it."),
    ("cost_per_result", "Cost per result goal", "Keep the average cost per result under a goal."),
    ("roas", "Return on ad spend goal", "Keep purchase value per unit spent above a goal."),
    ("bid_cap", "Bid cap", "Never bid more than a cap per result."),
)
BUDGET_KINDS: tuple[tuple[str, str, str], ...] = (
    ("lifetime", "Lifetime", "The most the whole campaign spends."),
    ("daily", "Daily", "The most it spends each day (UTC)."),
)
COMMON_CURRENCIES = ("EUR", "USD", "GBP", "JPY", "CHF", "CAD", "AUD", "INR", "BRL")
CURRENCY_CHOICES = (*COMMON_CURRENCIES, *sorted(set(CURRENCIES) - set(COMMON_CURRENCIES)))

# Where each part of the API's body is typed on the form (the longest match wins).
FIELD_OF: dict[tuple[str, ...], str] = {
    ("name",): "name",
    ("objective",): "objective",
    ("budget",): "budget",
    ("budget", "amount_minor"): "budget",
    ("budget", "currency"): "currency",
    ("budget", "kind"): "budget_kind",
    ("schedule",): "end",
    ("schedule", "start"): "start",
    ("schedule", "end"): "end",
    ("brief", "product"): "product",
    ("brief", "description"): "description",
    ("brief", "landing_url"): "landing_url",
    ("brief", "tone"): "tone",
    ("bid_strategy", "type"): "bid_strategy",
    ("bid_strategy", "cost_per_result_minor"): "cost_goal",
    ("bid_strategy", "roas"): "roas_goal",
    ("bid_strategy", "bid_cap_minor"): "bid_cap",
    ("constraints", "countries"): "countries",
    ("constraints", "min_age"): "min_age",
    ("attribution", "click_days"): "click_days",
    ("attribution", "view_days"): "view_days",
    ("advertiser_id",): "advertiser",
    ("generate_creatives",): "generate",
    ("auto_approve_creatives",): "auto_approve",
}
# What an empty required field says, in the list at the top as beside the field.
REQUIRED = {
    "objective": "Choose an objective.",
    "product": "Enter the product or offer.",
    "description": "Describe what you are advertising.",
    "landing_url": "Enter the landing page's address.",
    "name": "Enter a campaign name.",
}
GOAL_FIELD = {"cost_per_result": "cost_goal", "roas": "roas_goal", "bid_cap": "bid_cap"}
# The order errors are listed in, at the top of the form: the form's own.
ORDER = (
    "advertiser",
    "objective",
    "budget",
    "currency",
    "budget_kind",
    "start",
    "end",
    "product",
    "description",
    "landing_url",
    "tone",
    "name",
    "bid_strategy",
    "cost_goal",
    "roas_goal",
    "bid_cap",
    "countries",
    "min_age",
    "click_days",
    "view_days",
    "generate",
    "auto_approve",
)
WRITTEN = 3  # ads written from the brief at launch, by default, where the server has a model


@dataclass
class CampaignForm:
    """What the form shows: its values and, after a refused launch, its errors."""

    values: dict[str, str]
    errors: dict[str, str] = field(default_factory=dict)
    objectives = OBJECTIVE_CHOICES
    strategies = STRATEGY_CHOICES
    budget_kinds = BUDGET_KINDS
    currencies = CURRENCY_CHOICES

    @classmethod
    def blank(cls, now: datetime, writes: bool = False) -> CampaignForm:
        """An empty form; `writes`: the server has a language model to write ads with."""
        return cls(
            {
                "generate": str(WRITTEN if writes else 0),
                "currency": "EUR",
                "budget_kind": "lifetime",
                "start": formats.local_input(now),
                "end": formats.local_input(formats.in_days(now, 30)),
                "bid_strategy": "highest_volume",
                "click_days": "7",
                "view_days": "1",
            }
        )

    @property
    def error_list(self) -> list[tuple[str, str]]:
        return sorted(self.errors.items(), key=lambda kv: ORDER.index(kv[0]))

    def anchor(self, name: str) -> str:
        """The id of the field an error is about: a choice's first radio button."""
        first = {
            "objective": OBJECTIVE_CHOICES[0][0],
            "budget_kind": BUDGET_KINDS[0][0],
            "bid_strategy": STRATEGY_CHOICES[0][0],
        }
        return f"{name}-{first[name]}" if name in first else name

    @property
    def more_options_open(self) -> bool:
        """Open "more options" when one of its fields has an error."""
        return any(ORDER.index(k) >= ORDER.index("name") for k in self.errors)


def parse(form: Form, operator: bool) -> tuple[CampaignCreate | None, CampaignForm]:
    """The campaign the form describes, or None and the form with its errors."""
    values = {k: v for k, v in form.values().items() if k != "csrf"}
    errors: dict[str, str] = {}
    currency = form.get("currency") or "EUR"
    strategy = form.get("bid_strategy") or "highest_volume"

    def amount(name: str, required: bool) -> int | None:
        text = form.get(name)
        if not text:
            if required:
                errors[name] = "Enter an amount."
            return None
        try:
            minor = formats.to_minor(text, currency)
        except ValueError as e:
            errors[name] = f"{str(e)[0].upper()}{str(e)[1:]}."
            return None
        if minor <= 0:
            errors[name] = "Enter an amount above zero."
            return None
        return minor

    def when(name: str) -> str | None:
        text = form.get(name)
        if not text:
            errors[name] = "Enter a date and time."
            return None
        try:
            return formats.from_local_input(text).isoformat()
        except ValueError as e:
            errors[name] = f"{str(e)[0].upper()}{str(e)[1:]}."
            return None

    def whole(name: str) -> int | None:
        text = form.get(name)
        if not text:
            return None
        try:
            return int(text)
        except ValueError:
            errors[name] = "Enter a whole number."
            return None

    budget = amount("budget", required=True)
    bid: dict[str, Any] = {"type": strategy}
    if strategy == "cost_per_result":
        bid["cost_per_result_minor"] = amount("cost_goal", required=True)
    elif strategy == "bid_cap":
        bid["bid_cap_minor"] = amount("bid_cap", required=True)
    elif strategy == "roas":
        text = form.get("roas_goal")
        try:
            bid["roas"] = float(text) if text else None
        except ValueError:
            errors["roas_goal"] = "Enter a number such as 3 (3 of value for each 1 spent)."
        if not text:
            errors["roas_goal"] = "Enter the return you aim for, such as 3."
    countries = [c.strip().upper() for c in form.get("countries").replace(";", ",").split(",")]
    countries = [c for c in countries if c]
    view_days = whole("view_days")
    generate = whole("generate")
    body: dict[str, Any] = {
        # The product names the campaign unless it has a name of its own (and
        # a missing product is the product field's error, not the name's).
        "name": form.get("name") or form.get("product") or "campaign",
        "objective": form.get("objective"),
        # Placeholders where the form's own reading failed: the schema then
        # judges the rest, and the launch is refused for the form's error.
        "budget": {
            "amount_minor": budget or 1,
            "currency": currency,
            "kind": form.get("budget_kind") or "lifetime",
        },
        "schedule": {
            "start": when("start") or "2000-01-01T00:00:00+00:00",
            "end": when("end") or "2000-01-02T00:00:00+00:00",
        },
        "brief": {
            "product": form.get("product"),
            "description": form.get("description"),
            "landing_url": form.get("landing_url"),
            "tone": form.get("tone") or None,
        },
        "bid_strategy": {k: (1 if v is None else v) for k, v in bid.items()},
        "constraints": {"countries": countries or None, "min_age": whole("min_age")},
        "attribution": {
            "click_days": whole("click_days") or 7,
            "view_days": 1 if view_days is None else view_days,
        },
        "generate_creatives": generate or 0,
        "auto_approve_creatives": form.get("auto_approve") == "on",
    }
    if operator:
        body["advertiser_id"] = form.get("advertiser") or None
    try:
        campaign = CampaignCreate.model_validate(body)
    except ValidationError as e:
        add_errors(errors, e.errors(include_url=False), strategy)
        campaign = None
    if operator and not form.get("advertiser"):
        errors.setdefault("advertiser", "Say whose campaign this is (the advertiser's id).")
    return (None if errors else campaign), CampaignForm(values, errors)


def add_errors(errors: dict[str, str], found: Sequence[Any], strategy: str) -> None:
    """Put each of pydantic's errors beside its field (the first per field stays)."""
    for err in found:
        loc = tuple(str(x) for x in err.get("loc", ()) if x != "body")
        name = field_of(loc, strategy)
        errors.setdefault(name, message(err, name))


def field_of(loc: tuple[str, ...], strategy: str) -> str:
    if loc == ("bid_strategy",):
        return GOAL_FIELD.get(strategy, "bid_strategy")
    for n in range(len(loc), 0, -1):
        if loc[:n] in FIELD_OF:
            return FIELD_OF[loc[:n]]
    return "bid_strategy"  # the body's own rule: a ROAS goal needs the sales objective


def message(err: Any, name: str) -> str:
    kind, msg = err.get("type", ""), str(err.get("msg", ""))
    if kind in ("missing", "string_too_short") or (kind == "literal_error" and not err["input"]):
        return REQUIRED.get(name, "This is required.")
    if name == "landing_url":
        return "Enter the full address of the page, starting with https://."
    if name == "countries":
        return "Use two-letter country codes separated by commas, such as DE, FR."
    if name == "min_age":
        return "Enter an age from 13 to 100, or leave it empty."
    if name == "click_days":
        return f"Enter a number of days from 1 to {MAX_CLICK_WINDOW_DAYS}."
    if name == "view_days":
        return "Enter a number of days from 0 to 7."
    if name == "generate":
        return f"Enter a number of ads from 0 to {MAX_GENERATED}."
    if name == "end" and "flight" in msg:
        return msg.removeprefix("Value error, ").capitalize() + "."
    msg = msg.removeprefix("Value error, ")
    return msg[:1].upper() + msg[1:] + ("" if msg.endswith(".") else ".")
