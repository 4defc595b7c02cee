"""What the bot understood is shown with the quote and can be fixed with buttons."""

from __future__ import annotations

from datetime import date

from bot.agent.texts import household_text
from bot.citizen.facts import Household
from bot.i18n import gettext_for

LAN = 1001
SIX = "nha toi co ong ba 68 tuoi khong co luong huu, bo me va 2 chau di hoc"


async def test_summary_is_shown_and_a_member_can_be_removed(fake_stack, fake_nlu):
    fake_nlu.teach(SIX, "inform", age=68)
    fake_nlu.teach("bn tien", "ask_cost")
    async with fake_stack() as (_, client):
        await client.send_text(LAN, SIX)
        await client.wait_for(LAN, timeout=10)  # inform: "what do you want to do" or a quote
        await client.send_text(LAN, "bn tien")
        [reply] = await client.wait_for(LAN, timeout=10)
        # the grandchildren are in school; the parents' ages are unknown: none is guessed
        assert "Mình hiểu nhà bạn có" in reply["text"], reply["text"]
        assert "2 ông/bà 68 tuổi" in reply["text"] and "2 cháu" in reply["text"]
        assert reply["text"].startswith("6 người")
        await client.press(LAN, "✏️ Sửa thông tin hộ")
        [menu] = await client.wait_for(LAN, timeout=10)
        assert len([b for b in menu["buttons"] if b.startswith("Người thứ")]) == 6
        await client.press(LAN, menu["buttons"][0])
        await client.wait_for(LAN, timeout=10)
        await client.press(LAN, "Bỏ người này")
        [quote] = await client.wait_for(LAN, timeout=10)
        assert "5 người" in quote["text"]


def test_agent_sees_the_same_summary():
    hh = Household()
    hh.merge({}, date(2026, 11, 22), SIX)
    text = household_text(gettext_for("vi"), hh.to_dict())
    assert text.startswith("6 người; ") and "2 ông/bà 68 tuổi" in text
    assert "tuổi 68, 68" not in text


async def test_a_place_typed_badly_still_resolves_through_the_bot(fake_stack, fake_nlu):
    fake_nlu.teach("q", "ask_cost", household_size=1, location="ai quooc HP")
    async with fake_stack() as (_, client):
        await client.send_text(LAN, "q")
        [reply] = await client.wait_for(LAN, timeout=10)
        text = reply["text"] + " ".join(reply.get("buttons") or [])
        assert "Phường Ái Quốc" in text
