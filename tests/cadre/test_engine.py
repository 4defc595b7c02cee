"""The delivery engine against the sandbox (real HTTP, flood limits) and a scripted fake bot."""

from __future__ import annotations

import asyncio
import re

import httpx
import pytest
from sqlalchemy import select
from telegram.error import Forbidden, NetworkError, TimedOut
from telegram.ext import ExtBot

from bot.broadcast.engine import UNKNOWN_ERROR, DeliveryEngine, EngineConfig
from bot.broadcast.service import engine_bot
from bot.concurrency import ChatRateLimiter
from bot.sandbox import DEFAULT_TOKEN, SandboxClient, start_sandbox
from bot.stack import prepare_database
from db import broadcasts as db_bc
from db.models import Broadcast, Delivery
from tests.cadre.helpers import AI_QUOC, active_subscriptions, commune_id, subscribe

BASE = 800_000
pytestmark = pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")


@pytest.fixture
def database(tmp_path):
    db = prepare_database(f"sqlite:///{tmp_path}/engine.sqlite3")
    yield db
    db.dispose()


def make_broadcast(database, n: int, text: str = "Tin thử") -> tuple[int, list[int]]:
    ids = [BASE + i for i in range(n)]
    for tid in ids:
        subscribe(database, tid, f"D{tid}", AI_QUOC)
    cid = commune_id(database, AI_QUOC)
    bid = database.call(lambda s: db_bc.create_broadcast(s, None, text, [cid]).id)
    return bid, ids


def statuses(database, bid: int) -> dict[int, str]:
    with database.factory() as s:
        return dict(
            s.execute(
                select(Delivery.chat_id, Delivery.status).where(Delivery.broadcast_id == bid)
            ).all()
        )


def copies(state, ids) -> dict[int, int]:
    out = dict.fromkeys(ids, 0)
    for e in state.outbox:
        if e["method"] == "sendMessage" and e["chat_id"] in out:
            out[e["chat_id"]] += 1
    return out


async def sandbox_with(ids, **options):
    sb = await start_sandbox(**options)
    for tid in ids:
        sb.state.add_user(id=tid, first_name=f"D{tid}")
    return sb


async def run_engine(database, sb, bid, cfg: EngineConfig):
    bot = engine_bot(DEFAULT_TOKEN, sb.url, cfg.concurrency + 2)
    await bot.initialize()
    try:
        return await DeliveryEngine(database, bot, cfg).run(bid)
    finally:
        await bot.shutdown()


async def test_paced_sending_makes_no_flood_violation(database):
    bid, ids = make_broadcast(database, 60)
    sb = await sandbox_with(ids, global_rate=20, mode="enforce")
    try:
        result = await run_engine(database, sb, bid, EngineConfig(rate=20, concurrency=8))
        stats = sb.state.stats()
        assert stats["violations"]["total"] == 0
        assert stats["count_429"] == 0
        assert set(copies(sb.state, ids).values()) == {1}
        assert result.finished and result.counts["sent"] == 60
        with database.factory() as s:
            assert s.get(Broadcast, bid).status == "done"
    finally:
        await sb.stop()


