"""State per account and region: records (plain dataclasses) in one store each."""

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

    def find(self, account_id: str, region: str) -> S | None:
        """The store if it exists (inspection must not create one)."""
        return self._stores.get((account_id, region))

    def peek(self, account_id: str, region: str) -> S:
        """The store if it exists, else an empty one that is not kept (lookups create nothing)."""
        found = self._stores.get((account_id, region))
        return found if found is not None else self._factory()

    def items(self) -> Iterator[tuple[tuple[str, str], S]]:
        return iter(list(self._stores.items()))

    def put(self, account_id: str, region: str, store: S) -> None:
        self._stores[(account_id, region)] = store

    def reset(self) -> None:
        self._stores.clear()

    def __len__(self) -> int:
        return len(self._stores)
