"""Collection agents end to end: sandbox Telegram ⇄ real bot ⇄ real NLU ⇄ fresh database.

People: citizen Lan; agents Hùng and Mai (Phường Ái Quốc, Hải Phòng); agent Tú (Xã An Lão,
another commune); cadre Minh (Ái Quốc).
"""

from __future__ import annotations

import asyncio
import json
import time

import pytest
from sqlalchemy import func, select

from bot.sandbox.client import SETTLE_S
from bot.stack import grant_roles, prepare_database
from db import leads as db_leads
from db import people as db_people
from db import places as db_places
from db.models import Lead, LeadEvent, LeadNotification, RenewalReminder

pytestmark = pytest.mark.e2e

LAN, HUNG, MAI, TU, MINH = 1001, 2001, 2002, 2003, 3001
AI_QUOC = "Phường Ái Quốc, Hải Phòng"
AN_LAO = "Xã An Lão, Hải Phòng"
PHONE = "0912345678"


async def setup_people(stack, client) -> None:
    for uid, name in [(LAN, "Lan"), (HUNG, "Hùng"), (MAI, "Mai"), (TU, "Tú"), (MINH, "Minh")]:
        await client.add_user(id=uid, first_name=name)
    grant_roles(stack.database, HUNG, "Hùng", "agent", [AI_QUOC])
    grant_roles(stack.database, MAI, "Mai", "agent", [AI_QUOC])
    grant_roles(stack.database, TU, "Tú", "agent", [AN_LAO])
    grant_roles(stack.database, MINH, "Minh", "cadre", [AI_QUOC])


async def citizen_asks_to_be_called(client, by_text: bool = True) -> dict[str, float]:
    """The citizen's whole lead flow; returns wall-clock marks of the consent/contact steps."""
    marks: dict[str, float] = {}
    await client.send_text(LAN, "/start")
    await client.wait_for(LAN, timeout=15)
    if by_text:
        await client.send_text(LAN, "nha toi 3 nguoi bao nhieu tien")
        [quote] = await client.wait_for(LAN, timeout=15)
        assert "3.142.260 ₫" in quote["text"]
        await client.send_text(LAN, "nhờ cán bộ gọi lại cho tôi")
    else:
        await client.press(LAN, "📞 Nhờ cán bộ liên hệ")
    [ask] = await client.wait_for(LAN, timeout=15)
    assert "Bạn có đồng ý không?" in ask["text"], ask["text"]
    marks["consent"] = time.time()
    await client.press(LAN, "✅ Đồng ý chia sẻ")
    await client.wait_for(LAN, timeout=15)
    marks["contact"] = time.time()
    await client.send_contact(LAN, "+84912345678")
    replies = await client.wait_for(LAN, count=2, timeout=15)
    assert PHONE in replies[0]["text"] and "xã/phường nào" in replies[1]["text"]
    marks["commune"] = time.time()
    await client.send_text(LAN, "phường Ái Quốc, Hải Phòng")
    [done] = await client.wait_for(LAN, timeout=15)
    assert "Đã ghi nhận yêu cầu số" in done["text"], done["text"]
    assert "2 đại lý thu" in done["text"]
    return marks


def db_count(stack, model, *where) -> int:
    with stack.database.factory() as s:
        return s.scalar(select(func.count()).select_from(model).where(*where))


async def sent_to(client, uid: int, methods=("sendMessage",)) -> list[dict]:
    return await client.outbox(user=uid, methods=methods)


