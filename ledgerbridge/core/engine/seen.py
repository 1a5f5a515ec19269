"""Keys a flow has already met in this run, in fixed memory.

A first sync reads records none of which is linked yet, and asked the state
database for each record's link all the same (a fifth of a first sync's
time). When a flow starts with no link at all for an entity on its source
side, a record whose key this run has not met cannot have one either: only
this flow's own outcomes make links for that side during the run, and a key
met again is looked up. This Bloom filter says "maybe met" (then the
database is asked) or "certainly not" (then it need not be), in 2 MiB
whatever the size of the run, so memory stays flat.
"""

from __future__ import annotations

_BITS = 1 << 24  # 2 MiB; under 0.5 % false "maybe" at a million keys


class SeenKeys:
    def __init__(self) -> None:
        self._bits = bytearray(_BITS // 8)

    def _slots(self, key: str) -> tuple[int, int, int]:
        h = hash(key)
        g = hash((key, 1))
        mask = _BITS - 1
        return h & mask, (h >> 24) & mask, g & mask

    def add(self, key: str) -> bool:
        """Remember `key`; True when it may have been met before."""
        seen = True
        for slot in self._slots(key):
            byte, bit = divmod(slot, 8)
            if not self._bits[byte] >> bit & 1:
                seen = False
                self._bits[byte] |= 1 << bit
        return seen
