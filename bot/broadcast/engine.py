"""Broadcast delivery engine: Delivery rows drive sending, paced, restartable, at-most-once.

One worker step: take a token (global pace) -> claim a row (next_pending; workers that hold
a token at the same moment share one claiming transaction) -> send at once -> record it.
A row is 'sending' only from just before its request until just after Telegram's answer, so
after a crash (SIGKILL, power cut) the rows left 'sending' are exactly the sends whose outcome
is unknown: the request may or may not have reached Telegram. Nothing was claimed "ahead",
so nothing provably unsent is stuck there.

Trade-off for those unknown rows (at most `concurrency`, usually 0 or 1 per crash):
- default, at-most-once: they are marked failed ("outcome unknown") and never re-sent; a
  recipient may miss this one broadcast but never gets two copies;
- `resend_unknown=True`, at-least-once: they are re-queued (db.broadcasts.requeue_stale);
  nobody is missed but a recipient may get a second copy.
Errors whose outcome is known are handled precisely: 429 -> everyone pauses retry_after and
the row is re-queued (not counted as an attempt that failed); 403 -> blocked + unsubscribed;
400 -> failed; 5xx / connection refused / pool timeout (request provably not delivered) ->
re-queued with exponential backoff up to max_attempts; read timeouts -> unknown (as above).

Assumes one sending process per database (one bot process per token, as Telegram allows one
poller): a broadcast found 'sending' when this engine starts it belongs to a dead process.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, Protocol

import httpx
from sqlalchemy import select
from sqlalchemy.orm import Session
from telegram import Bot
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError, TimedOut
from telegram.warnings import PTBDeprecationWarning, PTBUserWarning

from bot.broadcast.pacing import ChatSpacing, TokenBucket
from bot.broadcast.render import Rendered, render_broadcast
from bot.concurrency import SendBudget
from db import broadcasts as db_bc
from db.models import Broadcast, Delivery, Person
from db.session import Database

log = logging.getLogger(__name__)

UNKNOWN_ERROR = "outcome unknown: the sender stopped during this send (at-most-once: not re-sent)"
# A 429 is Telegram refusing the message: re-queue without ever giving up on it.
NEVER_GIVE_UP = 1_000_000


def _always() -> bool:
    return True


@dataclass(frozen=True)
class EngineConfig:
    rate: float = 25.0  # messages per second, all broadcasts together
    burst: float = 2.0  # > 1 so that a late wake-up does not lose the token's time
    per_chat_s: float = 1.0
    concurrency: int = 8
    max_attempts: int = 5
    backoff_base_s: float = 0.5
    backoff_max_s: float = 60.0
    progress_s: float = 3.0
    resend_unknown: bool = False

    @classmethod
    def from_settings(cls, settings: Any) -> EngineConfig:
        rate = settings.broadcast_rate
        # By default 0.2 s of sending saved up and ~0.25 s of requests in flight: under load
        # the event loop wakes senders late and answers come slower, and with a burst of 2 and
        # 8 senders a 100/s broadcast beside 130 replies/s reached only ~77 % of its rate.
        # With RATE_LIMITER=chat Telegram's own limits are kept by the shared send budget,
        # not by this bucket; with aio, BROADCAST_RATE must leave room for the replies.
        burst = settings.broadcast_burst or max(2.0, rate * 0.2)
        concurrency = settings.broadcast_concurrency or max(8, math.ceil(rate / 4))
        return cls(
            rate=rate,
            burst=burst,
            per_chat_s=settings.broadcast_per_chat_s,
            concurrency=concurrency,
            max_attempts=settings.broadcast_max_attempts,
            backoff_max_s=settings.broadcast_backoff_max_s,
            progress_s=settings.broadcast_progress_s,
            resend_unknown=settings.broadcast_resend_unknown,
        )


@dataclass
class RunStats:
    sent: int = 0
    blocked: int = 0
    failed: int = 0
    requeued: int = 0  # transient errors and 429s, sent again later
    rate_limited: int = 0  # 429 answers
    unknown: int = 0  # outcome unknown in this run (read timeout)
    recovered_unknown: int = 0  # rows left 'sending' by a crashed process


@dataclass
class RunResult:
    broadcast_id: int
    counts: dict[str, int]
    stats: RunStats
    seconds: float
    finished: bool  # False: stopped (shutdown or cancelled) with rows still pending


class ProgressSink(Protocol):
    async def start(self, counts: dict[str, int]) -> None: ...

    async def update(self, counts: dict[str, int], eta_s: float | None) -> None: ...

    async def finish(self, counts: dict[str, int], stats: RunStats, seconds: float) -> None: ...


# --- database steps (sync: run with db.acall, one transaction each) -------------------------


def recover_unknown(session: Session, broadcast_id: int, resend: bool) -> int:
    """Rows a dead sender left 'sending': at-most-once -> failed, at-least-once -> pending."""
    if resend:
        return db_bc.requeue_stale(session, broadcast_id, timedelta(0))
    ids = list(
        session.scalars(
            select(Delivery.id).where(
                Delivery.broadcast_id == broadcast_id, Delivery.status == "sending"
            )
        )
    )
    for delivery_id in ids:
        db_bc.mark_failed(session, delivery_id, UNKNOWN_ERROR, retry=False)
    return len(ids)


def prepare(session: Session, broadcast_id: int) -> Broadcast | None:
    """Materialise the audience the first time (idempotent); None when nothing is to be sent.
    A broadcast already 'sending' keeps its audience: late subscribers join the next one."""
    b = session.get(Broadcast, broadcast_id)
    if b is None or b.status in ("done", "cancelled"):
        return None
    if b.status != "sending":
        db_bc.materialise_deliveries(session, broadcast_id)
    session.flush()
    return b


def broadcast_status(session: Session, broadcast_id: int) -> str | None:
    return session.scalar(select(Broadcast.status).where(Broadcast.id == broadcast_id))


def author_chat(session: Session, broadcast_id: int) -> tuple[int, str] | None:
    row = session.execute(
        select(Person.telegram_id, Person.locale)
        .join(Broadcast, Broadcast.author_id == Person.id)
        .where(Broadcast.id == broadcast_id)
    ).first()
    return (row[0], row[1]) if row else None


# --- error classes ---------------------------------------------------------------------------


def provably_not_sent(exc: TelegramError) -> bool:
    """Network errors where Telegram cannot have received the request."""
    cause = exc.__cause__
    if cause is None:
        return isinstance(exc, NetworkError)  # Telegram answered (5xx / bad gateway)
    return isinstance(cause, httpx.ConnectError | httpx.ConnectTimeout | httpx.PoolTimeout)


def is_blocked(exc: TelegramError) -> bool:
    if isinstance(exc, Forbidden):
        return True
    text = str(exc).lower()
    return isinstance(exc, BadRequest) and ("chat not found" in text or "deactivated" in text)


# --- the engine ------------------------------------------------------------------------------


@dataclass
class _Run:
    broadcast_id: int
    rendered: Rendered
    stats: RunStats = field(default_factory=RunStats)
    stop: bool = False
    started: float = field(default_factory=time.monotonic)
    # Successful sends waiting to be recorded together (group commit). Losing these in a
    # crash is harmless: the rows stay 'sending' -> unknown -> not re-sent, and the
    # recipients did get them. Re-queues and blocks are written at once instead.
    sent: list[tuple[int, int | None]] = field(default_factory=list)
    sent_event: asyncio.Event = field(default_factory=asyncio.Event)
    workers_done: bool = False
    # Workers holding a token wait here for a row; one transaction claims for all of them,
    # and each sends right away, so a claimed row is never left waiting.
    claims: list[asyncio.Future[Delivery | None]] = field(default_factory=list)
    claim_event: asyncio.Event = field(default_factory=asyncio.Event)


class DeliveryEngine:
    """Sends broadcasts through `bot` (a plain telegram.Bot: no AIORateLimiter underneath).

    One engine per process; its token bucket paces every broadcast it runs together.
    """

    def __init__(
        self,
        db: Database,
        bot: Bot,
        config: EngineConfig | None = None,
        should_run: Callable[[], bool] = _always,
        clock: Callable[[], float] = time.monotonic,
        shared: SendBudget | None = None,
    ):
        """`shared`: the application's send budget (its ChatRateLimiter's). With it, every
        send also takes a global slot that replies left free and books the recipient's chat
        slot there, so replies go first and both together keep Telegram's limits."""
        self.db = db
        self.bot = bot
        self.config = config or EngineConfig()
        self.should_run = should_run
        self.clock = clock
        self.bucket = TokenBucket(self.config.rate, self.config.burst, clock)
        self.chats = ChatSpacing(self.config.per_chat_s, clock)
        self.shared = shared
        self._transient_streak = 0
        self.running: set[int] = set()
        # SQLite has one writer at a time and its busy handler sleeps up to tens of ms when
        # writers collide, so this process queues its own writes instead.
        sqlite = db.engine.dialect.name == "sqlite"
        self._db_gate = asyncio.Semaphore(1 if sqlite else max(2, self.config.concurrency // 2))

    async def _db(self, fn: Callable[..., Any], *args: Any) -> Any:
        async with self._db_gate:
            return await self.db.acall(fn, *args)

    async def run(self, broadcast_id: int, progress: ProgressSink | None = None) -> RunResult:
        """Send every pending delivery of one broadcast; returns when none is left (or when
        stopped). Safe to call again after a crash or a stop: it resumes."""
        if broadcast_id in self.running:
            raise RuntimeError(f"broadcast {broadcast_id} is already being sent")
        self.running.add(broadcast_id)
        try:
            return await self._run(broadcast_id, progress)
        finally:
            self.running.discard(broadcast_id)

    async def _run(self, broadcast_id: int, progress: ProgressSink | None) -> RunResult:
        cfg = self.config
        recovered = await self.db.acall(recover_unknown, broadcast_id, cfg.resend_unknown)
        if recovered:
            log.warning(
                "broadcast %s: %s deliveries left 'sending' by a stopped sender were %s",
                broadcast_id,
                recovered,
                "re-queued" if cfg.resend_unknown else "marked unknown (not re-sent)",
            )
        b = await self.db.acall(prepare, broadcast_id)
        if b is None:
            counts = await self.db.acall(db_bc.broadcast_progress, broadcast_id)
            return RunResult(broadcast_id, counts, RunStats(), 0.0, True)
        run = _Run(broadcast_id, render_broadcast(b))
        run.stats.recovered_unknown = recovered
        counts = await self.db.acall(db_bc.broadcast_progress, broadcast_id)
        if progress is not None:
            await self._safe(progress.start(counts))
        watcher = asyncio.create_task(self._watch(run, progress, counts["total"]))
        try:
            while not run.stop and self.should_run():
                run.workers_done = False
                helpers = [
                    asyncio.create_task(self._recorder(run)),
                    asyncio.create_task(self._claimer(run)),
                ]
                workers = [asyncio.create_task(self._worker(run)) for _ in range(cfg.concurrency)]
                try:
                    await asyncio.gather(*workers)
                finally:
                    run.workers_done = True
                    run.sent_event.set()
                    run.claim_event.set()
                    await asyncio.gather(*helpers)
                # a worker may have re-queued a row after the others found nothing pending
                counts = await self.db.acall(db_bc.broadcast_progress, broadcast_id)
                if counts["pending"] == 0:
                    break
        finally:
            watcher.cancel()
            await asyncio.gather(watcher, return_exceptions=True)
        counts = await self.db.acall(db_bc.broadcast_progress, broadcast_id)
        finished = counts["pending"] == 0 and counts["sending"] == 0
        seconds = self.clock() - run.started
        if progress is not None:
            await self._safe(progress.finish(counts, run.stats, seconds))
        return RunResult(broadcast_id, counts, run.stats, seconds, finished)

    async def _safe(self, coro: Any) -> None:
        try:
            await coro
        except Exception:  # progress is a courtesy: never let it stop the sending
            log.warning("broadcast progress message failed", exc_info=True)

    async def _watch(self, run: _Run, progress: ProgressSink | None, total: int) -> None:
        """Every progress_s: notice a cancellation, show progress (sent / left / ETA)."""
        while True:
            await asyncio.sleep(self.config.progress_s)
            status = await self._db(broadcast_status, run.broadcast_id)
            if status == "cancelled":
                run.stop = True
            if progress is None:
                continue
            counts = await self._db(db_bc.broadcast_progress, run.broadcast_id)
            left = counts["pending"] + counts["sending"]
            elapsed = self.clock() - run.started
            done_now = run.stats.sent + run.stats.blocked + run.stats.failed
            rate = done_now / elapsed if elapsed > 0 and done_now else self.config.rate
            await self._safe(progress.update(counts, left / rate if rate > 0 else None))

    async def _recorder(self, run: _Run) -> None:
        while True:
            if not run.sent:
                if run.workers_done:
                    return
                await run.sent_event.wait()
                run.sent_event.clear()
                continue
            batch, run.sent = run.sent, []
            await self._db(db_bc.mark_sent_many, batch)

    async def _claimer(self, run: _Run) -> None:
        while True:
            if not run.claims:
                if run.workers_done:
                    return
                await run.claim_event.wait()
                run.claim_event.clear()
                continue
            waiting, run.claims = run.claims, []
            try:
                rows = await self._db(db_bc.next_pending, run.broadcast_id, len(waiting))
            except Exception as exc:
                for fut in waiting:
                    fut.set_exception(exc)
                continue
            for i, fut in enumerate(waiting):
                fut.set_result(rows[i] if i < len(rows) else None)

    async def _claim(self, run: _Run) -> Delivery | None:
        fut: asyncio.Future[Delivery | None] = asyncio.get_running_loop().create_future()
        run.claims.append(fut)
        run.claim_event.set()
        return await fut

    def _go(self, run: _Run) -> bool:
        return not run.stop and self.should_run()

    async def _worker(self, run: _Run) -> None:
        while self._go(run):
            if not await self.bucket.acquire(lambda: self._go(run)):
                return
            # The global slot is taken before the claim, so no row waits in 'sending' for one
            # (after a crash such a row would count as unknown and not be re-sent). The send
            # follows the slot by a claim, or by up to a second when the recipient is
            # chatting with the bot: sends may bunch up by `concurrency`, never exceed the rate.
            if self.shared is not None and not await self.shared.spare_overall(
                lambda: self._go(run)
            ):
                return
            row = await self._claim(run)
            if row is None:
                return
            await self._deliver(run, row)

    async def send(self, chat_id: int, r: Rendered) -> int | None:
        """One Bot API call; returns the message id. Raw `do_api_request` with the keyboard
        serialised once per broadcast: building and parsing PTB objects for every recipient
        costs more CPU than the HTTP call itself."""
        params: dict[str, Any] = {"chat_id": chat_id, "reply_markup": r.markup_json}
        if r.photo:
            params.update(photo=r.photo, caption=r.text)
            endpoint = "sendPhoto"
        else:
            params["text"] = r.text
            endpoint = "sendMessage"
        with warnings.catch_warnings():  # PTB suggests the typed method; raw is deliberate
            warnings.simplefilter("ignore", PTBUserWarning)
            result = await self.bot.do_api_request(endpoint, api_kwargs=params)
        return result.get("message_id") if isinstance(result, dict) else None

    async def _deliver(self, run: _Run, d: Delivery) -> None:
        st = run.stats
        assert d.chat_id is not None
        await self.chats.wait(d.chat_id)  # BROADCAST_PER_CHAT_S between broadcast messages
        if self.shared is not None:
            await self.shared.wait_chat(d.chat_id)  # the chat's second, shared with replies
        try:
            message_id = await self.send(d.chat_id, run.rendered)
        except RetryAfter as exc:
            with warnings.catch_warnings():  # int today, timedelta in a later PTB
                warnings.simplefilter("ignore", PTBDeprecationWarning)
                wait = exc.retry_after
            seconds = wait.total_seconds() if isinstance(wait, timedelta) else float(wait)
            self.bucket.pause(seconds)
            if self.shared is not None:
                self.shared.pause(seconds)
            st.rate_limited += 1
            st.requeued += 1
            log.warning("broadcast %s: 429, pausing %.1f s", run.broadcast_id, seconds)
            await self._db(
                db_bc.mark_failed, d.id, f"429 retry after {seconds:g}", True, NEVER_GIVE_UP
            )
            return
        except TelegramError as exc:
            await self._failed(run, d, exc)
            return
        self._transient_streak = 0
        st.sent += 1
        run.sent.append((d.id, message_id))
        run.sent_event.set()

    async def _failed(self, run: _Run, d: Delivery, exc: TelegramError) -> None:
        cfg, st = self.config, run.stats
        if is_blocked(exc):
            st.blocked += 1
            await self._db(db_bc.mark_blocked, d.id, str(exc))
            return
        if isinstance(exc, NetworkError | TimedOut) and provably_not_sent(exc):
            self._transient_streak += 1
            delay = min(cfg.backoff_max_s, cfg.backoff_base_s * 2 ** (self._transient_streak - 1))
            self.bucket.pause(delay)
            row = await self._db(
                db_bc.mark_failed, d.id, f"{type(exc).__name__}: {exc}", True, cfg.max_attempts
            )
            if row.status == "pending":
                st.requeued += 1
            else:
                st.failed += 1
            log.warning(
                "broadcast %s: transient %r, backing off %.1f s", run.broadcast_id, exc, delay
            )
            return
        if isinstance(exc, NetworkError | TimedOut):  # the request may have been delivered
            st.unknown += 1
            if cfg.resend_unknown:
                await self._db(db_bc.mark_failed, d.id, f"unknown: {exc!r}", True, cfg.max_attempts)
            else:
                await self._db(db_bc.mark_failed, d.id, f"unknown: {exc!r}", False)
            return
        st.failed += 1  # 400 and the like: sending it again cannot help
        await self._db(db_bc.mark_failed, d.id, f"{type(exc).__name__}: {exc}", False)
