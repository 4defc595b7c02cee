"""Cadre handlers through the real bot and sandbox (NLU scripted: the cadre side needs none)."""

from __future__ import annotations

import asyncio
import json
import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.broadcast.service import KEY
from bot.cadre.handlers import parse_when
from bot.sandbox.client import SETTLE_S
from db import broadcasts as db_bc
from db.models import Broadcast, utcnow
from tests.cadre.helpers import CADRE, CITIZENS, ELSEWHERE, NOT_SUBSCRIBED, deliveries, setup_area

VN = ZoneInfo("Asia/Ho_Chi_Minh")


def test_parse_when():
    now = datetime(2026, 11, 25, 20, 0, tzinfo=VN)
    assert parse_when("21:30", now) == datetime(2026, 11, 25, 21, 30, tzinfo=VN)
    assert parse_when("8h05", now) == datetime(2026, 11, 26, 8, 5, tzinfo=VN)  # past: tomorrow
    assert parse_when("28/11 08:00", now) == datetime(2026, 11, 28, 8, 0, tzinfo=VN)
    assert parse_when("1/12/2026 7:15", now) == datetime(2026, 12, 1, 7, 15, tzinfo=VN)
    for bad in ("25:00", "31/11 08:00", "tối nay", "", "12"):
        assert parse_when(bad, now) is None


async def step(client, user, label=None, text=None, count=1):
    if label is not None:
        await client.press(user, label)
    else:
        await client.send_text(user, text)
    return await client.wait_for(user, count=count, timeout=10)


async def test_own_text_scheduled_then_picked_up_by_the_job(cadre_stack):
    async with cadre_stack() as (stack, client):
        await setup_area(client, stack.database)
        await step(client, CADRE, text="/broadcast")
        await step(client, CADRE, text="Tối nay 19:30 họp dân tại nhà văn hóa về BHYT.")
        await step(client, CADRE, label="⏭ Bỏ qua")
        await step(client, CADRE, label="🔗 Liên kết mở trợ lý BHYT")
        await step(client, CADRE, label="Phường Ái Quốc")
        preview, summary = await step(client, CADRE, label="Tiếng Việt", count=2)
        assert preview["buttons"] == ["🤖 Hỏi trợ lý BHYT", "🔕 Hủy nhận tin"]
        assert "Sẽ gửi tới 3 người" in summary["text"]
        bid = int(re.search(r"#(\d+)", summary["text"]).group(1))
        # the preview's unsubscribe button does nothing to the cadre
        await client.press(CADRE, "🔕 Hủy nhận tin")
        await step(client, CADRE, label="🕒 Hẹn giờ")
        [err] = await step(client, CADRE, text="tối nay")
        assert "chưa đọc được giờ" in err["text"]
        [ok] = await step(client, CADRE, text="23:59")
        assert f"Đã hẹn gửi tin #{bid}" in ok["text"]
        with stack.database.factory() as s:
            b = s.get(Broadcast, bid)
            local = utcnow().astimezone(VN)
            want = local.replace(hour=23, minute=59, second=0, microsecond=0)
            assert b.status == "scheduled"
            assert b.scheduled_at == want.astimezone(UTC)
            assert b.button_url == "https://t.me/sandbox_bot?start=campaign"
        assert await client.outbox(user=CITIZENS[0]) == []

        # time passes: the pick-up job finds it due
        stack.database.call(db_bc.schedule_broadcast, bid, utcnow() - timedelta(seconds=1))
        started = await stack.app.bot_data[KEY].pickup()
        assert started == [bid]
        for tid in CITIZENS:
            [msg] = await client.wait_for(tid, timeout=10)
            assert msg["text"].startswith("Tối nay 19:30")
        await client.wait_idle(quiet=SETTLE_S)
        assert await client.outbox(user=NOT_SUBSCRIBED) == []
        assert await client.outbox(user=ELSEWHERE) == []
        assert set(deliveries(stack.database, bid).values()) == {"sent"}


async def test_cancel_while_composing_leaves_nothing_to_send(cadre_stack):
    async with cadre_stack() as (stack, client):
        await setup_area(client, stack.database)
        await step(client, CADRE, text="/broadcast")
        await step(client, CADRE, label="🤝 Hỗ trợ hộ cận nghèo")
        await step(client, CADRE, label="⏭ Bỏ qua")
        await step(client, CADRE, label="Không thêm nút")
        await step(client, CADRE, label="Tất cả xã/phường của tôi (2)")
        _preview, summary = await step(client, CADRE, label="Mọi ngôn ngữ", count=2)
        bid = int(re.search(r"#(\d+)", summary["text"]).group(1))
        [bye] = await step(client, CADRE, label="❌ Hủy")
        assert "Đã hủy soạn tin" in bye["text"]
        with stack.database.factory() as s:
            assert s.get(Broadcast, bid).status == "cancelled"
        assert await stack.app.bot_data[KEY].pickup() == []


