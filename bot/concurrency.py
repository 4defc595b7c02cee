"""Concurrent update processing that keeps each chat's updates in order; sends within limits.

PTB's own concurrency (`concurrent_updates(N)`) runs any N updates at once, so two messages of
one person can be handled out of order and race on `chat_data` (the conversation step). Here
updates of the same chat run one after another, in arrival order; different chats run
concurrently, at most `max_concurrent_updates` handlers at a time.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import time
import warnings
from collections.abc import Awaitable, Callable, Coroutine, Hashable
from datetime import timedelta
from typing import Any

from telegram import Update
from telegram.error import RetryAfter
from telegram.ext import BaseRateLimiter, BaseUpdateProcessor

log = logging.getLogger(__name__)

# Update tasks allowed to wait for their turn (PTB creates one task per fetched update anyway;
# this only bounds how many sit in the base semaphore, not memory).
_MAX_WAITING = 1_000_000


def _close(coroutine: Awaitable[Any]) -> None:
    """Cancelled before its turn: close it, so no "never awaited" warning."""
    if inspect.iscoroutine(coroutine):
        coroutine.close()


def chat_key(update: object) -> Hashable | None:
    """What orders updates: the chat, else the user; None for updates with neither (polls...)."""
    if isinstance(update, Update):
        if update.effective_chat is not None:
            return ("chat", update.effective_chat.id)
        if update.effective_user is not None:
            return ("user", update.effective_user.id)
    return None


class ChatOrderedUpdateProcessor(BaseUpdateProcessor):
    """Same chat: in order, one at a time. Different chats: concurrently, bounded.

    Waiting for the previous update of one's chat does not take a concurrency slot, so one chat
    with a backlog (a person flooding the bot) cannot stall everybody else.
    """

    def __init__(self, max_concurrent_updates: int = 64):
        if max_concurrent_updates < 1:
            raise ValueError("max_concurrent_updates must be a positive integer")
        # The base semaphore is taken before we know whether the update must wait for its chat;
        # give it room for every waiting task and bound the running ones ourselves. The base
        # sizes it from the `max_concurrent_updates` property, hence the two assignments.
        self._limit = _MAX_WAITING
        super().__init__(_MAX_WAITING)
        self._limit = max_concurrent_updates
        self._running = asyncio.Semaphore(max_concurrent_updates)
        # chat -> future done when the newest known update of that chat has finished
        self._tails: dict[Hashable, asyncio.Future[None]] = {}
        self._active = 0

    @property
    def max_concurrent_updates(self) -> int:
        return self._limit

    @property
    def current_concurrent_updates(self) -> int:
        return self._active

    @property
    def busy_chats(self) -> int:
        """Chats with an update running or waiting (for benches and tests)."""
        return len(self._tails)

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        key = chat_key(update)
        if key is None:
            await self._run(coroutine)
            return
        previous = self._tails.get(key)
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._tails[key] = done
        try:
            if previous is not None:
                try:
                    # shield: a cancelled successor must not cancel its predecessor's marker
                    await asyncio.shield(previous)
                except BaseException:
                    _close(coroutine)
                    raise
            await self._run(coroutine)
        finally:
            self._finish(key, done, previous)

    async def _run(self, coroutine: Awaitable[Any]) -> None:
        started = False
        try:
            async with self._running:
                started = True
                self._active += 1
                try:
                    await coroutine
                finally:
                    self._active -= 1
        finally:
            if not started:
                _close(coroutine)

    def _finish(
        self, key: Hashable, done: asyncio.Future[None], previous: asyncio.Future[None] | None
    ) -> None:
        def release(_: object = None) -> None:
            if not done.done():
                done.set_result(None)
            if self._tails.get(key) is done:
                del self._tails[key]

        if previous is not None and not previous.done():
            # we were cancelled while waiting: successors still wait for our predecessor
            previous.add_done_callback(release)
        else:
            release()

    async def initialize(self) -> None:
        pass

    async def shutdown(self) -> None:
        # let running handlers end; waiting ones were cancelled with their tasks by PTB
        pending = [f for f in self._tails.values() if not f.done()]
        if pending:
            await asyncio.wait(pending, timeout=5.0)  # wait, unlike wait_for, cancels nothing


# ----- sending: Telegram's flood limits kept by waiting, not by 429s ------------------------------

Clock = Callable[[], float]
Sleep = Callable[[float], Awaitable[None]]
# Methods that put a message in a chat: what Telegram's flood limits count.
_UNLIMITED = frozenset({"sendchataction"})


def _counts(endpoint: str) -> bool:
    name = endpoint.lower()
    return name.startswith(("send", "copy", "forward")) and name not in _UNLIMITED


class Gcra:
    """Generic cell rate algorithm: `rate` per second, `burst` at once; FIFO by reservation.

    `reserve(key)` books the next slot and returns how long to wait for it, so concurrent
    callers never race for a token and need no lock.
    """

    def __init__(self, rate: float, burst: float = 1.0, clock: Clock = time.monotonic):
        if rate <= 0:
            raise ValueError("rate must be positive")
        self.interval = 1.0 / rate
        self.tolerance = (max(1.0, burst) - 1.0) * self.interval
        self.clock = clock
        self._tat: dict[Hashable, float] = {}  # theoretical arrival time per key

    def reserve(self, key: Hashable = None) -> float:
        now = self.clock()
        tat = max(self._tat.get(key, now), now)
        send_at = max(now, tat - self.tolerance)
        self._tat[key] = tat + self.interval
        if len(self._tat) > 20_000:  # forget keys that are back to a full burst
            self._tat = {k: t for k, t in self._tat.items() if t > now}
        return send_at - now

    def take_spare(self, key: Hashable = None) -> float:
        """Take a slot only if one is free now (0.0); else how long until one is, reserving
        nothing. Whoever `reserve`s books ahead and so always goes first: background senders
        (broadcasts) use this and only fill the gaps that replies leave."""
        now = self.clock()
        tat = max(self._tat.get(key, now), now)
        free_at = tat - self.tolerance
        if free_at > now:
            return free_at - now
        self._tat[key] = tat + self.interval
        return 0.0

    def pause(self, seconds: float, key: Hashable = None) -> None:
        """Nothing for `key` before now + seconds (a 429's retry_after), then no burst."""
        now = self.clock()
        self._tat[key] = max(self._tat.get(key, now), now + seconds + self.tolerance)


class SendBudget:
    """Telegram's flood limits for one bot token, shared by everything that sends with it.

    Replies book their slots ahead (`wait_chat`, `wait_overall`); the broadcast engine takes
    only the global slots that are free right now (`spare_overall`), so a broadcast never delays a person
    waiting for an answer (python-telegram-bot issue #3689) and the two together stay under
    the global rate. Per chat both book the same 1/s slots: a citizen who is chatting while
    the broadcast reaches them gets both messages, one second apart.
    """

    def __init__(
        self,
        overall_rate: float = 30.0,
        overall_burst: float = 5.0,
        chat_rate: float = 1.0,
        chat_burst: float = 2.0,
        group_per_minute: float = 20.0,
        clock: Clock = time.monotonic,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self.overall = Gcra(overall_rate, overall_burst, clock)
        self.chats = Gcra(chat_rate, chat_burst, clock)
        self.groups = Gcra(group_per_minute / 60.0, 3.0, clock)
        self.paid = Gcra(1000.0, 30.0, clock)  # allow_paid_broadcast: Telegram's paid ceiling
        self.sleep = sleep

    def _per_chat(self, chat_id: int | str) -> Gcra:
        return self.chats if isinstance(chat_id, int) and chat_id > 0 else self.groups

    async def wait_chat(self, chat_id: int | str) -> None:
        if wait := self._per_chat(chat_id).reserve(chat_id):
            await self.sleep(wait)

    async def wait_overall(self, paid: bool = False) -> None:
        if wait := (self.paid if paid else self.overall).reserve():
            await self.sleep(wait)

    async def spare_overall(self, should_run: Callable[[], bool] = lambda: True) -> bool:
        """Wait for a global slot nobody booked; False when should_run() turned false."""
        while should_run():
            wait = self.overall.take_spare()
            if not wait:
                return True
            await self.sleep(min(wait, 0.25))
        return False

    def pause(self, seconds: float) -> None:
        """A 429: nobody sends for `seconds`."""
        self.overall.pause(seconds)


class ChatRateLimiter(BaseRateLimiter[int]):
    """Keeps the bot under Telegram's limits by making sends wait their turn.

    Per private chat at most `chat_rate`/s with a burst of `chat_burst` (Telegram: about one
    message per second, short bursts tolerated); per group `group_per_minute`; over all chats
    `overall_rate`/s. A send first waits for its chat, then for the global slot, so a busy chat
    never holds up the others. PTB's AIORateLimiter does not limit private chats at all, and on
    a 429 it stops every request; here a 429 only pauses the global slot for retry_after.
    """

    def __init__(
        self,
        budget: SendBudget | None = None,
        *,
        max_retries: int = 3,
        sleep: Sleep = asyncio.sleep,
        **limits: Any,
    ) -> None:
        """`limits`: SendBudget's (overall_rate, chat_burst, clock...) for a budget of its own."""
        if budget is not None and (limits or not isinstance(budget, SendBudget)):
            raise TypeError("give a SendBudget, or the limits of a new one, not both")
        self.budget = budget or SendBudget(sleep=sleep, **limits)
        self.max_retries = max_retries
        self.sleep = sleep

    async def initialize(self) -> None:
        pass

    async def shutdown(self) -> None:
        pass

    async def _wait(self, endpoint: str, data: dict[str, Any]) -> None:
        chat_id = data.get("chat_id")
        if chat_id is None or not _counts(endpoint):
            return
        try:
            cid: int | str = int(chat_id)
        except (TypeError, ValueError):
            cid = str(chat_id)  # @channelname
        # first the chat's slot, then the global one: a busy chat never holds the others up
        await self.budget.wait_chat(cid)
        await self.budget.wait_overall(paid=bool(data.get("allow_paid_broadcast")))

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, bool | dict[str, Any] | list[dict[str, Any]]]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> bool | dict[str, Any] | list[dict[str, Any]]:
        retries = self.max_retries if rate_limit_args is None else rate_limit_args
        for attempt in range(retries + 1):
            await self._wait(endpoint, data)
            try:
                return await callback(*args, **kwargs)
            except RetryAfter as exc:
                if attempt >= retries:
                    raise
                seconds = _retry_after_s(exc)
                log.info("429 on %s; waiting %.1f s", endpoint, seconds)
                self.budget.pause(seconds)
                if data.get("chat_id") is None or not _counts(endpoint):
                    await self.sleep(seconds)
        raise AssertionError("unreachable")


def _retry_after_s(exc: RetryAfter) -> float:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # PTB 22 warns that int will become timedelta
        value = exc.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)
