"""Flood control: 429 retry_after in enforce mode, violation counting in count mode."""

from __future__ import annotations

import asyncio
import datetime as dtm
from collections.abc import AsyncIterator

import pytest
from telegram import Bot
from telegram.error import RetryAfter
from telegram.ext import AIORateLimiter, ExtBot

from bot.sandbox import DEFAULT_TOKEN as TOKEN
from bot.sandbox import Sandbox, SandboxClient, start_sandbox


async def _world(sb: Sandbox) -> SandboxClient:
    c = SandboxClient(sb.url)
    await c.add_user(id=1001, first_name="Lan")
    await c.add_user(id=1002, first_name="Hùng")
    return c


def _bot(sb: Sandbox, **kw) -> Bot:
    return Bot(TOKEN, base_url=f"{sb.url}/bot", **kw)


def _seconds(value: int | dtm.timedelta) -> float:
    return value.total_seconds() if isinstance(value, dtm.timedelta) else value


@pytest.fixture
async def strict() -> AsyncIterator[tuple[Sandbox, SandboxClient]]:
    # slow refill (1 per 5 s): the assertions cannot depend on how fast the host runs
    sb = await start_sandbox(per_chat_rate=0.2, per_chat_burst=3, global_rate=30)
    c = await _world(sb)
    yield sb, c
    await c.close()
    await sb.stop()


async def test_per_chat_limit_answers_429_with_retry_after(strict) -> None:
    sb, c = strict
    async with _bot(sb) as bot:
        for i in range(3):  # the burst allowance
            await bot.send_message(1001, f"m{i}")
        with pytest.raises(RetryAfter) as exc:
            await bot.send_message(1001, "one too many")
        assert 1 <= _seconds(exc.value.retry_after) <= 5
        # other chats have their own allowance
        assert (await bot.send_message(1002, "fine")).text == "fine"
    stats = await c.stats()
    assert stats["count_429"] == 1
    assert stats["violations"]["per_chat"] == 1
    assert stats["violations"]["per_chat_by_chat"] == {"1001": 1}
    [violation] = await c.violations()
    assert violation["chat_id"] == 1001 and violation["rejected"] is True
    assert [e["text"] for e in await c.outbox(user="Lan")] == ["m0", "m1", "m2"]


async def test_global_limit() -> None:
    sb = await start_sandbox(global_rate=0.2, global_burst=2, per_chat_rate=50, per_chat_burst=50)
    c = await _world(sb)
    try:
        async with _bot(sb) as bot:
            await bot.send_message(1001, "a")
            await bot.send_message(1002, "b")
            with pytest.raises(RetryAfter):
                await bot.send_message(1001, "c")
        counts = (await c.stats())["violations"]
        assert counts["global"] == 1 and counts["per_chat"] == 0
    finally:
        await c.close()
        await sb.stop()


async def test_ptb_rate_limiter_retries_after_429() -> None:
    sb = await start_sandbox(per_chat_rate=1, per_chat_burst=1)
    c = await _world(sb)
    try:
        limiter = AIORateLimiter(max_retries=3)
        async with ExtBot(TOKEN, base_url=f"{sb.url}/bot", rate_limiter=limiter) as bot:
            first = await bot.send_message(1001, "một")
            second = await bot.send_message(1001, "hai")  # 429 first, then retried
        assert second.message_id == first.message_id + 1
        stats = await c.stats()
        assert stats["count_429"] == 1  # the first message of a chat is always within limits
        assert stats["requests"]["sendMessage"] == 3
        assert [e["text"] for e in await c.outbox(user="Lan")] == ["một", "hai"]
    finally:
        await c.close()
        await sb.stop()


async def test_count_mode_accepts_and_counts_violations() -> None:
    sb = await start_sandbox(mode="count", per_chat_rate=0.05, per_chat_burst=3)
    c = await _world(sb)
    try:
        async with _bot(sb) as bot:
            for i in range(6):
                await bot.send_message(1001, f"m{i}")
            stats = await c.stats()
            assert stats["count_429"] == 0 and stats["requests"]["sendMessage"] == 6
            assert stats["violations"]["per_chat"] == 3  # 3 beyond the burst of 3
            assert all(v["rejected"] is False for v in await c.violations())

            # switched at runtime: a global budget of 2, refilled slowly
            cfg = await c.config(global_rate=0.1, global_burst=2, per_chat_burst=10)
            assert cfg["mode"] == "count" and cfg["global_rate"] == 0.1
            await c.reset()
            await asyncio.gather(*(bot.send_message(uid, "x") for uid in (1001, 1002, 1001, 1002)))
            counts = (await c.stats())["violations"]
            assert counts["global"] == 2 and counts["per_chat"] == 0
            assert len(await c.outbox()) == 4
    finally:
        await c.close()
        await sb.stop()


async def test_send_chat_action_and_edits_are_not_rate_limited(strict) -> None:
    sb, c = strict
    async with _bot(sb) as bot:
        msg = await bot.send_message(1001, "v0")
        for i in range(1, 6):
            await bot.send_chat_action(1001, "typing")
            await bot.edit_message_text(f"v{i}", chat_id=1001, message_id=msg.message_id)
    assert (await c.stats())["violations"]["total"] == 0