async def test_stop_button_on_the_progress_message(cadre_stack):
    async with cadre_stack(broadcast_rate=1.0, broadcast_burst=1.0, broadcast_progress_s=0.3) as (
        stack,
        client,
    ):
        await setup_area(client, stack.database)
        await step(client, CADRE, text="/broadcast")
        await step(client, CADRE, label="📣 Mở đầu tháng vận động")
        await step(client, CADRE, label="⏭ Bỏ qua")
        await step(client, CADRE, label="Không thêm nút")
        await step(client, CADRE, label="Phường Ái Quốc")
        _p, summary = await step(client, CADRE, label="Mọi ngôn ngữ", count=2)
        bid = int(re.search(r"#(\d+)", summary["text"]).group(1))
        await step(client, CADRE, label="✅ Gửi ngay")
        # the start notice and the progress message may come in either order: take the progress
        progress: dict = {"text": ""}
        for _ in range(40):
            found = [m for m in await client.messages(CADRE) if "Đang gửi tin" in m["text"]]
            if found:
                progress = found[-1]
                break
            await asyncio.sleep(0.25)
        assert "Đang gửi tin" in progress["text"]
        assert "⏹ Dừng gửi" in json.dumps(progress.get("reply_markup"), ensure_ascii=False)
        await client.press(CADRE, "⏹ Dừng gửi")
        stopped = []
        for _ in range(50):
            history = await client.messages(CADRE)
            stopped = [m for m in history if "đã dừng" in (m.get("text") or "")]
            if stopped:
                break
            await asyncio.sleep(0.25)
        assert stopped, [m.get("text") for m in history][-3:]
        with stack.database.factory() as s:
            assert s.get(Broadcast, bid).status == "cancelled"
        got = deliveries(stack.database, bid)
        assert list(got.values()).count("sent") < 3  # one per second: stopped before the end


async def test_baocao_sends_text_chart_and_workbook(cadre_stack):
    async with cadre_stack() as (stack, client):
        await setup_area(client, stack.database)
        text, photo, doc = await step(client, CADRE, text="/baocao", count=3)
        assert text["method"] == "sendMessage" and "Báo cáo tuần" in text["text"]
        assert "Phường Ái Quốc" in text["text"] and "Phường Lê Chân" in text["text"]
        assert photo["method"] == "sendPhoto"
        assert doc["method"] == "sendDocument" and doc["file_name"].endswith(".xlsx")
        data = stack.sandbox.state.files[photo["file_id"]].data
        assert data.startswith(b"\x89PNG")


async def test_app_restart_resumes_a_broadcast_without_second_copies(cadre_stack):
    got: dict[int, int] = dict.fromkeys(CITIZENS, 0)

    def count(state):
        for e in state.outbox:
            if e["method"] == "sendMessage" and e["chat_id"] in got:
                got[e["chat_id"]] += 1

    async with cadre_stack(broadcast_rate=1.0, broadcast_burst=1.0) as (stack, client):
        await setup_area(client, stack.database)
        await step(client, CADRE, text="/broadcast")
        await step(client, CADRE, text="Thông báo lịch thu BHYT tuần này.")
        await step(client, CADRE, label="⏭ Bỏ qua")
        await step(client, CADRE, label="Không thêm nút")
        await step(client, CADRE, label="Phường Ái Quốc")
        _p, summary = await step(client, CADRE, label="Mọi ngôn ngữ", count=2)
        bid = int(re.search(r"#(\d+)", summary["text"]).group(1))
        await step(client, CADRE, label="✅ Gửi ngay")
        await client.wait_for(CITIZENS[0], timeout=10)
        # the process stops (deploy, restart) with the broadcast half done
    count(stack.sandbox.state)
    states = deliveries(stack.database, bid)
    assert "pending" in states.values()
    assert "sending" not in states.values()  # a clean stop leaves nothing unknown

    async with cadre_stack(broadcast_poll_s=0.5) as (stack2, client2):
        for i, tid in enumerate((CADRE, *CITIZENS)):
            await client2.add_user(id=tid, first_name=f"U{i}")
        for _ in range(60):
            if set(deliveries(stack2.database, bid).values()) == {"sent"}:
                break
            await asyncio.sleep(0.25)
        count(stack2.sandbox.state)
    assert set(deliveries(stack2.database, bid).values()) == {"sent"}
    assert got == dict.fromkeys(CITIZENS, 1)


async def test_cadre_imports_targets_and_counts_then_reports(cadre_stack):
    targets = "TT,Xã/phường,Tỷ lệ bảo phủ BHYT (%),\n,,Năm 2025,Năm 2026\n"
    mine = targets + "1,Phường Ái Quốc,93,95.5\n2,Phường Lê Chân,94,97\n3,Phường Lê Chân,x,1\n"
    theirs = targets + "1,Phường Ái Quốc,93,99\n2,Phường Hồng Bàng,90,92\n"
    counts = (
        "commune,as_of,population,insured\n"
        "Phường Ái Quốc,2026-11-20,20000,18800\nPhường Lê Chân,2026-11-15,10000,9750\n"
    )
    async with cadre_stack() as (stack, client):
        await setup_area(client, stack.database)
        await client.send_media(CADRE, "document", "/chitieu", mine.encode())
        [ok] = await client.wait_for(CADRE, timeout=10)
        assert "Đã nhập 4 dòng chỉ tiêu bao phủ" in ok["text"] and "Dòng 5:" in ok["text"]
        await client.send_media(CADRE, "document", "/chitieu", theirs.encode())
        [refused] = await client.wait_for(CADRE, timeout=10)
        assert "ngoài phạm vi" in refused["text"] and "Phường Hồng Bàng" in refused["text"]
        await client.send_media(CADRE, "document", "/solieu", counts.encode())
        [ok2] = await client.wait_for(CADRE, timeout=10)
        assert "Đã nhập 2 dòng số người tham gia" in ok2["text"]
        await client.send_media(CITIZENS[0], "document", "/chitieu", mine.encode())
        [no] = await client.wait_for(CITIZENS[0], timeout=10)
        assert "Chỉ cán bộ" in no["text"]

        text, _photo, _doc = await step(client, CADRE, text="/baocao", count=3)
        # Ái Quốc keeps 95.5 (the refused file changed nothing): 94 % of 95,50 %
        assert "Phường Ái Quốc: 94,00 % / 95,50 %" in text["text"]
        assert "Phường Lê Chân: 97,50 % / 97,00 %" in text["text"]
