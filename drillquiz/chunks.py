"""Splitting work into pieces of a bounded size (itertools.batched, from Python 3.12, returns tuples)."""

from collections.abc import Iterator, Sequence
from typing import TypeVar

T = TypeVar("T")


def chunked(items: Sequence[T], size: int) -> Iterator[list[T]]:
    """items in lists of size, the last one shorter."""
    for start in range(0, len(items), size):
        yield list(items[start : start + size])
