"""The interaction table: every reader produces one, every model consumes one.

Rows are kept sorted by (user, timestamp) with a *stable* sort, so events with
equal timestamps keep the order in which they appeared in the source. Published
MovieLens figures differ on exactly this tie rule, so it is fixed here, once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from unifeed.data.errors import DataFormatError

# Kinds of things a feed can show. Code 0 is the generic kind that benchmark
# data sets without kinds use.
ITEM_KINDS: tuple[str, ...] = ("item", "post", "video", "ad", "creator")

# The action every implicit-feedback data set records ("the user touched it").
DEFAULT_ACTION = "interact"


def kind_code(kind: str) -> int:
    """The integer code of an item kind, with a clear error for an unknown one."""
    try:
        return ITEM_KINDS.index(kind)
    except ValueError:
        raise ValueError(f"unknown item kind {kind!r}; expected one of {ITEM_KINDS}") from None


@dataclass
class Interactions:
    """Events of users on items, as dense integer codes plus lookup tables.

    `user` and `item` are codes in ``range(n_users)`` / ``range(n_items)``;
    `user_ids` / `item_ids` map codes back to the source's ids (strings).
    """

    user: np.ndarray  # (N,) int64 user codes, non-decreasing
    item: np.ndarray  # (N,) int64 item codes
    action: np.ndarray  # (N,) int16 codes into action_names
    timestamp: np.ndarray  # (N,) int64; unix seconds, or the position when a source has no time
    value: np.ndarray  # (N,) float32; NaN where the event carries no value
    user_ids: np.ndarray  # (U,) object, source id of each user code
    item_ids: np.ndarray  # (I,) object, source id of each item code
    action_names: tuple[str, ...] = (DEFAULT_ACTION,)
    item_text: list[str | None] | None = None  # (I,) text per item, None where it has none
    item_kind: np.ndarray | None = None  # (I,) int8 codes into ITEM_KINDS
    user_attributes: pd.DataFrame | None = None  # one row per user code, in code order
    name: str = "interactions"
    _offsets: np.ndarray | None = field(default=None, repr=False, compare=False)

    # ----------------------------------------------------------------- build
    @classmethod
    def from_events(
        cls,
        users: Sequence[object] | np.ndarray,
        items: Sequence[object] | np.ndarray,
        timestamps: Sequence[int] | np.ndarray | None = None,
        actions: Sequence[str] | np.ndarray | None = None,
        values: Sequence[float] | np.ndarray | None = None,
        *,
        item_text: dict[str, str] | None = None,
        item_kind: dict[str, str] | None = None,
        user_attributes: pd.DataFrame | None = None,
        name: str = "interactions",
    ) -> Interactions:
        """Build a table from raw ids in source order.

        Codes are given in order of first appearance. Without timestamps the
        source order is the time. `item_text` / `item_kind` are keyed by raw
        item id; `user_attributes` is indexed by raw user id.
        """
        users_raw = np.asarray(users).astype(str)
        items_raw = np.asarray(items).astype(str)
        n = len(users_raw)
        if len(items_raw) != n:
            raise ValueError(f"users ({n}) and items ({len(items_raw)}) differ in length")
        ts = np.arange(n, dtype=np.int64) if timestamps is None else np.asarray(timestamps)
        if len(ts) != n:
            raise ValueError(f"timestamps ({len(ts)}) and events ({n}) differ in length")
        ts = ts.astype(np.int64)

        user_codes, user_ids = _codes_by_first_appearance(users_raw)
        item_codes, item_ids = _codes_by_first_appearance(items_raw)
        if actions is None:
            action_codes = np.zeros(n, dtype=np.int16)
            action_names: tuple[str, ...] = (DEFAULT_ACTION,)
        else:
            action_codes_, names = _codes_by_first_appearance(np.asarray(actions).astype(str))
            action_codes = action_codes_.astype(np.int16)
            action_names = tuple(str(a) for a in names)
        vals = (
            np.full(n, np.nan, dtype=np.float32)
            if values is None
            else np.asarray(values, dtype=np.float32)
        )

        text = None
        if item_text is not None:
            text = [item_text.get(i) for i in item_ids]
        kinds = None
        if item_kind is not None:
            kinds = np.array([kind_code(item_kind.get(i, "item")) for i in item_ids], np.int8)
        attrs = None
        if user_attributes is not None:
            attrs = user_attributes.copy()
            attrs.index = attrs.index.astype(str)
            attrs = attrs.reindex(pd.Index(user_ids, dtype=object)).reset_index(drop=True)

        order = np.lexsort((ts, user_codes))  # stable: ties keep source order
        return cls(
            user=user_codes[order],
            item=item_codes[order],
            action=action_codes[order],
            timestamp=ts[order],
            value=vals[order],
            user_ids=user_ids,
            item_ids=item_ids,
            action_names=action_names,
            item_text=text,
            item_kind=kinds,
            user_attributes=attrs,
            name=name,
        )

    # ----------------------------------------------------------------- views
    def __len__(self) -> int:
        return len(self.user)

    @property
    def n_users(self) -> int:
        return len(self.user_ids)

    @property
    def n_items(self) -> int:
        return len(self.item_ids)

    @property
    def offsets(self) -> np.ndarray:
        """(U+1,) row offsets: user u's events are rows offsets[u]:offsets[u+1]."""
        if self._offsets is None:
            counts = np.bincount(self.user, minlength=self.n_users)
            self._offsets = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
        return self._offsets

    def sequence(self, user: int) -> np.ndarray:
        """The item codes of one user, in time order."""
        o = self.offsets
        return self.item[o[user] : o[user + 1]]

    def with_item_order(self, item_ids: Sequence[object] | np.ndarray) -> Interactions:
        """The same events with items recoded so that code k is ``item_ids[k]``.

        This lines a data set up with a trained model's catalogue (its
        checkpoint's item ids). Items of `item_ids` that the data never
        mentions stay in the catalogue with no events, no text and the
        generic kind. A data item missing from `item_ids` is an error.
        """
        ids = np.asarray([str(i) for i in item_ids], dtype=object)
        code_of = {i: k for k, i in enumerate(ids)}
        if len(code_of) != len(ids):
            raise ValueError(f"{self.name}: the given item order repeats an item id")
        mine = [str(i) for i in self.item_ids]
        unknown = [i for i in mine if i not in code_of]
        if unknown:
            examples = ", ".join(repr(i) for i in unknown[:5])
            more = ", ..." if len(unknown) > 5 else ""
            raise DataFormatError(
                f"{self.name}: {len(unknown)} of {self.n_items} items are not among the "
                f"{len(ids)} known item ids, e.g. {examples}{more}"
            )
        new_code = np.array([code_of[i] for i in mine], dtype=np.int64)
        text = None
        if self.item_text is not None:
            text = [None] * len(ids)
            for old, new in enumerate(new_code):
                text[new] = self.item_text[old]
        kinds = None
        if self.item_kind is not None:
            kinds = np.zeros(len(ids), dtype=np.int8)
            kinds[new_code] = self.item_kind
        return Interactions(
            user=self.user,
            item=new_code[self.item],
            action=self.action,
            timestamp=self.timestamp,
            value=self.value,
            user_ids=self.user_ids,
            item_ids=ids,
            action_names=self.action_names,
            item_text=text,
            item_kind=kinds,
            user_attributes=self.user_attributes,
            name=self.name,
        )

    def summary(self) -> dict[str, float | int | str]:
        lengths = np.diff(self.offsets)
        return {
            "name": self.name,
            "users": self.n_users,
            "items": self.n_items,
            "interactions": len(self),
            "avg_length": round(float(lengths.mean()), 2) if len(lengths) else 0.0,
            "items_with_text": sum(t is not None for t in self.item_text or []),
        }


def _codes_by_first_appearance(raw: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Integer codes for raw ids, numbered in order of first appearance."""
    uniq, first, inverse = np.unique(raw, return_index=True, return_inverse=True)
    rank = np.empty(len(uniq), dtype=np.int64)
    rank[np.argsort(first, kind="stable")] = np.arange(len(uniq))
    ids = uniq[np.argsort(first, kind="stable")].astype(object)
    return rank[inverse.reshape(-1)], ids