async def test_consented_lead_notifies_both_agents_of_the_commune_only(make_stack) -> None:
    async with make_stack() as (stack, client):
        await setup_people(stack, client)
        marks = await citizen_asks_to_be_called(client)
        hung = await client.wait_for(HUNG, timeout=10)
        mai = await client.wait_for(MAI, timeout=10)
        for [offer] in (hung, mai):
            text = offer["text"]
            assert "Yêu cầu liên hệ số 1" in text
            assert "Lan" in text and "Phường Ái Quốc" in text
            assert "3 người" in text and "3.142.260 ₫" in text
            assert PHONE not in text  # no phone before the claim
            assert offer["buttons"] == ["Nhận", "Bỏ qua"]
        await client.wait_idle(quiet=SETTLE_S)
        assert await client.outbox(user=TU) == []  # agent of another commune: nothing
        assert await client.outbox(user=MINH) == []  # cadre: nothing while agents are on it
        # Tú cannot read it either.
        await client.send_text(TU, "/lead 1")
        [no] = await client.wait_for(TU, timeout=10)
        assert "Không tìm thấy yêu cầu số 1" in no["text"] and PHONE not in no["text"]
        assert db_count(stack, LeadNotification, LeadNotification.kind == "offer") == 2
        first = min(hung[0]["ts"], mai[0]["ts"])
        last = max(hung[0]["ts"], mai[0]["ts"])
        timing = {
            "commune_text_to_first_agent_s": round(first - marks["commune"], 4),
            "commune_text_to_last_agent_s": round(last - marks["commune"], 4),
            "contact_to_first_agent_s": round(first - marks["contact"], 4),
            "consent_to_first_agent_s": round(first - marks["consent"], 4),
        }
        print("\nconsent→notification timing " + json.dumps(timing))


async def test_two_agents_race_exactly_one_wins_and_only_the_owner_sees_the_phone(
    make_stack,
) -> None:
    async with make_stack() as (stack, client):
        await setup_people(stack, client)
        await citizen_asks_to_be_called(client, by_text=False)
        await client.wait_for(HUNG, timeout=10)
        await client.wait_for(MAI, timeout=10)
        await asyncio.gather(client.press(HUNG, "Nhận"), client.press(MAI, "Nhận"))
        await client.wait_idle(quiet=SETTLE_S)
        with stack.database.factory() as s:
            lead = s.scalars(select(Lead)).one()
            owner_tg = {db_people.get_person(s, t).id: t for t in (HUNG, MAI)}[lead.owner_id]
            claims = s.scalar(
                select(func.count()).select_from(LeadEvent).where(LeadEvent.to_status == "claimed")
            )
        assert lead.status == "claimed" and claims == 1
        loser_tg = MAI if owner_tg == HUNG else HUNG
        owner_name, loser_name = ("Hùng", "Mai") if owner_tg == HUNG else ("Mai", "Hùng")

        owner_edits = await client.outbox(user=owner_tg, methods=("editMessageText",))
        assert any("Bạn đã nhận yêu cầu số 1" in e["text"] for e in owner_edits)
        card = next(e for e in owner_edits if "Bạn đã nhận yêu cầu số 1" in e["text"])
        assert PHONE in card["text"]
        assert {"Đã liên hệ", "Đã tham gia", "Không liên lạc được", "Từ chối"} <= set(
            card["buttons"]
        )
        loser_edits = await client.outbox(user=loser_tg, methods=("editMessageText",))
        assert loser_edits, "the loser's offer must be edited"
        assert all(f"đã được {owner_name} nhận" in e["text"] for e in loser_edits)
        assert all(e["buttons"] == [] for e in loser_edits)
        # The phone went to the owner only, and only after the claim.
        for uid in (loser_tg, TU, MINH):
            for e in await client.outbox(user=uid):
                assert PHONE not in (e["text"] or ""), (uid, e["text"])
        offers = await sent_to(client, owner_tg)
        assert PHONE not in offers[0]["text"]
        # The citizen hears who took the request.
        citizen = await client.outbox(user=LAN, methods=("sendMessage",))
        assert any(f"Đại lý thu {owner_name} đã nhận yêu cầu số 1" in e["text"] for e in citizen)
        # /lead: the owner sees the phone, the other agent of the commune does not.
        await client.send_text(loser_tg, "/lead 1")
        [view] = await client.wait_for(loser_tg, timeout=10)
        assert "Yêu cầu số 1" in view["text"] and PHONE not in view["text"]
        assert owner_name in view["text"] and loser_name not in view["text"].split("Lịch sử")[0]
        await client.send_text(owner_tg, "/lead 1")
        [own] = await client.wait_for(owner_tg, timeout=10)
        assert PHONE in own["text"] and "Lịch sử" in own["text"]


