"""Citizens end to end: sandbox Telegram ⇄ real bot ⇄ real NLU model ⇄ fresh database."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import func, select

from bot.citizen.handlers import CONSENT_TEXT_VERSION
from db.models import Consent, ConversationTurn, Lead, Person, Subscription
from nlu.client import NluClient

pytestmark = pytest.mark.e2e

LAN = 1001


async def say(client, text: str, user: int = LAN, count: int = 1, timeout: float = 15.0):
    await client.send_text(user, text)
    return await client.wait_for(user, count=count, timeout=timeout)


async def press(client, label: str, user: int = LAN, count: int = 1, timeout: float = 15.0):
    await client.press(user, label)
    return await client.wait_for(user, count=count, timeout=timeout)


def count(stack, model, *where) -> int:
    with stack.database.factory() as s:
        return s.scalar(select(func.count()).select_from(model).where(*where))


@pytest.fixture
async def lan(make_stack):
    async with make_stack() as (stack, client):
        await client.add_user(id=LAN, first_name="Lan", username="lan")
        yield stack, client


async def test_start_greets_with_a_menu_and_records_the_campaign_source(lan):
    stack, client = lan
    [reply] = await say(client, "/start thang11_aiquoc")
    assert "Lan" in reply["text"]
    assert any("Tính tiền" in b for b in reply["buttons"])
    with stack.database.factory() as s:
        person = s.scalars(select(Person).where(Person.telegram_id == LAN)).one()
        assert person.campaign_source == "thang11_aiquoc"


async def test_household_question_without_diacritics_gets_the_total_in_one_reply(lan):
    _, client = lan
    [reply] = await say(client, "nha toi 4 nguoi o Hai Phong mua bhyt 1 nam het bao nhieu")
    # 1,366,200 × (100 + 70 + 60 + 50) % at the 2,530,000 base salary
    assert "3.825.360 ₫" in reply["text"]
    assert "Hải Phòng" in reply["text"]
    assert "trẻ dưới 6 tuổi, người cao tuổi" in reply["text"]  # what the assumption leaves out
    assert any("Nhờ cán bộ liên hệ" in b for b in reply["buttons"])


async def test_quote_by_buttons_asks_size_then_place_then_quotes(lan):
    _, client = lan
    await say(client, "/start")
    [ask_size] = await press(client, "💰 Tính tiền BHYT")
    assert "mấy người" in ask_size["text"]
    [ask_place] = await press(client, "3")
    assert "ở tỉnh/thành" in ask_place["text"]
    [quote] = await say(client, "phường Ái Quốc, Hải Phòng")
    assert "3.142.260 ₫" in quote["text"]  # 100 + 70 + 60 %
    [six] = await press(client, "6 tháng")
    assert "1.571.130 ₫" in six["text"]


async def test_quote_with_a_supported_member_names_the_line(lan):
    _, client = lan
    [reply] = await say(
        client,
        "nhà mình 2 người ở Hải Phòng, mẹ 66 tuổi không có lương hưu, đóng 12 tháng hết bao nhiêu",
    )
    assert "1.366.200 ₫" in reply["text"]  # mother free (city 100 %), the other pays in full
    assert "miễn phí" in reply["text"]


async def test_eligibility_question_lists_what_the_city_pays(lan):
    _, client = lan
    [reply] = await say(client, "mẹ tôi 65 tuổi ở Hải Phòng có được miễn phí bhyt không")
    assert "người cao tuổi" in reply["text"]
    assert any("Xem căn cứ" in b for b in reply["buttons"])
    [basis] = await press(client, "📜 Xem căn cứ")
    assert "Nghị quyết 57/2025/NQ-HĐND" in basis["text"]


async def test_where_to_buy_and_static_answers(lan):
    _, client = lan
    [where] = await say(client, "mua the bhyt o dau vay ad")
    assert "Bưu điện" in where["text"] and "VssID" in where["text"]
    [docs] = await say(client, "đăng ký bhyt cần mang giấy tờ gì")
    assert "căn cước" in docs["text"]


async def test_lead_with_consent_contact_and_commune(lan):
    stack, client = lan
    await say(client, "nha toi 3 nguoi bao nhieu tien")
    [ask] = await press(client, "📞 Nhờ cán bộ liên hệ")
    assert "Đồng ý" in " ".join(ask["buttons"])
    assert count(stack, Consent) == 0
    [phone_ask] = await press(client, "✅ Đồng ý chia sẻ")
    assert any("số điện thoại" in b for b in phone_ask["buttons"])
    await client.send_contact(LAN, "+84912345678")
    replies = await client.wait_for(LAN, count=2, timeout=15)
    assert "0912345678" in replies[0]["text"]
    assert "xã/phường nào" in replies[1]["text"]
    [done] = await say(client, "phường Ái Quốc, Hải Phòng")
    assert "Đã ghi nhận yêu cầu" in done["text"]
    with stack.database.factory() as s:
        lead = s.scalars(select(Lead)).one()
        assert lead.phone == "0912345678"
        assert lead.commune.name == "Phường Ái Quốc"
        assert lead.quote_total_vnd == 3142260
        consent = s.scalars(select(Consent)).one()
        assert (consent.purpose, consent.text_version) == ("contact_by_agent", CONSENT_TEXT_VERSION)


async def test_refusing_consent_stores_nothing_and_a_second_request_updates_the_lead(lan):
    stack, client = lan
    await say(client, "nhờ cán bộ gọi lại cho tôi")
    [refused] = await press(client, "Không")
    assert "không lưu" in refused["text"]
    assert count(stack, Consent) == 0 and count(stack, Lead) == 0
    for phone in ("0912345678", "0987654321"):
        await say(client, "/start")
        await press(client, "📞 Nhờ cán bộ liên hệ")
        await press(client, "✅ Đồng ý chia sẻ")
        await client.send_text(LAN, phone)
        await client.wait_for(LAN, count=2, timeout=15)
        await say(client, "xã An Lão, Hải Phòng")
    assert count(stack, Lead) == 1
    with stack.database.factory() as s:
        assert s.scalars(select(Lead)).one().phone == "0987654321"


async def test_unknown_and_ambiguous_places(lan):
    _, client = lan
    await say(client, "/start")
    await press(client, "💰 Tính tiền BHYT")
    await press(client, "2")
    [unknown] = await say(client, "xã Zzyzx")
    assert "không tìm thấy" in unknown["text"]
    [choice] = await say(client, "Tân Hòa")
    assert len(choice["buttons"]) >= 3  # several communes share the name
    await client.press(LAN, choice["buttons"][0])
    [quote] = await client.wait_for(LAN, timeout=15)
    assert "2.322.540 ₫" in quote["text"]


async def test_bad_input_gets_clear_answers(lan):
    stack, client = lan
    [long] = await say(client, "bảo hiểm " * 600)
    assert "dài quá" in long["text"]
    await client.send_sticker(LAN)
    [sticker] = await client.wait_for(LAN, timeout=15)
    assert "tin nhắn chữ" in sticker["text"]
    absurd, ask_size = await say(client, "tôi 250 tuổi thì đóng bao nhiêu", count=2)
    assert "tuổi phải từ 0 đến 120" in absurd["text"]
    assert "mấy người" in ask_size["text"]
    [garbage] = await say(client, "qwxz kkkk ???")
    assert garbage["buttons"], "a message the bot does not get still offers a way forward"
    await stack.services.turns.flush()  # the log is written in batches
    assert count(stack, ConversationTurn) >= 2


async def test_nlu_down_falls_back_to_the_menu_and_buttons_still_work(lan):
    stack, client = lan
    stack.services.nlu = NluClient("http://127.0.0.1:9", timeout=0.5)
    [fallback] = await say(client, "bhyt bao nhieu tien")
    assert "chưa đọc được" in fallback["text"]
    [ask_size] = await press(client, "💰 Tính tiền BHYT")
    assert "mấy người" in ask_size["text"]


async def test_subscribe_unsubscribe_and_delete_my_data(lan):
    stack, client = lan
    [ask] = await say(client, "/nhan_tin")
    assert "xã/phường nào" in ask["text"]
    [ok] = await say(client, "phường Ái Quốc, Hải Phòng")
    assert "Đã đăng ký nhận tin" in ok["text"]
    assert count(stack, Subscription, Subscription.opted_out_at.is_(None)) == 1
    [stop] = await say(client, "đừng gửi tin cho tôi nữa")
    assert "Đã hủy nhận tin" in stop["text"]
    assert count(stack, Subscription, Subscription.opted_out_at.is_(None)) == 0
    [mine] = await say(client, "/du_lieu_cua_toi")
    assert "Phường Ái Quốc" in mine["text"]
    await say(client, "/xoa_du_lieu")
    [gone] = await press(client, "🗑 Xóa dữ liệu của tôi")
    assert "Đã xóa" in gone["text"]
    assert count(stack, Person, Person.telegram_id == LAN) == 0
    assert count(stack, ConversationTurn) == 0


async def test_bot_survives_429_and_403(make_stack):
    opts = {"mode": "enforce", "per_chat_rate": 1.0, "per_chat_burst": 1.0}
    async with make_stack(sandbox_options=opts) as (stack, client):
        await client.add_user(id=LAN, first_name="Lan")
        await client.add_user(id=1002, first_name="Mai")
        # several answers to one chat in a burst: Telegram-style 429s, retried after retry_after
        for text in ("xin chào", "cảm ơn", "bhyt mua ở đâu"):
            await client.send_text(LAN, text)
        replies = await client.wait_for(LAN, count=3, timeout=30)
        assert len(replies) == 3
        assert (await client.stats())["count_429"] >= 1
        # a user who blocked the bot: the send fails with 403, the bot goes on serving others
        await client.send_text(LAN, "nha 2 nguoi bao nhieu tien")
        await client.block(LAN)
        await asyncio.sleep(1.5)
        assert (await client.stats())["count_403"] >= 1
        [hello] = await say(client, "xin chào", user=1002)
        assert "Chào" in hello["text"]
