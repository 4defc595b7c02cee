"""Citizen handlers with a scripted NLU: what the bot does for each intent and step."""

from __future__ import annotations

LAN = 1001


async def test_low_confidence_offers_the_two_likeliest_topics(fake_stack, fake_nlu):
    fake_nlu.teach("the bhyt ntn", "ask_benefits", confidence=0.3,
                   ranking=[("ask_benefits", 0.3), ("greet", 0.25), ("ask_card_validity", 0.2)])  # fmt: skip
    async with fake_stack() as (_, client):
        await client.send_text(LAN, "the bhyt ntn")
        [reply] = await client.wait_for(LAN, timeout=10)
        assert reply["buttons"][:2] == ["🏥 Thẻ BHYT được hưởng gì", "📅 Khi nào thẻ có hiệu lực"]
        await client.press(LAN, "📅 Khi nào thẻ có hiệu lực")
        [answer] = await client.wait_for(LAN, timeout=10)
        assert "30 ngày" in answer["text"]


async def test_cost_question_with_facts_quotes_at_once(fake_stack, fake_nlu):
    fake_nlu.teach("q", "ask_cost", household_size=2, months=6, location="Hải Phòng")
    async with fake_stack() as (_, client):
        await client.send_text(LAN, "q")
        [reply] = await client.wait_for(LAN, timeout=10)
        assert "1.161.270 ₫" in reply["text"]  # (100 + 70) % of 683,100
        assert "Thành phố Hải Phòng" in reply["text"]


async def test_size_step_accepts_a_bare_number_without_the_nlu(fake_stack, fake_nlu):
    fake_nlu.teach("bao nhiêu tiền", "ask_cost")
    async with fake_stack() as (_, client):
        await client.send_text(LAN, "bao nhiêu tiền")
        [ask] = await client.wait_for(LAN, timeout=10)
        assert "mấy người" in ask["text"]
        await client.send_text(LAN, "5")
        [quote] = await client.wait_for(LAN, timeout=10)
        assert "4.371.840 ₫" in quote["text"]
        assert fake_nlu.calls == ["bao nhiêu tiền"]


async def test_covered_elsewhere_and_free_members_are_explained(fake_stack, fake_nlu):
    fake_nlu.teach("q", "ask_cost", age=[4, 40], beneficiary_group=["household"])
    async with fake_stack() as (_, client):
        await client.send_text(LAN, "q")
        [reply] = await client.wait_for(LAN, timeout=10)
        assert "Người 1 (4 tuổi): <b>0 ₫</b>" not in reply["text"]  # HTML is rendered, not shown
        assert "Người 1 (4 tuổi): 0 ₫ — miễn phí" in reply["text"]
        assert "Người 2 (40 tuổi): 1.366.200 ₫" in reply["text"]


async def test_consent_by_typing_yes_and_phone_validation(fake_stack, fake_nlu):
    fake_nlu.teach("goi cho toi", "request_contact")
    fake_nlu.teach("ok", "affirm")
    async with fake_stack() as (_, client):
        await client.send_text(LAN, "goi cho toi")
        await client.wait_for(LAN, timeout=10)
        await client.send_text(LAN, "ok")
        [ask] = await client.wait_for(LAN, timeout=10)
        assert "số điện thoại" in ask["text"]
        await client.send_text(LAN, "0123 456")
        [bad] = await client.wait_for(LAN, timeout=10)
        assert "chưa đúng" in bad["text"]