async def test_owner_records_enrolment_renewal_and_sees_stats(make_stack) -> None:
    async with make_stack() as (stack, client):
        await setup_people(stack, client)
        await citizen_asks_to_be_called(client, by_text=False)
        await client.wait_for(HUNG, timeout=10)
        await client.press(HUNG, "Nhận")
        await client.wait_idle(quiet=SETTLE_S)
        await client.mark(HUNG)
        await client.send_text(HUNG, "/leads")
        [mine] = await client.wait_for(HUNG, timeout=10)
        assert "/lead 1" in mine["text"] and PHONE in mine["text"]
        await client.press(HUNG, "Đã liên hệ")
        [edit] = await client.wait_for(HUNG, timeout=10)
        assert "đã liên hệ" in edit["text"] and "Đã liên hệ" not in edit["buttons"]
        await client.press(HUNG, "Đã tham gia")
        [ask_cards] = await client.wait_for(HUNG, timeout=10)
        assert [str(n) for n in range(1, 7)] == ask_cards["buttons"][:6]
        await client.press(HUNG, "3")
        edit, ask_end = await client.wait_for(HUNG, count=2, timeout=10)
        assert "Số thẻ: 3" in edit["text"] and "hết hạn" in ask_end["text"]
        await client.send_text(HUNG, "31/12/2027")  # typed end date, not a citizen question
        [done] = await client.wait_for(HUNG, timeout=10)
        assert "31/12/2027" in done["text"] and "01/12/2027" in done["text"]
        with stack.database.factory() as s:
            lead = s.scalars(select(Lead)).one()
            assert (lead.status, lead.cards_enrolled) == ("enrolled", 3)
            due = sorted(s.scalars(select(RenewalReminder.due_on)))
        assert [d.isoformat() for d in due] == ["2027-12-01", "2027-12-24"]
        await client.send_text(HUNG, "/thongke")
        [stats] = await client.wait_for(HUNG, timeout=10)
        assert "Tháng này" in stats["text"] and "Tháng trước" in stats["text"]
        assert "3 (từ 1 hộ)" in stats["text"] and "60.000 ₫" in stats["text"]
        await client.send_text(MAI, "/thongke")
        [other] = await client.wait_for(MAI, timeout=10)
        assert "0 (từ 0 hộ)" in other["text"]


async def test_decline_with_a_typed_reason(make_stack) -> None:
    async with make_stack() as (stack, client):
        await setup_people(stack, client)
        await citizen_asks_to_be_called(client, by_text=False)
        await client.wait_for(MAI, timeout=10)
        await client.press(MAI, "Nhận")
        await client.wait_idle(quiet=SETTLE_S)
        await client.mark(MAI)
        await client.press(MAI, "Từ chối")
        [ask] = await client.wait_for(MAI, timeout=10)
        assert "Đã có BHYT" in ask["buttons"]
        await client.send_text(MAI, "đã mua ở bưu điện rồi")
        [done] = await client.wait_for(MAI, timeout=10)
        assert "từ chối" in done["text"] and "bưu điện" in done["text"]
        with stack.database.factory() as s:
            assert s.scalars(select(Lead.status)).one() == "declined"
            notes = list(s.scalars(select(LeadEvent.note).where(LeadEvent.to_status == "declined")))
        assert notes == ["đã mua ở bưu điện rồi"]


