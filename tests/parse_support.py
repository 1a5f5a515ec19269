"""For tests of sources that share one parse through the run's parse cache."""

from __future__ import annotations

from types import ModuleType
from typing import Any

import pytest

from ledgerbridge.core.parsecache import ParseCache


def keep_caches(monkeypatch: pytest.MonkeyPatch, plugin: ModuleType) -> list[ParseCache]:
    """Every run's parse cache, kept to look at after the run: `plugin` is the
    connector's module that gets the run's cache as `parse_cache(ctx)`."""
    made: list[ParseCache] = []
    real = plugin.parse_cache

    def keeping(ctx: Any) -> ParseCache | None:
        cache = real(ctx)
        if cache is not None and cache not in made:
            made.append(cache)
        return cache

    monkeypatch.setattr(plugin, "parse_cache", keeping)
    return made
