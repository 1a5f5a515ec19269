"""An in-memory store for emulator state, plus the vendors' paging styles.

Each collection hands out ids from its own counter, so a run with the same
requests gets the same ids and invoice numbers every time (a test can assert
on "10001"). Documents are copied in and out: a handler can never change
stored state by mutating what it got back.
"""

from __future__ import annotations

import copy
import math
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from ledgerbridge.core.clock import utc_iso
from ledgerbridge.core.sandbox.messages import HTTPError, MultiDict

Doc = dict[str, Any]


class Collection:
    """Documents keyed by one field; ids come from a per-collection counter."""

    def __init__(
        self, name: str, *, key: str = "id", start: int = 1, id_format: str | None = None
    ) -> None:
        self.name = name
        self.key = key
        self.id_format = id_format  # e.g. "{:06d}" for zero-padded numbers
        self._next = start
        self._docs: dict[Any, Doc] = {}
        self._lock = threading.RLock()

    def next_id(self) -> Any:
        """Take the next id (formatted when `id_format` is set)."""
        with self._lock:
            number = self._next
            self._next += 1
        return self.id_format.format(number) if self.id_format else number

    def insert(self, doc: Mapping[str, Any]) -> Doc:
        """Store a copy; a missing key is assigned. A duplicate key is a 409."""
        stored = copy.deepcopy(dict(doc))
        with self._lock:
            if stored.get(self.key) is None:
                stored[self.key] = self.next_id()
            if stored[self.key] in self._docs:
                raise HTTPError(409, f"{self.name} {stored[self.key]} already exists")
            self._docs[stored[self.key]] = stored
            return copy.deepcopy(stored)

    def get(self, key: Any) -> Doc | None:
        with self._lock:
            doc = self._docs.get(key)
            return copy.deepcopy(doc) if doc is not None else None

    def require(self, key: Any, message: str | None = None) -> Doc:
        """The document, or a 404 in the emulator's error shape."""
        doc = self.get(key)
        if doc is None:
            raise HTTPError(404, message or f"{self.name} {key} was not found")
        return doc

    def update(self, key: Any, changes: Mapping[str, Any]) -> Doc | None:
        """Merge `changes` into the document; None when it does not exist."""
        with self._lock:
            doc = self._docs.get(key)
            if doc is None:
                return None
            doc.update(copy.deepcopy(dict(changes)))
            doc[self.key] = key
            return copy.deepcopy(doc)

    def replace(self, key: Any, doc: Mapping[str, Any]) -> Doc:
        with self._lock:
            stored = {**copy.deepcopy(dict(doc)), self.key: key}
            self._docs[key] = stored
            return copy.deepcopy(stored)

    def delete(self, key: Any) -> bool:
        with self._lock:
            return self._docs.pop(key, None) is not None

    def find(self, where: Callable[[Doc], bool] | None = None, **equals: Any) -> list[Doc]:
        """Documents in insertion order matching `where` and every `field=value`."""
        with self._lock:
            docs = [
                copy.deepcopy(d)
                for d in self._docs.values()
                if all(d.get(k) == v for k, v in equals.items()) and (where is None or where(d))
            ]
        return docs

    def first(self, where: Callable[[Doc], bool] | None = None, **equals: Any) -> Doc | None:
        found = self.find(where, **equals)
        return found[0] if found else None

    def all(self) -> list[Doc]:
        return self.find()

    def clear(self) -> None:
        with self._lock:
            self._docs.clear()

    def __len__(self) -> int:
        with self._lock:
            return len(self._docs)

    def __iter__(self) -> Iterator[Doc]:
        return iter(self.all())

    def __contains__(self, key: object) -> bool:
        with self._lock:
            return key in self._docs


class Store:
    """Named collections, created on first use."""

    def __init__(self) -> None:
        self._collections: dict[str, Collection] = {}
        self._lock = threading.Lock()

    def collection(
        self, name: str, *, key: str = "id", start: int = 1, id_format: str | None = None
    ) -> Collection:
        """The collection `name`; options apply when it is created."""
        with self._lock:
            if name not in self._collections:
                self._collections[name] = Collection(
                    name, key=key, start=start, id_format=id_format
                )
            return self._collections[name]

    def __getitem__(self, name: str) -> Collection:
        return self.collection(name)

    def names(self) -> list[str]:
        with self._lock:
            return list(self._collections)


# -- paging -------------------------------------------------------------------------


@dataclass(frozen=True)
class Page:
    items: list[Doc]
    number: int  # 1-based
    size: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.size)) if self.size else 1


def paginate(items: Iterable[Doc], number: int, size: int) -> Page:
    """Slice 1-based page `number` of `size` items out of `items`."""
    all_items = list(items)
    start = (number - 1) * size
    return Page(all_items[start : start + size], number, size, len(all_items))


def page_params(
    query: MultiDict,
    *,
    page_name: str = "pageNumber",
    size_name: str = "pageSize",
    default_size: int = 100,
    max_size: int = 1000,
    required: bool = False,
) -> tuple[int, int]:
    """(page, size) from the query; bad values are a 400, oversize is capped.

    Visma.net uses pageNumber/pageSize; eAccounting uses $page/$pagesize
    (`dollar_page_params`).
    """
    page = _int_param(query, page_name, 1 if not required else None)
    size = _int_param(query, size_name, default_size if not required else None)
    if page < 1 or size < 1:
        raise HTTPError(400, f"{page_name} and {size_name} must be positive integers")
    return page, min(size, max_size)


def dollar_page_params(
    query: MultiDict, *, default_size: int = 50, max_size: int = 1000
) -> tuple[int, int]:
    """(page, size) from eAccounting's `$page` / `$pagesize` query parameters."""
    return page_params(
        query,
        page_name="$page",
        size_name="$pagesize",
        default_size=default_size,
        max_size=max_size,
    )


def meta_envelope(page: Page, server_time: float) -> dict[str, Any]:
    """eAccounting's list response: `{Meta: {...}, Data: [...]}`."""
    return {
        "Meta": {
            "CurrentPage": page.number,
            "PageSize": page.size,
            "TotalNumberOfPages": page.pages,
            "TotalNumberOfResults": page.total,
            "ServerTimeUtc": utc_iso(server_time),
        },
        "Data": page.items,
    }


def _int_param(query: MultiDict, name: str, default: int | None) -> int:
    raw = query.get(name)
    if raw is None or raw == "":
        if default is None:
            raise HTTPError(400, f"The query parameter {name} is required")
        return default
    try:
        return int(raw)
    except ValueError:
        raise HTTPError(400, f"The value '{raw}' is not valid for {name}") from None
