"""State per account and region, built from plain dataclasses."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Generic, TypeVar

S = TypeVar("S")


class AccountRegionStores(Generic[S]):
    """One store per (account_id, region), created on first use."""

    def __init__(self, factory: Callable[[], S]) -> None:
        self._factory = factory
        self._stores: dict[tuple[str, str], S] = {}

    def get(self, account_id: str, region: str) -> S:
        if (store := self._stores.get((account_id, region))) is None:
            store = self._stores[(account_id, region)] = self._factory()
        return store

    def items(self) -> Iterator[tuple[tuple[str, str], S]]:
        return iter(list(self._stores.items()))

    def reset(self) -> None:
        self._stores.clear()

    def __len__(self) -> int:
        return len(self._stores)
