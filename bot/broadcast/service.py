"""The application's side of broadcasting: pick up due broadcasts, run each in a task.

Sending never happens inside an update handler (python-telegram-bot issue #3689: a long
handler blocks update processing): handlers only call `start()`, which creates a task.
A JobQueue job (`pickup`, every broadcast_poll_s) starts scheduled broadcasts when due and
resumes ones left 'sending' by a crashed or restarted process. Tasks are created with
`Application.create_task`, so `Application.stop()` waits for them; they see `app.running`
turn false and stop after their in-flight sends (unclaimed rows stay pending for next time).
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime

from sqlalchemy.orm import Session
from telegram import Bot
from telegram.ext import Application, ContextTypes
from telegram.request import HTTPXRequest

from bot.broadcast.engine import DeliveryEngine, EngineConfig, RunResult, author_chat
from bot.broadcast.progress import ChatProgress
from bot.concurrency import ChatRateLimiter
from bot.config import Settings
from db import broadcasts as db_bc
from db.models import utcnow
from db.session import Database

log = logging.getLogger(__name__)

JOB_NAME = "broadcast-pickup"
KEY = "broadcasts"  # application.bot_data key


def due_ids(session: Session, now: datetime) -> list[int]:
    return [b.id for b in db_bc.due_broadcasts(session, now)]


def engine_bot(token: str, base_url: str | None, pool: int) -> Bot:
    """A plain Bot (no AIORateLimiter: the engine paces itself) with its own connection pool,
    so a broadcast never starves the handlers' connections."""
    request = HTTPXRequest(connection_pool_size=pool)
    if base_url:
        base = base_url.rstrip("/")
        return Bot(token, request=request, base_url=f"{base}/bot", base_file_url=f"{base}/file/bot")
    return Bot(token, request=request)


class BroadcastService:
    def __init__(self, app: Application, settings: Settings, db: Database):
        self.app = app
        self.settings = settings
        self.db = db
        self.config = EngineConfig.from_settings(settings)
        self.engine: DeliveryEngine | None = None
        self.tasks: dict[int, asyncio.Task[RunResult | None]] = {}
        self.results: dict[int, RunResult] = {}
        self._lock = asyncio.Lock()

    async def _engine(self) -> DeliveryEngine:
        async with self._lock:
            if self.engine is None:
                bot = engine_bot(
                    self.app.bot.token, self.settings.bot_api_base_url, self.config.concurrency + 2
                )
                await bot.initialize()
                limiter = getattr(self.app.bot, "rate_limiter", None)
                self.engine = DeliveryEngine(
                    self.db,
                    bot,
                    self.config,
                    should_run=lambda: self.app.running,
                    shared=limiter.budget if isinstance(limiter, ChatRateLimiter) else None,
                )
            return self.engine

    async def _close_if_idle(self) -> None:
        async with self._lock:
            if self.engine is not None and not self.tasks:
                await self.engine.bot.shutdown()
                self.engine = None

    def start(self, broadcast_id: int) -> bool:
        """Start sending now (idempotent: False when it is already being sent)."""
        task = self.tasks.get(broadcast_id)
        if task is not None and not task.done():
            return False
        if not self.app.running:
            return False
        self.tasks[broadcast_id] = self.app.create_task(
            self._run(broadcast_id), name=f"broadcast-{broadcast_id}"
        )
        return True

    async def _run(self, broadcast_id: int) -> RunResult | None:
        try:
            engine = await self._engine()
            author = await self.db.acall(author_chat, broadcast_id)
            progress = (
                ChatProgress(
                    engine.bot, engine.bucket, author[0], author[1], broadcast_id, engine.shared
                )
                if author
                else None
            )
            result = await engine.run(broadcast_id, progress)
            self.results[broadcast_id] = result
            log.info(
                "broadcast %s: %s in %.1f s (%s)",
                broadcast_id,
                result.counts,
                result.seconds,
                "finished" if result.finished else "stopped",
            )
            return result
        except Exception:
            log.exception(
                "broadcast %s: sender failed; the pick-up job will resume it", broadcast_id
            )
            return None
        finally:
            self.tasks.pop(broadcast_id, None)
            await self._close_if_idle()

    async def pickup(self, context: ContextTypes.DEFAULT_TYPE | None = None) -> list[int]:
        """JobQueue callback: start every due broadcast that is not running."""
        if not self.app.running:
            return []
        started = []
        for broadcast_id in await self.db.acall(due_ids, utcnow()):
            if self.start(broadcast_id):
                started.append(broadcast_id)
        return started


def install(app: Application, settings: Settings, db: Database) -> BroadcastService:
    service = BroadcastService(app, settings, db)
    app.bot_data[KEY] = service
    if app.job_queue is not None:
        app.job_queue.run_repeating(
            service.pickup, interval=settings.broadcast_poll_s, first=1.0, name=JOB_NAME
        )
    else:  # pragma: no cover - the job-queue extra is a dependency
        log.warning("no JobQueue: scheduled broadcasts will not start by themselves")
    return service
