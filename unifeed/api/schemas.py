"""Request and response bodies of the /v1 API, one family per resource.

Every constraint the store relies on is stated here, so bad input is turned
away with a 422 that names the field instead of failing in the database.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal, Self

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from unifeed.actions import ACTIONS
from unifeed.ads.money import CURRENCIES, MAX_RESULT_VALUE_MINOR, check_currency
from unifeed.data.interactions import ITEM_KINDS


def no_nul(v: str) -> str:
    # PostgreSQL cannot store NUL in text; refuse it on every back-end alike.
    if "\x00" in v:
        raise ValueError("must not contain NUL characters")
    return v


def _plausible_time(v: datetime) -> datetime:
    try:
        t = v.astimezone(UTC) if v.tzinfo else v.replace(tzinfo=UTC)
    except OverflowError:  # an offset that carries it past year 1 or 9999
        raise ValueError("must lie between 1970 and 2200") from None
    if not (datetime(1970, 1, 1, tzinfo=UTC) <= t <= datetime(2200, 1, 1, tzinfo=UTC)):
        raise ValueError("must lie between 1970 and 2200")
    return t


def Plain(max_length: int) -> Any:
    """A non-empty string of at most `max_length` characters, without NUL."""
    return Annotated[str, Field(min_length=1, max_length=max_length), AfterValidator(no_nul)]


Id = Plain(200)
Text = Annotated[str, Field(max_length=20_000), AfterValidator(no_nul)]
Tag = Plain(64)
Time = Annotated[datetime, AfterValidator(_plausible_time)]
RequestId = Plain(64)
Currency = Annotated[
    str,
    Field(description="ISO 4217, e.g. EUR", json_schema_extra={"enum": sorted(CURRENCIES)}),
    AfterValidator(check_currency),
]
ItemKind = Literal[ITEM_KINDS]  # type: ignore[valid-type]
Action = Literal[ACTIONS]  # type: ignore[valid-type]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


# ------------------------------------------------------------------- users
class UserUpsert(Strict):
    id: Id
    age: int | None = Field(default=None, ge=0, le=130)
    gender: Annotated[str, Field(max_length=32), AfterValidator(no_nul)] | None = None
    country: str | None = Field(default=None, pattern=r"^[A-Z]{2}$", description="ISO 3166-1")
    language: str | None = Field(
        default=None, pattern=r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})?$", description="BCP 47, e.g. en"
    )


class UserBatch(Strict):
    users: list[UserUpsert] = Field(min_length=1, max_length=1000)


class UpsertResult(BaseModel):
    upserted: int


# ------------------------------------------------------------------- items
class ItemUpsert(Strict):
    id: Id
    kind: ItemKind = "post"
    author: Id | None = None
    text: Text | None = None
    tags: list[Tag] = Field(default_factory=list, max_length=50)
    created_at: Time | None = None


class ItemBatch(Strict):
    items: list[ItemUpsert] = Field(min_length=1, max_length=1000)


# ------------------------------------------------------------------ events
class EventCreate(Strict):
    event_id: Id = Field(description="client event id; a re-sent id is counted as a duplicate")
    user_id: Id
    item_id: Id
    action: Action
    timestamp: Time = Field(
        description="when it happened on the device; it orders a viewer's events for "
        "attribution, and never decides what is charged or to which day"
    )
    value: int | None = Field(
        default=None,
        ge=0,
        le=MAX_RESULT_VALUE_MINOR,
        description="a result's worth (a purchase's amount), integer minor units of currency",
    )
    currency: Currency | None = Field(
        default=None, description="the currency of value; required with it"
    )
    request_id: (
        Annotated[str, Field(min_length=1, max_length=64), AfterValidator(no_nul)] | None
    ) = None

    @model_validator(mode="after")
    def _value_has_a_currency(self) -> Self:
        if (self.value is None) != (self.currency is None):
            raise ValueError("value and currency come together: an amount means nothing alone")
        return self


class EventBatch(Strict):
    events: list[EventCreate] = Field(min_length=1, max_length=5000)


class EventBatchResult(BaseModel):
    accepted: int = Field(description="events stored now")
    duplicates: int = Field(description="events whose event_id was already stored or repeated")


# -------------------------------------------------------------------- feed
class FeedItemPublic(BaseModel):
    item_id: str
    score: float
    kind: str
    sponsored: bool = Field(default=False, description="an ad placed by the auction")


class FeedPublic(BaseModel):
    request_id: str = Field(description="name it in events to join what was shown and done")
    user_id: str
    ranker: Literal["model", "popularity", "random", "fallback"]
    model_version: str | None
    items: list[FeedItemPublic]
    next_cursor: str | None = Field(description="pass as cursor for the next page; null at the end")


# ------------------------------------------------------------------ status
class Health(BaseModel):
    status: Literal["ok"] = "ok"


class Readiness(BaseModel):
    status: Literal["ready", "unavailable"]
    database: bool
    schema_version: int | None
    ranker: str
    model_version: str | None
    model_error: str | None
    items: int
    index: str | None


class ReloadResult(BaseModel):
    reloaded: bool
    model_version: str | None


class RetrainPublic(BaseModel):
    started: bool = Field(description="this request started a retrain")
    running: bool
    started_at: datetime | None
    finished_at: datetime | None
    version: str | None = Field(description="the checkpoint the last retrain published")
    error: str | None = Field(description="why the last retrain failed")
