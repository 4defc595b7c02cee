"""ChatRateLimiter on virtual time: per-chat and global pacing, 429 handling, what is exempt."""

from __future__ import annotations

import asyncio
import heapq
import itertools
from datetime import timedelta

import pytest
from telegram.error import RetryAfter

from bot.concurrency import ChatRateLimiter
from bot.sandbox.ratelimit import TokenBucket


class VirtualTime:
    """A clock that only moves when every task is asleep: sleeps cost no real time."""

    def __init__(self) -> None:
        self.now = 0.0
        self._sleepers: list[tuple[float, int, asyncio.Future[None]]] = []
        self._seq = itertools.count()

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        fut = asyncio.get_running_loop().create_future()
        heapq.heappush(self._sleepers, (self.now + max(seconds, 0.0), next(self._seq), fut))
        await fut

    async def run(self, *coros):
        tasks = [asyncio.ensure_future(c) for c in coros]
        while not all(t.done() for t in tasks):
            for _ in range(10):
                await asyncio.sleep(0)
            if self._sleepers and not all(t.done() for t in tasks):
                wake, _, fut = heapq.heappop(self._sleepers)
                self.now = max(self.now, wake)
                fut.set_result(None)
        return [t.result() for t in tasks]


def limiter(vt: VirtualTime, **kw) -> ChatRateLimiter:
    return ChatRateLimiter(clock=vt.clock, sleep=vt.sleep, **kw)


def sender(vt: VirtualTime, rl: ChatRateLimiter, log: list, endpoint: str = "sendMessage"):
    async def send(chat_id, tag=None, **extra):
        async def callback():
            log.append((vt.now, chat_id, tag))
            return True

        data = {"chat_id": chat_id, **extra} if chat_id is not None else extra
        return await rl.process_request(callback, (), {}, endpoint, data, None)

    return send


async def test_one_chat_gets_its_burst_then_one_per_second():
    vt, log = VirtualTime(), []
    send = sender(vt, limiter(vt, chat_rate=1.0, chat_burst=2.0, overall_rate=1000), log)
    await vt.run(*(send(1, i) for i in range(6)))
    assert [t for t, _, _ in log] == [0.0, 0.0, 1.0, 2.0, 3.0, 4.0]
    assert [tag for _, _, tag in log] == list(range(6))  # in the order asked


async def test_a_busy_chat_does_not_hold_up_other_chats():
    vt, log = VirtualTime(), []
    send = sender(vt, limiter(vt, chat_rate=1.0, chat_burst=1.0, overall_rate=1000), log)
    await vt.run(*(send(1) for _ in range(5)), send(2))
    assert (0.0, 2, None) in log
    assert [t for t, chat, _ in log if chat == 1] == [0.0, 1.0, 2.0, 3.0, 4.0]


async def test_overall_rate_spaces_sends_to_different_chats():
    vt, log = VirtualTime(), []
    send = sender(vt, limiter(vt, overall_rate=5.0, overall_burst=1.0), log)
    await vt.run(*(send(100 + i) for i in range(10)))
    times = [t for t, _, _ in log]
    assert all(abs(t - 0.2 * i) < 1e-9 for i, t in enumerate(times))


async def test_what_it_lets_through_never_overdraws_the_sandbox_buckets():
    """The sandbox's own model (1/s burst 3 per chat, 30/s global) sees no violation."""
    vt, log = VirtualTime(), []
    send = sender(vt, limiter(vt), log)  # defaults: 30/s overall, 1/s burst 2 per chat
    coros = [send(1000 + (i % 40), i) for i in range(400)]
    await vt.run(*coros)
    chats: dict[int, TokenBucket] = {}
    overall = TokenBucket(30.0, 30.0, last=0.0)
    for t, chat, _ in sorted(log, key=lambda x: x[0]):
        bucket = chats.setdefault(chat, TokenBucket(1.0, 3.0, last=0.0))
        assert bucket.wait_time(t) == 0
        assert overall.wait_time(t) == 0
        bucket.consume()
        overall.consume()
    assert len(log) == 400


# PTB 22's RetryAfter warns about its own attribute type when constructed
@pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")
async def test_429_pauses_and_retries():
    vt = VirtualTime()
    rl = limiter(vt, overall_rate=1000)
    calls = []

    async def flaky():
        calls.append(vt.now)
        if len(calls) == 1:
            raise RetryAfter(timedelta(seconds=3))
        return True

    assert await vt.run(rl.process_request(flaky, (), {}, "sendMessage", {"chat_id": 5}, None)) == [
        True
    ]
    assert len(calls) == 2
    assert calls[1] >= 3.0


async def test_requests_that_are_not_messages_are_not_paced():
    vt, log = VirtualTime(), []
    rl = limiter(vt, chat_rate=1.0, chat_burst=1.0, overall_rate=1.0, overall_burst=1.0)
    typing = sender(vt, rl, log, "sendChatAction")
    answer = sender(vt, rl, log, "answerCallbackQuery")
    await vt.run(*(typing(7) for _ in range(5)), *(answer(None) for _ in range(5)))
    assert [t for t, _, _ in log] == [0.0] * 10


async def test_background_sends_only_fill_the_slots_replies_leave():
    """Replies book ahead; a broadcast takes spare slots only, and together they keep the rate."""
    vt, log = VirtualTime(), []
    rl = limiter(vt, overall_rate=10.0, overall_burst=1.0)
    reply = sender(vt, rl, log)

    async def broadcast(n: int):
        for i in range(n):
            assert await rl.budget.spare_overall()
            log.append((vt.now, 9000 + i, "broadcast"))
            await vt.sleep(0)

    async def replies_later(n: int):
        await vt.sleep(1.0)  # citizens write while the broadcast is going out, one by one
        sends = []
        for i in range(n):
            sends.append(asyncio.ensure_future(reply(100 + i, "reply")))
            await vt.sleep(0.05)
        await asyncio.gather(*sends)

    await vt.run(broadcast(40), replies_later(10))
    times = sorted(t for t, _, _ in log)
    # never more than one send per 0.1 s (10/s, burst 1), broadcast and replies together
    assert all(b - a >= 0.1 - 1e-9 for a, b in zip(times, times[1:], strict=False))
    reply_times = [t for t, _, tag in log if tag == "reply"]
    assert len(reply_times) == 10
    # the ten replies took the next ten slots: none waited behind the remaining broadcast
    assert max(reply_times) <= 1.0 + 10 * 0.1 + 1e-9
    during = [t for t, _, tag in log if tag == "broadcast" and 1.0 < t < max(reply_times)]
    assert during == []
    assert sum(tag == "broadcast" for _, _, tag in log) == 40


async def test_broadcast_and_replies_share_each_chats_second():
    vt, log = VirtualTime(), []
    rl = limiter(vt, overall_rate=1000, chat_rate=1.0, chat_burst=1.0)
    reply = sender(vt, rl, log)

    async def broadcast_to(chat: int):
        await rl.budget.wait_chat(chat)
        assert await rl.budget.spare_overall()
        log.append((vt.now, chat, "broadcast"))

    await vt.run(reply(7, "reply"), broadcast_to(7), reply(7, "reply"))
    assert [t for t, _, _ in log] == [0.0, 1.0, 2.0]
