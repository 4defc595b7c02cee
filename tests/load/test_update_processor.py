"""ChatOrderedUpdateProcessor: per-chat order, cross-chat concurrency, bounded, error-proof."""

from __future__ import annotations

import asyncio
import random
from collections import defaultdict
from datetime import UTC, datetime

import pytest
from telegram import CallbackQuery, Chat, Message, Update, User

from bot.concurrency import ChatOrderedUpdateProcessor, chat_key

# Generous guard against a deadlock hanging the suite; not a timing threshold.
GUARD_S = 10.0
_ids = iter(range(1, 10**9))


def message_update(chat_id: int, text: str = "hi") -> Update:
    uid = next(_ids)
    user = User(chat_id, "U", False)
    chat = Chat(chat_id, Chat.PRIVATE)
    return Update(uid, message=Message(uid, datetime.now(UTC), chat, from_user=user, text=text))


def submit(processor, update, coroutine) -> asyncio.Task:
    # PTB does the same: one task per fetched update, in fetch order
    return asyncio.get_running_loop().create_task(processor.process_update(update, coroutine))


async def test_same_chat_in_order_one_at_a_time_while_chats_interleave():
    processor = ChatOrderedUpdateProcessor(8)
    rng = random.Random(7)
    started: dict[int, list[int]] = defaultdict(list)
    active: dict[int, int] = defaultdict(int)
    overlap_in_chat = []
    peak_total = 0
    running = 0

    async def handle(chat_id: int, n: int) -> None:
        nonlocal running, peak_total
        active[chat_id] += 1
        running += 1
        peak_total = max(peak_total, running)
        if active[chat_id] > 1:
            overlap_in_chat.append((chat_id, n))
        started[chat_id].append(n)
        for _ in range(rng.randint(0, 5)):
            await asyncio.sleep(0)
        active[chat_id] -= 1
        running -= 1

    tasks = []
    for n in range(30):
        for chat_id in (11, 12, 13, 14, 15):
            tasks.append(submit(processor, message_update(chat_id), handle(chat_id, n)))
    await asyncio.wait_for(asyncio.gather(*tasks), GUARD_S)
    assert overlap_in_chat == []
    for chat_id in (11, 12, 13, 14, 15):
        assert started[chat_id] == list(range(30))
    assert peak_total > 1  # different chats did run together
    assert processor.busy_chats == 0


async def test_different_chats_overlap():
    processor = ChatOrderedUpdateProcessor(4)
    b_running = asyncio.Event()
    order = []

    async def a() -> None:
        await b_running.wait()  # would never return if chats were processed one by one
        order.append("a")

    async def b() -> None:
        b_running.set()
        order.append("b")

    tasks = [submit(processor, message_update(1), a()), submit(processor, message_update(2), b())]
    await asyncio.wait_for(asyncio.gather(*tasks), GUARD_S)
    assert order == ["b", "a"]


async def test_a_failing_update_does_not_wedge_its_chat():
    processor = ChatOrderedUpdateProcessor(4)
    seen = []

    async def boom() -> None:
        seen.append("boom")
        raise RuntimeError("handler crashed")

    async def fine(tag: str) -> None:
        seen.append(tag)

    tasks = [
        submit(processor, message_update(5), fine("first")),
        submit(processor, message_update(5), boom()),
        submit(processor, message_update(5), fine("after")),
    ]
    results = await asyncio.wait_for(asyncio.gather(*tasks, return_exceptions=True), GUARD_S)
    assert seen == ["first", "boom", "after"]
    assert isinstance(results[1], RuntimeError)
    assert processor.busy_chats == 0


async def test_concurrency_is_bounded():
    processor = ChatOrderedUpdateProcessor(3)
    gate = asyncio.Event()
    running = 0
    peak = 0

    async def handle() -> None:
        nonlocal running, peak
        running += 1
        peak = max(peak, running)
        await gate.wait()
        running -= 1

    tasks = [submit(processor, message_update(100 + i), handle()) for i in range(10)]
    while running < 3:
        await asyncio.sleep(0)
    for _ in range(20):  # give the others every chance to (wrongly) start
        await asyncio.sleep(0)
    assert running == 3
    assert processor.current_concurrent_updates == 3
    gate.set()
    await asyncio.wait_for(asyncio.gather(*tasks), GUARD_S)
    assert peak == 3


async def test_a_backlog_in_one_chat_does_not_hold_the_slots_of_other_chats():
    processor = ChatOrderedUpdateProcessor(2)
    gate = asyncio.Event()
    other_done = asyncio.Event()

    async def stuck() -> None:
        await gate.wait()

    async def queued() -> None:
        pass

    async def other() -> None:
        other_done.set()

    flood = [submit(processor, message_update(7), stuck())]
    flood += [submit(processor, message_update(7), queued()) for _ in range(10)]
    other_task = submit(processor, message_update(8), other())
    await asyncio.wait_for(other_done.wait(), GUARD_S)  # chat 8 ran while chat 7 is blocked
    gate.set()
    await asyncio.wait_for(asyncio.gather(*flood, other_task), GUARD_S)


async def test_cancelled_waiter_keeps_the_order_of_the_rest():
    processor = ChatOrderedUpdateProcessor(4)
    gate = asyncio.Event()
    seen = []

    async def first() -> None:
        await gate.wait()
        seen.append(1)

    async def second() -> None:
        seen.append(2)

    async def third() -> None:
        seen.append(3)

    t1 = submit(processor, message_update(9), first())
    t2 = submit(processor, message_update(9), second())
    t3 = submit(processor, message_update(9), third())
    for _ in range(5):
        await asyncio.sleep(0)
    t2.cancel()
    for _ in range(5):
        await asyncio.sleep(0)
    assert seen == []  # the third still waits for the first
    gate.set()
    await asyncio.wait_for(asyncio.gather(t1, t3), GUARD_S)
    with pytest.raises(asyncio.CancelledError):
        await t2
    assert seen == [1, 3]


def test_callback_queries_are_ordered_with_the_messages_of_their_chat():
    msg = message_update(42)
    query = Update(
        next(_ids),
        callback_query=CallbackQuery(
            "q1", User(42, "U", False), "ci", message=msg.message, data="x"
        ),
    )
    assert chat_key(query) == chat_key(msg) == ("chat", 42)
    assert chat_key(object()) is None


def test_rejects_a_non_positive_bound():
    with pytest.raises(ValueError):
        ChatOrderedUpdateProcessor(0)
