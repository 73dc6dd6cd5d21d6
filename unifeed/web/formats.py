"""How the dashboard writes numbers, money and times, and reads amounts back.

Money is kept in integer minor units everywhere; only here is it written
in the currency's major unit (12.34 EUR) and read back from what a person
typed, exactly, with Decimal.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from unifeed.ads.money import CURRENCIES

DASH = "–"  # what an undefined figure (a cost per result without results) shows


def digits(currency: str) -> int:
    return CURRENCIES.get(currency, 2)


def money(amount_minor: float | None, currency: str, exact: bool = False) -> str:
    """12.34 EUR from 1234; a fractional minor amount (a CPM) with one more digit."""
    if amount_minor is None:
        return DASH
    d = digits(currency)
    value = Decimal(str(amount_minor)).scaleb(-d)
    places = d + (0 if exact or float(amount_minor).is_integer() else 1)
    return f"{value:,.{places}f} {currency}"


def to_minor(text: str, currency: str) -> int:
    """What a person typed ("12.5", "1,000.00") as minor units; ValueError when
    it is not a positive amount this currency can hold exactly."""
    cleaned = text.replace(",", "").replace(" ", "").replace("\u00a0", "")
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        raise ValueError("enter an amount such as 50 or 49.90") from None
    if not value.is_finite():
        raise ValueError("enter an amount such as 50 or 49.90")
    minor = value.scaleb(digits(currency))
    if minor != minor.to_integral_value():
        raise ValueError(f"{currency} has {digits(currency)} decimal places")
    return int(minor)


def major_text(amount_minor: int | None, currency: str) -> str:
    """An amount as a form field shows it (no thousands separator, no currency)."""
    if amount_minor is None:
        return ""
    return f"{Decimal(amount_minor).scaleb(-digits(currency)):.{digits(currency)}f}"


def number(x: float | None, places: int = 0) -> str:
    if x is None:
        return DASH
    return f"{x:,.{places}f}"


def count(x: float) -> str:
    """A count on an axis: whole where it is whole (2.5 stays 2.5)."""
    return f"{x:,.0f}" if float(x).is_integer() else f"{x:,.1f}"


def percent(x: float | None, places: int = 1) -> str:
    return DASH if x is None else f"{100 * x:.{places}f}%"


def ratio(x: float | None) -> str:
    return DASH if x is None else f"{x:.2f}"


def when(t: datetime | str | None) -> str:
    """A UTC time as people read it: 2026-05-01 14:05 UTC."""
    if t is None:
        return DASH
    if isinstance(t, str):
        t = datetime.fromisoformat(t)
    t = t.astimezone(UTC) if t.tzinfo else t
    return f"{t:%Y-%m-%d %H:%M} UTC"


def age(seconds: float | None) -> str:
    """How long ago, in the largest unit that fits: 3 min, 5 h, 2 days."""
    if seconds is None:
        return DASH
    if seconds < 120:
        return f"{max(0, int(seconds))} s"
    if seconds < 7200:
        return f"{int(seconds // 60)} min"
    if seconds < 2 * 86400:
        return f"{int(seconds // 3600)} h"
    return f"{int(seconds // 86400)} days"


def local_input(t: datetime) -> str:
    """A time as a datetime-local field holds it (UTC, to the minute)."""
    t = t.astimezone(UTC) if t.tzinfo else t
    return f"{t:%Y-%m-%dT%H:%M}"


def from_local_input(text: str) -> datetime:
    """A datetime-local field's value (read as UTC); ValueError when it is not one."""
    try:
        t = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError("enter a date and time such as 2026-05-01 09:00") from None
    return t.replace(tzinfo=UTC) if t.tzinfo is None else t.astimezone(UTC)


def now_rounded() -> datetime:
    """Now, to the minute (a launch form's default start)."""
    return datetime.now(UTC).replace(second=0, microsecond=0)


def in_days(t: datetime, days: int) -> datetime:
    return t + timedelta(days=days)


FILTERS: dict[str, Callable[..., Any]] = {
    "money": money,
    "number": number,
    "percent": percent,
    "ratio": ratio,
    "when": when,
    "age": age,
}