async def test_replies_go_first_and_share_telegrams_rate_with_the_broadcast(database):
    """python-telegram-bot #3689: a broadcast must not keep the bot from answering people.

    The engine is configured for the whole global rate, as a careless cadre setting would; the
    replies' limiter shares its budget with it, so the replies still leave at once and the two
    together never exceed the rate the sandbox counts."""
    bid, ids = make_broadcast(database, 60)
    citizens = [700_000 + i for i in range(12)]
    sb = await sandbox_with(ids + citizens, global_rate=20, global_burst=5, mode="count")
    limiter = ChatRateLimiter(overall_rate=20, overall_burst=2)
    bot = engine_bot(DEFAULT_TOKEN, sb.url, 10)
    await bot.initialize()
    replies_bot = ExtBot(DEFAULT_TOKEN, base_url=f"{sb.url}/bot", rate_limiter=limiter)
    await replies_bot.initialize()
    try:
        engine = DeliveryEngine(
            database, bot, EngineConfig(rate=20, concurrency=4), shared=limiter.budget
        )
        task = asyncio.create_task(engine.run(bid))
        await asyncio.sleep(1.0)  # the broadcast is under way
        loop = asyncio.get_running_loop()
        asked = loop.time()
        done_at = []

        async def answer(chat_id: int) -> None:
            await replies_bot.send_message(chat_id, "Trả lời")
            done_at.append(loop.time() - asked)

        for chat_id in citizens:  # one citizen every 50 ms, faster than the global rate
            asyncio.ensure_future(answer(chat_id))
            await asyncio.sleep(0.05)
        while len(done_at) < len(citizens):
            await asyncio.sleep(0.05)
        result = await task
        assert result.finished and result.counts["sent"] == 60
        assert set(copies(sb.state, ids).values()) == {1}
        assert sb.state.stats()["violations"]["total"] == 0
        # 12 replies at 20/s need 0.6 s; queued behind the 40 broadcast messages still to
        # go they would take over 2.5 s
        assert max(done_at) < 1.6
    finally:
        await replies_bot.shutdown()
        await bot.shutdown()
        await sb.stop()


async def test_429_retry_after_is_honoured_and_nothing_is_lost(database):
    bid, ids = make_broadcast(database, 24)
    # Telegram allows 8/s here but the engine is configured for 50/s: it will meet 429s.
    sb = await sandbox_with(ids, global_rate=8, global_burst=4, mode="enforce")
    try:
        result = await run_engine(database, sb, bid, EngineConfig(rate=50, concurrency=1))
        st = sb.state
        assert st.statuses[429] > 0
        assert result.stats.rate_limited == st.statuses[429]
        assert set(copies(st, ids).values()) == {1}
        assert result.counts["sent"] == 24
        # after each 429 (one sender), the next request waits at least retry_after
        requests = sorted(
            [e["ts"] for e in st.outbox if e["chat_id"] in ids]
            + [e["ts"] for e in st.errors if e["chat_id"] in ids]
        )
        for err in (e for e in st.errors if e["error_code"] == 429):
            wait = int(re.search(r"retry after (\d+)", err["description"]).group(1))
            later = [t for t in requests if t > err["ts"]]
            if later:
                assert later[0] - err["ts"] >= wait - 0.05
    finally:
        await sb.stop()


async def test_blocked_users_are_marked_blocked_and_unsubscribed(database):
    bid, ids = make_broadcast(database, 6)
    sb = await sandbox_with(ids, global_rate=30, mode="enforce")
    try:
        async with SandboxClient(sb.url) as client:
            await client.block(ids[1])
            await client.block(ids[4])
        result = await run_engine(database, sb, bid, EngineConfig(rate=30))
        st = statuses(database, bid)
        assert st[ids[1]] == st[ids[4]] == "blocked"
        assert [st[i] for i in (ids[0], ids[2], ids[3], ids[5])] == ["sent"] * 4
        assert active_subscriptions(database, ids[1]) == 0
        assert active_subscriptions(database, ids[0]) == 1
        assert result.stats.blocked == 2
        # a later broadcast to the same commune no longer includes them
        cid = commune_id(database, AI_QUOC)
        bid2 = database.call(lambda s: db_bc.create_broadcast(s, None, "Lần 2", [cid]).id)
        await run_engine(database, sb, bid2, EngineConfig(rate=30))
        assert set(statuses(database, bid2)) == {ids[0], ids[2], ids[3], ids[5]}
    finally:
        await sb.stop()


