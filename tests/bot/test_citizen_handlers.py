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
        assert "bao nhiêu tiền" in fake_nlu.calls and "5" not in fake_nlu.calls


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


async def test_lead_with_only_a_province_asks_for_the_commune_within_it(fake_stack, fake_nlu):
    fake_nlu.teach("goi lai cho toi, nha o hai phong", "request_contact", location="hai phong")
    async with fake_stack() as (stack, client):
        await client.send_text(LAN, "goi lai cho toi, nha o hai phong")
        await client.wait_for(LAN, timeout=10)
        await client.press(LAN, "✅ Đồng ý chia sẻ")
        await client.wait_for(LAN, timeout=10)
        await client.send_contact(LAN, "0912 345 678")
        got, ask = await client.wait_for(LAN, count=2, timeout=10)
        assert "0912345678" in got["text"]
        assert "xã/phường nào của Thành phố Hải Phòng" in ask["text"]
        await client.send_text(LAN, "ai quoc")
        [done] = await client.wait_for(LAN, timeout=10)
        assert "Đã ghi nhận yêu cầu" in done["text"] and "Phường Ái Quốc" in done["text"]


async def test_ambiguous_place_in_an_eligibility_question_answers_after_the_choice(
    fake_stack, fake_nlu
):
    fake_nlu.teach("q", "ask_eligibility", age=70, location="Tân Hòa")
    async with fake_stack() as (_, client):
        await client.send_text(LAN, "q")
        [choice] = await client.wait_for(LAN, timeout=10)
        assert "trong các nơi sau" in choice["text"]
        hp = [b for b in choice["buttons"] if "Hải Phòng" in b]
        label = hp[0] if hp else choice["buttons"][0]
        await client.press(LAN, label)
        [answer] = await client.wait_for(LAN, timeout=10)
        assert "Người 70 tuổi" in answer["text"]


async def test_contact_shared_outside_the_lead_flow_is_not_stored(fake_stack):
    async with fake_stack() as (stack, client):
        await client.send_contact(LAN, "0912345678")
        [reply] = await client.wait_for(LAN, timeout=10)
        assert "chỉ nhận số điện thoại" in reply["text"]
        from sqlalchemy import func, select

        from db.models import Lead

        with stack.database.factory() as s:
            assert s.scalar(select(func.count()).select_from(Lead)) == 0


async def test_household_ranks_show_their_ladder_percent(fake_stack, fake_nlu):
    fake_nlu.teach("q", "ask_cost", household_size=5)
    async with fake_stack() as (_, client):
        await client.send_text(LAN, "q")
        [reply] = await client.wait_for(LAN, timeout=10)
        for rank, pct in ((1, 100), (2, 70), (3, 60), (4, 50), (5, 40)):
            assert f"người thứ {rank} ({pct}% mức đóng)" in reply["text"]


async def test_commune_and_province_given_as_two_entities_resolve_together(fake_stack, fake_nlu):
    fake_nlu.teach("q", "ask_cost", household_size=2, location=["xã An Lão", "Hải Phòng"])
    async with fake_stack() as (_, client):
        await client.send_text(LAN, "q")
        [reply] = await client.wait_for(LAN, timeout=10)
        assert "Xã An Lão, Thành phố Hải Phòng" in reply["text"]


async def test_eligibility_of_a_household_group_answers_for_that_group(fake_stack, fake_nlu):
    fake_nlu.teach("q", "ask_eligibility", beneficiary_group="near_poor", location="Hải Phòng")
    async with fake_stack() as (_, client):
        await client.send_text(LAN, "q")
        [reply] = await client.wait_for(LAN, timeout=10)
        assert "hộ cận nghèo): miễn phí; tự đóng 0 ₫/năm" in reply["text"]
        assert "Nghị quyết 57/2025/NQ-HĐND" in reply["text"]
