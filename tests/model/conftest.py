"""Shared settings for the model tests.

The model tests train small models on the CPU. The test machine shares its
few cores with long benchmarks, and torch's intra-op threads then spend more
time waiting for each other than computing, so each module runs on one thread.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import torch


@pytest.fixture(autouse=True, scope="module")
def one_torch_thread() -> Iterator[None]:
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
