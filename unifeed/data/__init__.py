"""Interaction data: the in-memory table and the readers that fill it."""

from unifeed.data.errors import DataFormatError
from unifeed.data.interactions import ITEM_KINDS, Interactions
from unifeed.data.movielens import read_movielens_1m, read_movielens_100k
from unifeed.data.readers import (
    read_dataset,
    read_events,
    read_pairs,
    read_sequences,
)
from unifeed.data.synthetic import make_synthetic

__all__ = [
    "ITEM_KINDS",
    "DataFormatError",
    "Interactions",
    "make_synthetic",
    "read_dataset",
    "read_events",
    "read_movielens_1m",
    "read_movielens_100k",
    "read_pairs",
    "read_sequences",
]
