"""The batched conversation log (bot/turns.py) against a real SQLite database."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import select

from bot.stack import prepare_database
from bot.turns import TurnLog
from db import people as db_people
from db.models import ConversationTurn, Person


@pytest.fixture
def database(tmp_path):
    db = prepare_database(f"sqlite:///{tmp_path}/turns.sqlite3")
    yield db
    db.dispose()


def turns_of(database, telegram_id: int) -> list[str]:
    with database.factory() as s:
        return list(
            s.scalars(
                select(ConversationTurn.text)
                .join(Person, Person.id == ConversationTurn.person_id)
                .where(Person.telegram_id == telegram_id)
                .order_by(ConversationTurn.id)
            )
        )


async def test_turns_wait_for_the_batch_then_are_written_in_order(database):
    log = TurnLog(database, interval_s=0.2)
    log.start()
    try:
        log.add(1, "Lan", "bhyt bao nhieu tien", "ask_cost", 0.97)
        log.add(2, "Minh", "mua o dau", "ask_where_to_buy", 0.91)
        log.add(1, "Lan", "4 nguoi", "inform", 0.88)
        assert turns_of(database, 1) == []  # not yet: the batch is still open
        for _ in range(40):
            if turns_of(database, 1):
                break
            await asyncio.sleep(0.05)
        assert turns_of(database, 1) == ["bhyt bao nhieu tien", "4 nguoi"]
        assert turns_of(database, 2) == ["mua o dau"]
        assert await log.flush() == 0  # waits for the running write; nothing left to write
        assert log.written == 3
    finally:
        await log.stop()


async def test_stop_writes_what_is_left_and_people_are_created_once(database):
    log = TurnLog(database, interval_s=60)
    log.start()
    for i in range(5):
        log.add(7, "Hoa", f"tin {i}", None, 0.2)
    await log.stop()
    assert turns_of(database, 7) == [f"tin {i}" for i in range(5)]
    with database.factory() as s:
        assert len(s.scalars(select(Person).where(Person.telegram_id == 7)).all()) == 1


async def test_a_failed_write_keeps_the_turns_for_the_next_one(database, monkeypatch):
    log = TurnLog(database, interval_s=60)
    log.add(9, "Tú", "xin chao", "greet", 0.99)
    real = database.acall
    calls = []

    async def flaky(fn, *args):
        calls.append(fn)
        if len(calls) == 1:
            raise RuntimeError("database is locked")
        return await real(fn, *args)

    monkeypatch.setattr(database, "acall", flaky)
    with pytest.raises(RuntimeError):
        await log.flush()
    assert turns_of(database, 9) == []
    assert await log.flush() == 1
    assert turns_of(database, 9) == ["xin chao"]


async def test_existing_people_keep_their_record(database):
    pid = database.call(lambda s: db_people.get_or_create_person(s, 11, "Mai")[0].id)
    log = TurnLog(database)
    log.add(11, "Mai", "cam on", "thank", 0.99)
    await log.flush()
    with database.factory() as s:
        assert s.scalar(select(ConversationTurn.person_id)) == pid


async def test_forget_drops_a_persons_unwritten_turns_only(database):
    log = TurnLog(database, interval_s=60)
    log.add(21, "An", "so dien thoai cua toi", None, 0.3)
    log.add(22, "Bình", "bao nhieu tien", "ask_cost", 0.9)
    await log.forget(21)
    await log.flush()
    assert turns_of(database, 21) == []
    assert turns_of(database, 22) == ["bao nhieu tien"]


async def test_a_cancelled_flush_still_writes_its_batch(database):
    log = TurnLog(database, interval_s=60)
    log.add(31, "Cúc", "mua o dau", "ask_where_to_buy", 0.9)
    flushing = asyncio.create_task(log.flush())
    await asyncio.sleep(0)  # the write has started in its thread
    flushing.cancel()
    with pytest.raises(asyncio.CancelledError):
        await flushing
    for _ in range(40):
        if turns_of(database, 31):
            break
        await asyncio.sleep(0.05)
    assert turns_of(database, 31) == ["mua o dau"]
    assert await log.flush() == 0  # nothing was put back to be written twice
