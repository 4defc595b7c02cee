"""The conversation log, written in batches.

Every free-text message is logged (text, intent, confidence) for NLU review and is purged
after the retention period. Writing each one in its own transaction cost the bot more CPU
under load than answering it (a person lookup, an insert and a commit per message, in a
thread that competes for the GIL); here turns wait in memory for at most `interval_s` and are
written together. A crash loses at most that much of the log, never anything a person
consented to or asked for (consents, leads and deliveries are written at once).
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from db import people as db_people
from db import privacy as db_privacy
from db.models import utcnow
from db.session import Database

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Turn:
    telegram_id: int
    first_name: str | None
    text: str
    intent: str | None
    confidence: float | None
    at: datetime


def write_turns(session: Session, turns: list[Turn]) -> int:
    """One transaction: the people (created on first contact) and then all their turns."""
    person_ids: dict[int, int] = {}
    for t in turns:
        if t.telegram_id not in person_ids:
            person, _ = db_people.get_or_create_person(session, t.telegram_id, t.first_name)
            person_ids[t.telegram_id] = person.id
    return db_privacy.log_turns(
        session,
        [
            {
                "person_id": person_ids[t.telegram_id],
                "text": t.text,
                "intent": t.intent,
                "confidence": t.confidence,
                "created_at": t.at,
            }
            for t in turns
        ],
    )


class TurnLog:
    """`add()` from handlers; a background task writes every `interval_s` (or when
    `max_batch` are waiting). `flush()` before showing a person's data, `forget()` before
    deleting it."""

    def __init__(
        self,
        db: Database,
        interval_s: float = 0.5,
        max_batch: int = 500,
        max_pending: int = 50_000,
    ) -> None:
        self.db = db
        self.interval_s = interval_s
        self.max_batch = max_batch
        self.max_pending = max_pending  # a database down for long: keep the newest only
        self._pending: list[Turn] = []
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._closing = False
        self._lock = asyncio.Lock()  # one write at a time keeps turns in order
        self.written = 0
        self.dropped = 0

    def add(
        self,
        telegram_id: int,
        first_name: str | None,
        text: str,
        intent: str | None,
        confidence: float | None,
    ) -> None:
        self._pending.append(Turn(telegram_id, first_name, text, intent, confidence, utcnow()))
        if len(self._pending) > self.max_pending:
            excess = len(self._pending) - self.max_pending
            del self._pending[:excess]
            self.dropped += excess
            log.warning("conversation log: %s oldest turns dropped, database unavailable", excess)
        if len(self._pending) >= self.max_batch:
            self._wake.set()

    async def flush(self) -> int:
        async with self._lock:
            batch, self._pending = self._pending, []
            if not batch:
                return 0
            # its own task, shielded: a cancelled caller does not lose the batch
            write = asyncio.ensure_future(self.db.acall(write_turns, batch))
            try:
                n = await asyncio.shield(write)
            except asyncio.CancelledError:
                write.add_done_callback(lambda w: self._settle_orphan(w, batch))
                raise
            except Exception:
                self._pending[:0] = batch  # kept for the next try
                raise
            self.written += n
            return n

    def _settle_orphan(self, write: asyncio.Future[int], batch: list[Turn]) -> None:
        if write.cancelled() or write.exception() is not None:
            self._pending[:0] = batch
        else:
            self.written += write.result()

    async def forget(self, telegram_id: int) -> None:
        """Drop a person's turns not yet written (they are deleting their data); waits for a
        write in progress so that the deletion comes after it."""
        async with self._lock:
            self._pending = [t for t in self._pending if t.telegram_id != telegram_id]

    async def _run(self) -> None:
        while not self._closing:
            try:
                await asyncio.wait_for(self._wake.wait(), self.interval_s)
            except TimeoutError:
                pass
            self._wake.clear()
            try:
                await self.flush()
            except Exception:
                log.warning("conversation log not written yet; will retry", exc_info=True)

    def start(self) -> None:
        if self._task is None:
            self._closing = False
            self._task = asyncio.get_running_loop().create_task(self._run(), name="turn-log")

    async def stop(self) -> None:
        """Let the writer finish its round (not cancelled mid-write), then write the rest."""
        if self._task is not None:
            self._closing = True
            self._wake.set()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None
        await self.flush()