async def test_unclaimed_lead_reminds_agents_then_escalates_to_the_cadre(make_stack) -> None:
    fast = {
        "lead_unclaimed_remind_min": 0.01,  # 0.6 s
        "lead_unclaimed_escalate_min": 0.03,  # 1.8 s
        "lead_scan_interval_s": 0.2,
        "lead_scan_first_s": 0.2,
        "quiet_hours": (0, 0),  # the test may run at night in Vietnam
    }
    async with make_stack(**fast) as (stack, client):
        await setup_people(stack, client)
        await citizen_asks_to_be_called(client, by_text=False)
        [offer, remind] = await client.wait_for(HUNG, count=2, timeout=10)
        assert "Yêu cầu liên hệ số 1" in offer["text"]
        assert "chưa có ai nhận" in remind["text"] and remind["buttons"] == ["Nhận", "Bỏ qua"]
        [esc] = await client.wait_for(MINH, timeout=10)
        assert "chưa có đại lý nào nhận" in esc["text"]
        assert "Hùng" in esc["text"] and "Mai" in esc["text"] and PHONE not in esc["text"]
        await asyncio.sleep(1.5)  # several more scans: nothing is sent twice
        assert len(await sent_to(client, MINH)) == 1
        assert len(await sent_to(client, HUNG)) == 2 and len(await sent_to(client, MAI)) == 2
        assert await client.outbox(user=TU) == []
        # Claiming the reminder closes both of Mai's messages.
        await client.press(HUNG, "Nhận")
        await client.wait_idle(quiet=SETTLE_S)
        mai_edits = await client.outbox(user=MAI, methods=("editMessageText",))
        assert len(mai_edits) == 2 and all("đã được Hùng nhận" in e["text"] for e in mai_edits)


async def test_claimed_but_untouched_reminds_the_owner_then_reoffers_the_lead(make_stack) -> None:
    fast = {
        "lead_claimed_remind_h": 0.0002,  # 0.72 s
        "lead_claimed_release_h": 0.0006,  # 2.16 s
        "lead_scan_interval_s": 0.2,
        "quiet_hours": (0, 0),
    }
    async with make_stack(**fast) as (stack, client):
        await setup_people(stack, client)
        await citizen_asks_to_be_called(client, by_text=False)
        await client.wait_for(MAI, timeout=10)
        await client.mark(HUNG)
        await client.mark(MAI)
        await client.press(HUNG, "Nhận")  # the claim edits Hùng's card; new messages follow
        remind, released = await client.wait_for(
            HUNG, count=2, timeout=10, methods=("sendMessage",)
        )
        assert "chưa ghi kết quả" in remind["text"] and PHONE in remind["text"]
        assert "Đã liên hệ" in remind["buttons"]
        assert "trả lại cho các đại lý khác" in released["text"]
        # Round 2: both agents are offered the lead again.
        mai = await client.wait_for(MAI, count=1, timeout=10, methods=("sendMessage",))
        assert "Yêu cầu liên hệ số 1" in mai[0]["text"] and mai[0]["buttons"] == ["Nhận", "Bỏ qua"]
        await client.wait_idle(quiet=SETTLE_S)
        with stack.database.factory() as s:
            lead = s.scalars(select(Lead)).one()
            assert (lead.status, lead.owner_id) == ("new", None)
            offers = s.scalars(
                select(LeadNotification.round).where(
                    LeadNotification.kind == "offer", LeadNotification.chat_id == MAI
                )
            ).all()
        assert sorted(offers) == [1, 2]
        await client.mark(HUNG)
        await client.press(MAI, "Nhận")
        await client.wait_idle(quiet=SETTLE_S)
        hung_edits = await client.outbox(user=HUNG, methods=("editMessageText",))
        assert [e["text"] for e in hung_edits][-1] == "🔒 Yêu cầu số 1 đã được Mai nhận."
        citizen = await client.outbox(user=LAN, methods=("sendMessage",))
        told = [e["text"] for e in citizen if "đã nhận yêu cầu số 1" in e["text"]]
        assert told == [
            "👋 Đại lý thu Hùng đã nhận yêu cầu số 1 của bạn và sẽ gọi cho bạn sớm.",
            "👋 Đại lý thu Mai đã nhận yêu cầu số 1 của bạn và sẽ gọi cho bạn sớm.",
        ]


