"""Token buckets modelling Telegram's flood limits (per chat and global)."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Any


@dataclass
class TokenBucket:
    rate: float  # tokens per second
    burst: float  # bucket size
    tokens: float = -1.0
    last: float = field(default_factory=time.monotonic)

    def __post_init__(self) -> None:
        if self.tokens < 0:
            self.tokens = self.burst

    def _refill(self, now: float) -> None:
        if now > self.last:
            self.tokens = min(self.burst, self.tokens + (now - self.last) * self.rate)
            self.last = now

    def wait_time(self, now: float) -> float:
        """Seconds until one token is available (0 when one is available now)."""
        self._refill(now)
        if self.tokens >= 1.0:
            return 0.0
        return (1.0 - self.tokens) / self.rate

    def consume(self) -> None:
        self.tokens -= 1.0


@dataclass
class Violation:
    ts: float
    kind: str  # "global" | "per_chat"
    chat_id: int
    method: str
    rejected: bool

    def as_dict(self) -> dict[str, Any]:
        return self.__dict__.copy()


class FloodControl:
    """Decides whether a send is within limits; records every violation.

    mode "enforce": a send over the limit is rejected (the caller answers 429 retry_after).
    mode "count": the send is accepted; the violation is only recorded.
    mode "off": nothing is checked.
    """

    def __init__(
        self,
        global_rate: float = 30.0,
        per_chat_rate: float = 1.0,
        mode: str = "enforce",
        global_burst: float | None = None,
        per_chat_burst: float = 3.0,
    ) -> None:
        self.configure(
            global_rate=global_rate,
            per_chat_rate=per_chat_rate,
            mode=mode,
            global_burst=global_burst if global_burst is not None else global_rate,
            per_chat_burst=per_chat_burst,
        )
        self.violations: list[Violation] = []

    def configure(self, **kw: Any) -> None:
        mode = kw.get("mode", getattr(self, "mode", "enforce"))
        if mode not in ("enforce", "count", "off"):
            raise ValueError(f"mode must be enforce, count or off, not {mode!r}")
        self.mode = mode
        self.global_rate = float(kw.get("global_rate", getattr(self, "global_rate", 30.0)))
        self.per_chat_rate = float(kw.get("per_chat_rate", getattr(self, "per_chat_rate", 1.0)))
        self.global_burst = float(kw.get("global_burst", getattr(self, "global_burst", 30.0)))
        self.per_chat_burst = float(kw.get("per_chat_burst", getattr(self, "per_chat_burst", 3.0)))
        self._global = TokenBucket(self.global_rate, self.global_burst)
        self._chats: dict[int, TokenBucket] = {}

    def config(self) -> dict[str, Any]:
        return {
            "mode": self.mode,
            "global_rate": self.global_rate,
            "global_burst": self.global_burst,
            "per_chat_rate": self.per_chat_rate,
            "per_chat_burst": self.per_chat_burst,
        }

    def check(self, chat_id: int, method: str) -> int:
        """Return 0 when the send may proceed, else retry_after seconds (enforce mode)."""
        if self.mode == "off":
            return 0
        now = time.monotonic()
        bucket = self._chats.get(chat_id)
        if bucket is None:
            bucket = self._chats[chat_id] = TokenBucket(self.per_chat_rate, self.per_chat_burst)
        chat_wait = bucket.wait_time(now)
        global_wait = self._global.wait_time(now)
        rejected = self.mode == "enforce" and (chat_wait > 0 or global_wait > 0)
        wall = time.time()
        if chat_wait > 0:
            self.violations.append(Violation(wall, "per_chat", chat_id, method, rejected))
        if global_wait > 0:
            self.violations.append(Violation(wall, "global", chat_id, method, rejected))
        if rejected:
            return max(1, math.ceil(max(chat_wait, global_wait)))
        # count mode: an over-limit send takes no token, so only the excess is counted
        if chat_wait == 0:
            bucket.consume()
        if global_wait == 0:
            self._global.consume()
        return 0

    def counts(self) -> dict[str, Any]:
        per_chat: dict[str, int] = {}
        for v in self.violations:
            if v.kind == "per_chat":
                per_chat[str(v.chat_id)] = per_chat.get(str(v.chat_id), 0) + 1
        return {
            "global": sum(1 for v in self.violations if v.kind == "global"),
            "per_chat": sum(1 for v in self.violations if v.kind == "per_chat"),
            "per_chat_by_chat": per_chat,
            "total": len(self.violations),
        }
