"""Cadres end to end: /broadcast through the real bot, real NLU, sandbox and a fresh database."""

from __future__ import annotations

import asyncio
import re

import pytest

from bot.sandbox.client import SETTLE_S
from tests.cadre.helpers import (
    CADRE,
    CITIZENS,
    ELSEWHERE,
    NOT_SUBSCRIBED,
    active_subscriptions,
    compose_and_send,
    deliveries,
    setup_area,
)

pytestmark = pytest.mark.e2e


async def test_cadre_broadcast_reaches_only_subscribers_of_the_chosen_commune(make_stack):
    async with make_stack(broadcast_progress_s=0.5) as (stack, client):
        await setup_area(client, stack.database)
        seen = await compose_and_send(client, "📣 Mở đầu tháng vận động")
        summary = next(m for m in seen if "Bản xem trước" in (m["text"] or ""))
        assert "Sẽ gửi tới 3 người" in summary["text"]
        preview = next(m for m in seen if "Tháng cao điểm" in (m["text"] or ""))
        assert "1.366.200 ₫" in preview["text"]  # first member's yearly amount, Hải Phòng
        assert preview["buttons"] == ["💰 Tính tiền BHYT", "🔕 Hủy nhận tin"]
        bid = int(re.search(r"#(\d+)", summary["text"]).group(1))

        for tid in CITIZENS:
            [msg] = await client.wait_for(tid, timeout=15)
            assert msg["text"].startswith("📣 Tháng cao điểm")
            assert msg["buttons"] == ["💰 Tính tiền BHYT", "🔕 Hủy nhận tin"]
        # the cadre's progress message ends as the final report
        for _ in range(40):
            history = await client.messages(CADRE)
            final = [m for m in history if "đã gửi xong" in (m.get("text") or "")]
            if final:
                break
            await asyncio.sleep(0.25)  # poll: the final edit comes after the last send
        assert final and "Đã gửi: 3 / 3" in final[-1]["text"], [m.get("text") for m in history][-4:]
        await client.wait_idle(quiet=SETTLE_S)
        for tid in (NOT_SUBSCRIBED, ELSEWHERE):
            assert await client.outbox(user=tid) == []
        assert deliveries(stack.database, bid) == {tid: "sent" for tid in CITIZENS}

        # the citizen's quote button is understood by the citizen handlers
        await client.mark(CITIZENS[0])
        await client.press(CITIZENS[0], "💰 Tính tiền BHYT")
        [ask] = await client.wait_for(CITIZENS[0], timeout=15)
        assert "mấy người" in ask["text"]


async def test_unsubscribe_button_stops_further_broadcasts(make_stack):
    async with make_stack(broadcast_progress_s=0.5) as (stack, client):
        await setup_area(client, stack.database)
        await compose_and_send(client, "🔁 Nhắc gia hạn thẻ")
        for tid in CITIZENS:
            await client.wait_for(tid, timeout=15)
        await client.press(CITIZENS[0], "🔕 Hủy nhận tin")
        [bye] = await client.wait_for(CITIZENS[0], timeout=15)
        assert "đã hủy nhận tin" in bye["text"]
        assert active_subscriptions(stack.database, CITIZENS[0]) == 0
        assert active_subscriptions(stack.database, CITIZENS[1]) == 1

        await client.wait_idle(quiet=SETTLE_S)
        seen = await compose_and_send(client, "⏳ Tuần cuối tháng vận động")
        summary = next(m for m in seen if "Bản xem trước" in (m["text"] or ""))
        assert "Sẽ gửi tới 2 người" in summary["text"]
        for tid in CITIZENS[1:]:
            [msg] = await client.wait_for(tid, timeout=15)
            assert msg["text"].startswith("⏳")
        await client.wait_idle(quiet=SETTLE_S)
        assert await client.outbox(since=bye["seq"], user=CITIZENS[0]) == []


async def test_broadcast_is_refused_to_a_non_cadre(make_stack):
    async with make_stack() as (stack, client):
        await setup_area(client, stack.database)
        await client.send_text(CITIZENS[0], "/broadcast")
        [reply] = await client.wait_for(CITIZENS[0], timeout=15)
        assert "chỉ dành cho cán bộ" in reply["text"]
        await client.send_text(CITIZENS[0], "/baocao")
        [reply] = await client.wait_for(CITIZENS[0], timeout=15)
        assert "chỉ dành cho cán bộ" in reply["text"]
        await client.wait_idle(quiet=SETTLE_S)
        for tid in CITIZENS[1:]:
            assert await client.outbox(user=tid) == []
