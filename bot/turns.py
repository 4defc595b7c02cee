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
    `max_batch` are waiting). `flush()` before reading or deleting a person's data."""

    def __init__(self, db: Database, interval_s: float = 0.5, max_batch: int = 500) -> None:
        self.db = db
        self.interval_s = interval_s
        self.max_batch = max_batch
        self._pending: list[Turn] = []
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._lock = asyncio.Lock()  # one writer at a time keeps turns in order
        self.written = 0

    def add(
        self,
        telegram_id: int,
        first_name: str | None,
        text: str,
        intent: str | None,
        confidence: float | None,
    ) -> None:
        self._pending.append(Turn(telegram_id, first_name, text, intent, confidence, utcnow()))
        if len(self._pending) >= self.max_batch:
            self._wake.set()

    async def flush(self) -> int:
        async with self._lock:
            batch, self._pending = self._pending, []
            if not batch:
                return 0
            try:
                n = await self.db.acall(write_turns, batch)
            except Exception:
                # keep them for the next try rather than lose the log to a busy database
                self._pending[:0] = batch
                raise
            self.written += n
            return n

    async def _run(self) -> None:
        while True:
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
            self._task = asyncio.get_running_loop().create_task(self._run(), name="turn-log")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None
        await self.flush()