class FakeBot:
    """Scripted Bot: `plan[chat]` is a list of exceptions (or "hang") used one per attempt."""

    def __init__(self, plan=None, hang_after: int | None = None):
        self.plan = {k: list(v) for k, v in (plan or {}).items()}
        self.received: list[int] = []  # what "Telegram" got (a hung request counts)
        self.hang_after = hang_after
        self.hanging = asyncio.Event()

    async def do_api_request(self, endpoint, api_kwargs):
        assert endpoint == "sendMessage" and "unsub:" in api_kwargs["reply_markup"]
        chat_id = api_kwargs["chat_id"]
        steps = self.plan.get(chat_id)
        if steps:
            exc = steps.pop(0)
            raise exc
        self.received.append(chat_id)
        if self.hang_after is not None and len(self.received) > self.hang_after:
            self.hanging.set()
            await asyncio.Event().wait()  # the process dies before the answer arrives
        return {"message_id": len(self.received)}


def fake_timeout() -> TimedOut:
    try:
        try:
            raise httpx.ReadTimeout("read timed out")
        except httpx.ReadTimeout as cause:
            raise TimedOut() from cause
    except TimedOut as exc:
        return exc


def fake_refused() -> NetworkError:
    try:
        try:
            raise httpx.ConnectError("connection refused")
        except httpx.ConnectError as cause:
            raise NetworkError("httpx.ConnectError") from cause
    except NetworkError as exc:
        return exc


FAST = EngineConfig(rate=1000, burst=5, concurrency=4, backoff_base_s=0.01, progress_s=0.2)


async def test_transient_errors_are_retried_and_unknown_outcomes_are_not(database):
    bid, ids = make_broadcast(database, 5)
    bot = FakeBot(
        plan={
            ids[0]: [NetworkError("Bad Gateway"), fake_refused()],  # provably not sent x2
            ids[1]: [fake_timeout()],  # may have been sent: at-most-once
            ids[2]: [Forbidden("Forbidden: bot was blocked by the user")],
        }
    )
    result = await DeliveryEngine(database, bot, FAST).run(bid)
    st = statuses(database, bid)
    assert st == {
        ids[0]: "sent",
        ids[1]: "failed",
        ids[2]: "blocked",
        ids[3]: "sent",
        ids[4]: "sent",
    }
    assert sorted(bot.received) == sorted([ids[0], ids[3], ids[4]])
    assert result.stats.requeued == 2 and result.stats.unknown == 1
    with database.factory() as s:
        d = s.scalars(select(Delivery).where(Delivery.chat_id == ids[0])).one()
        assert d.attempts == 3


async def test_transient_errors_give_up_after_max_attempts(database):
    bid, ids = make_broadcast(database, 2)
    bot = FakeBot(plan={ids[0]: [NetworkError("Bad Gateway")] * 10})
    cfg = EngineConfig(rate=1000, concurrency=2, backoff_base_s=0.01, max_attempts=3)
    await DeliveryEngine(database, bot, cfg).run(bid)
    assert statuses(database, bid) == {ids[0]: "failed", ids[1]: "sent"}
    assert bot.received == [ids[1]]


@pytest.mark.parametrize("resend_unknown", [False, True])
async def test_crash_and_restart(database, resend_unknown):
    """The first sender dies with one request in flight (Telegram got it, no answer came)."""
    bid, ids = make_broadcast(database, 20)
    cfg = EngineConfig(rate=1000, concurrency=1, resend_unknown=resend_unknown)
    first = FakeBot(hang_after=7)
    task = asyncio.create_task(DeliveryEngine(database, first, cfg).run(bid))
    await asyncio.wait_for(first.hanging.wait(), 10)
    await asyncio.sleep(0.05)  # let the recorder write what was answered
    task.cancel()  # the crash: nothing after this point runs in the first sender
    with pytest.raises(asyncio.CancelledError):
        await task
    in_flight = first.received[-1]
    assert statuses(database, bid)[in_flight] == "sending"

    second = FakeBot()
    result = await DeliveryEngine(database, second, cfg).run(bid)
    got = first.received + second.received
    assert result.finished
    assert set(got) == set(ids)  # nobody lost (the in-flight one did reach "Telegram")
    if resend_unknown:  # at-least-once: the unknown one is sent again
        assert got.count(in_flight) == 2
        assert result.stats.recovered_unknown == 1
    else:  # at-most-once: nobody gets two copies; the unknown one is recorded as such
        assert len(got) == len(set(got)) == 20
        assert result.stats.recovered_unknown == 1
        with database.factory() as s:
            d = s.scalars(select(Delivery).where(Delivery.chat_id == in_flight)).one()
            assert (d.status, d.last_error) == ("failed", UNKNOWN_ERROR)


