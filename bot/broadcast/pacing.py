"""Token-bucket pacing for broadcast sends (global rate, per-chat spacing, 429 pauses).

PTB's AIORateLimiter (aiolimiter's leaky bucket) lets bursts through (python-telegram-bot
issue #3772), so the delivery engine does not rely on it: every send first takes a token here.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

Clock = Callable[[], float]


def _always() -> bool:
    return True


class TokenBucket:
    """`rate` tokens per second, at most `burst` saved up; `pause()` stops everyone (429)."""

    def __init__(self, rate: float, burst: float = 1.0, clock: Clock = time.monotonic):
        if rate <= 0:
            raise ValueError("rate must be positive")
        self.rate = float(rate)
        self.burst = max(1.0, float(burst))
        self.clock = clock
        self.tokens = self.burst
        self.last = clock()
        self.paused_until = 0.0
        self._lock = asyncio.Lock()  # FIFO: waiters get tokens in arrival order

    def pause(self, seconds: float) -> None:
        """Nobody sends for `seconds` (Telegram's retry_after); no burst right after it."""
        self.paused_until = max(self.paused_until, self.clock() + seconds)

    def _refill(self, now: float) -> None:
        if now > self.last:
            self.tokens = min(self.burst, self.tokens + (now - self.last) * self.rate)
            self.last = now

    async def acquire(self, should_run: Callable[[], bool] = _always) -> bool:
        """Wait for a token; False when should_run() turned false while waiting."""
        async with self._lock:
            while True:
                if not should_run():
                    return False
                now = self.clock()
                if now < self.paused_until:
                    await asyncio.sleep(min(self.paused_until - now, 0.25))
                    if self.clock() >= self.paused_until:
                        self.tokens = 0.0  # resume at the steady rate, not with a burst
                        self.last = self.clock()
                    continue
                self._refill(now)
                if self.tokens >= 1.0:
                    self.tokens -= 1.0
                    return True
                await asyncio.sleep(min((1.0 - self.tokens) / self.rate, 0.25))


class ChatSpacing:
    """At most one message per `interval` seconds to the same chat (Telegram: ~1/s)."""

    def __init__(self, interval: float = 1.0, clock: Clock = time.monotonic):
        self.interval = interval
        self.clock = clock
        self.next_at: dict[int, float] = {}

    async def wait(self, chat_id: int) -> None:
        now = self.clock()
        at = self.next_at.get(chat_id, 0.0)
        if at > now:
            await asyncio.sleep(at - now)
        self.next_at[chat_id] = max(at, now) + self.interval
        if len(self.next_at) > 50_000:  # forget chats whose slot is in the past
            now = self.clock()
            self.next_at = {c: t for c, t in self.next_at.items() if t > now}