def _lead_without_app(url: str) -> int:
    """A lead stored while no bot runs (as if the process died right after saving it)."""
    database = prepare_database(url)
    try:
        grant_roles(database, HUNG, "Hùng", "agent", [AI_QUOC])
        grant_roles(database, MAI, "Mai", "agent", [AI_QUOC])
        grant_roles(database, TU, "Tú", "agent", [AN_LAO])

        def work(s) -> int:
            lan, _ = db_people.get_or_create_person(s, LAN, "Lan")
            db_people.grant_consent(s, lan.id, "contact_by_agent", "contact_by_agent/v1")
            commune, _reason = db_places.resolve_commune(s, AI_QUOC)
            lead, _created = db_leads.create_or_update_lead(
                s, lan.id, commune.id, {"size": 2, "members": []}, None, 2732400, PHONE
            )
            return lead.id

        return database.call(work)
    finally:
        database.dispose()


async def test_restart_between_lead_and_notification_notifies_exactly_once(
    make_stack, settings
) -> None:
    lead_id = _lead_without_app(settings.database_url)
    quick = {"lead_scan_interval_s": 0.2, "lead_scan_first_s": 0.5}
    async with make_stack(**quick) as (stack, client):
        for uid, name in [(LAN, "Lan"), (HUNG, "Hùng"), (MAI, "Mai"), (TU, "Tú")]:
            await client.add_user(id=uid, first_name=name)
        [h] = await client.wait_for(HUNG, timeout=10)
        [m] = await client.wait_for(MAI, timeout=10)
        assert f"Yêu cầu liên hệ số {lead_id}" in h["text"] and "2.732.400 ₫" in m["text"]
        await asyncio.sleep(1.0)  # more scans
        assert len(await sent_to(client, HUNG)) == 1 and len(await sent_to(client, MAI)) == 1
        assert await client.outbox(user=TU) == []
    async with make_stack(**quick) as (stack, client):  # second restart: nothing new
        for uid, name in [(LAN, "Lan"), (HUNG, "Hùng"), (MAI, "Mai"), (TU, "Tú")]:
            await client.add_user(id=uid, first_name=name)
        await asyncio.sleep(1.5)
        await client.wait_idle(quiet=SETTLE_S)
        for uid in (HUNG, MAI, TU):
            assert await client.outbox(user=uid) == []
        with stack.database.factory() as s:
            rows = s.scalars(select(LeadNotification)).all()
        assert sorted(r.chat_id for r in rows) == [HUNG, MAI]
        assert all(r.sent_at is not None and r.message_id for r in rows)


async def test_renewal_reminder_reaches_the_citizen_and_the_agent(make_stack) -> None:
    from datetime import timedelta

    from db.followup import local_today
    from db.models import utcnow

    fast = {"lead_scan_interval_s": 0.2, "quiet_hours": (0, 0)}
    async with make_stack(**fast) as (stack, client):
        await setup_people(stack, client)
        await citizen_asks_to_be_called(client, by_text=False)
        await client.wait_for(HUNG, timeout=10)
        await client.press(HUNG, "Nhận")
        await client.wait_idle(quiet=SETTLE_S)
        await client.press(HUNG, "Đã tham gia")
        await client.wait_idle(quiet=SETTLE_S)
        await client.press(HUNG, "2")
        await client.wait_idle(quiet=SETTLE_S)
        end = local_today(utcnow(), stack.settings.timezone) + timedelta(days=7)
        await client.mark(LAN)
        await client.mark(HUNG)
        await client.send_text(HUNG, end.strftime("%d/%m/%Y"))  # the week-ahead reminder is due
        [citizen] = await client.wait_for(LAN, timeout=10)
        assert end.strftime("%d/%m/%Y") in citizen["text"] and "Hùng" in citizen["text"]
        assert citizen["buttons"] == ["📞 Nhờ cán bộ liên hệ"]
        confirm, agent = await client.wait_for(HUNG, count=2, timeout=10)
        assert "Đã đặt" in confirm["text"]
        assert "Lan" in agent["text"] and "2 thẻ" in agent["text"]
        await asyncio.sleep(1.0)
        assert len(await client.outbox(user=LAN, since=citizen["seq"])) == 0  # sent once
        with stack.database.factory() as s:
            rows = s.scalars(select(RenewalReminder)).all()
        assert {(r.kind, r.sent_at is not None, r.cancelled_at is not None) for r in rows} == {
            ("week", True, False),
            ("month", False, True),  # a month ahead is already past
        }