async def test_crash_mid_broadcast_through_the_sandbox_sends_no_duplicate(database):
    bid, ids = make_broadcast(database, 80)
    sb = await sandbox_with(ids, global_rate=40, mode="enforce")
    cfg = EngineConfig(rate=40, concurrency=4)
    try:
        bot = engine_bot(DEFAULT_TOKEN, sb.url, 8)
        await bot.initialize()
        task = asyncio.create_task(DeliveryEngine(database, bot, cfg).run(bid))
        while sum(copies(sb.state, ids).values()) < 30:
            await asyncio.sleep(0.01)
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await bot.shutdown()
        result = await run_engine(database, sb, bid, cfg)
        got = copies(sb.state, ids)
        assert max(got.values()) == 1  # no duplicates
        lost = [t for t, n in got.items() if n == 0]
        assert len(lost) <= cfg.concurrency  # only requests cut off mid-flight
        assert result.finished
        assert sb.state.stats()["violations"]["total"] == 0
    finally:
        await sb.stop()


async def test_a_cancelled_broadcast_stops(database):
    bid, ids = make_broadcast(database, 40)
    bot = FakeBot()
    cfg = EngineConfig(rate=20, concurrency=2, progress_s=0.1)
    task = asyncio.create_task(DeliveryEngine(database, bot, cfg).run(bid))
    while len(bot.received) < 3:
        await asyncio.sleep(0.01)
    database.call(db_bc.cancel_broadcast, bid)
    result = await asyncio.wait_for(task, 10)
    assert not result.finished
    assert len(bot.received) < 40
    assert result.counts["pending"] > 0


async def test_photo_broadcast_with_a_button(database):
    ids = [BASE + i for i in range(3)]
    for tid in ids:
        subscribe(database, tid, f"D{tid}", AI_QUOC)
    cid = commune_id(database, AI_QUOC)
    sb = await sandbox_with(ids, global_rate=30, mode="enforce")
    try:
        photo = sb.state.new_file(b"\xff\xd8\xff-poster", mime_type="image/jpeg").file_id
        bid = database.call(
            lambda s: db_bc.create_broadcast(
                s, None, "Áp phích tháng vận động", [cid], photo, "💰 Tính tiền BHYT",
                "callback:menu:ask_cost",
            ).id
        )  # fmt: skip
        await run_engine(database, sb, bid, EngineConfig(rate=30))
        sent = [e for e in sb.state.outbox if e["chat_id"] in ids]
        assert [e["method"] for e in sent] == ["sendPhoto"] * 3
        assert {e["file_id"] for e in sent} == {photo}
        assert sent[0]["text"] == "Áp phích tháng vận động"
        rows = sent[0]["reply_markup"]["inline_keyboard"]
        assert rows[0][0]["callback_data"] == "menu:ask_cost"
        assert rows[1][0]["callback_data"] == f"unsub:{bid}"
    finally:
        await sb.stop()


def test_engine_pacing_follows_the_rate_unless_set():
    from dataclasses import replace

    from bot.config import Settings

    base = replace(Settings(), broadcast_burst=None, broadcast_concurrency=None)
    slow = EngineConfig.from_settings(replace(base, broadcast_rate=1.0))
    fast = EngineConfig.from_settings(replace(base, broadcast_rate=100.0))
    assert (slow.burst, slow.concurrency) == (2.0, 8)
    assert (fast.burst, fast.concurrency) == (20.0, 25)
    fixed = EngineConfig.from_settings(
        replace(base, broadcast_rate=100.0, broadcast_burst=3.0, broadcast_concurrency=4)
    )
    assert (fixed.burst, fixed.concurrency) == (3.0, 4)
