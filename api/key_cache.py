"""Recently checked API keys, so a busy client's every request does not query the keys table.

The trade-off is the revocation bound: a key revoked (``kilowatch keys revoke``, another
process) keeps working for at most ``ttl_s`` seconds in each API worker that checked it
just before. Only keys that passed are kept, so a new key works at once and a wrong key
is looked up every time. Entries are keyed by the key's SHA-256 (what the database holds
too), never by the secret itself.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable

from api.security import Principal, hash_key

#: Keys kept at most per process; the oldest checked go first (a key flood cannot grow memory).
MAX_KEYS = 1024


class KeyCache:
    """The principal of each API key that passed within the last ``ttl_s`` seconds; 0 keeps none."""

    def __init__(self, ttl_s: float, max_keys: int = MAX_KEYS, clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl_s, self.max_keys, self._clock = ttl_s, max_keys, clock
        self._kept: OrderedDict[str, tuple[float, Principal]] = OrderedDict()
        self._lock = threading.Lock()

    def kept(self, key: str) -> Principal | None:
        """The key's principal if it passed a check less than ``ttl_s`` ago; None means: check it."""
        if self.ttl_s <= 0:
            return None
        digest, now = hash_key(key), self._clock()
        with self._lock:
            kept = self._kept.get(digest)
        return kept[1] if kept is not None and kept[0] > now else None

    def principal(self, key: str, check: Callable[[str], Principal | None]) -> Principal | None:
        """The key's principal, from a check at most ``ttl_s`` old, else from ``check(key)`` now."""
        found = self.kept(key)
        if found is not None:
            return found
        if self.ttl_s <= 0:
            return check(key)
        digest, now = hash_key(key), self._clock()
        principal = check(key)
        with self._lock:
            if principal is None:
                self._kept.pop(digest, None)
            else:
                self._kept[digest] = (now + self.ttl_s, principal)
                self._kept.move_to_end(digest)
                while len(self._kept) > self.max_keys:
                    self._kept.popitem(last=False)
        return principal

    def __len__(self) -> int:
        return len(self._kept)
