"""Clarifying questions through the sandbox: only the question last put is answered, a step
that is not answered is dropped, a person's own fix is not asked again."""

from __future__ import annotations

import pytest

LAN = 1001


async def test_near_poor_household_is_asked_about_older_members(fake_stack, fake_nlu):
    fake_nlu.teach("q", "ask_cost", household_size=4, beneficiary_group="near_poor",
                   location="Thanh Hóa")  # fmt: skip
    async with fake_stack() as (_, client):
        await client.send_text(LAN, "q")
        [ask] = await client.wait_for(LAN, timeout=10)
        assert "từ 70 tuổi trở lên" in ask["text"]  # the social pension age, from the rules
        await client.press(LAN, "Có")
        [age] = await client.wait_for(LAN, timeout=10)
        assert "bao nhiêu tuổi" in age["text"]
        await client.send_text(LAN, "sinh năm 1953")
        [quote] = await client.wait_for(LAN, timeout=10)
        assert "73 tuổi" in quote["text"] and "trợ cấp hưu trí xã hội" in quote["text"]
        assert "4 người" in quote["text"] and "1.229.580 ₫" in quote["text"]  # 3 x 409.860


async def test_an_unanswered_age_question_does_not_swallow_a_later_number(fake_stack, fake_nlu):
    fake_nlu.teach("q", "ask_cost", beneficiary_group="elderly_no_pension", relation="grandparent")
    fake_nlu.teach("mua o dau", "ask_where_to_buy")
    fake_nlu.teach("nha toi 4 nguoi", "inform", household_size=4)
    async with fake_stack() as (_, client):
        await client.send_text(LAN, "q")
        [ask] = await client.wait_for(LAN, timeout=10)
        assert "bao nhiêu tuổi" in ask["text"]
        await client.send_text(LAN, "mua o dau")
        await client.wait_for(LAN, timeout=10)
        await client.send_text(LAN, "nha toi 4 nguoi")
        replies = await client.wait_for(LAN, timeout=10)
        assert all("4 tuổi" not in r["text"] for r in replies)


async def test_a_stale_clarify_button_changes_nothing(fake_stack, fake_nlu):
    fake_nlu.teach("q", "ask_cost", age=[40, 45, 15], beneficiary_group="disabled",
                   location="Thanh Hóa")  # fmt: skip
    async with fake_stack() as (_, client):
        await client.send_text(LAN, "q")
        [first] = await client.wait_for(LAN, timeout=10)
        await client.press(LAN, "Không", message_id=first["message_id"])
        [second] = await client.wait_for(LAN, timeout=10)
        assert second["text"] != first["text"]
        await client.press(LAN, "Có", message_id=first["message_id"])  # the old question again
        with pytest.raises(TimeoutError):
            await client.wait_for(LAN, timeout=3)  # ignored: nothing changed, nothing sent


async def test_no_pension_question_names_the_facts_on_its_buttons(fake_stack, fake_nlu):
    fake_nlu.teach("q", "ask_cost", age=[66], location="Hải Phòng")
    async with fake_stack() as (_, client):
        await client.send_text(LAN, "q")
        [ask] = await client.wait_for(LAN, timeout=10)
        assert ask["buttons"][:2] == [
            "Không có lương hưu, trợ cấp",
            "Có lương hưu hoặc trợ cấp BHXH",
        ]
        await client.press(LAN, "Có lương hưu hoặc trợ cấp BHXH")
        [quote] = await client.wait_for(LAN, timeout=10)
        assert "đã có BHYT qua người hưởng lương hưu" in quote["text"]


async def test_a_total_below_the_people_counted_is_asked_not_guessed(fake_stack, fake_nlu):
    text = "nhà 2 người: bố 70 tuổi, mẹ 68 tuổi, con 10 tuổi"
    fake_nlu.teach(text, "ask_cost", location="Thanh Hóa")
    async with fake_stack() as (_, client):
        await client.send_text(LAN, text)
        [ask] = await client.wait_for(LAN, timeout=10)
        assert "Bạn nói nhà 2 người nhưng mình đếm được 3 người" in ask["text"]
        await client.press(LAN, "2 người")
        [menu] = await client.wait_for(LAN, timeout=10)
        assert "sửa ai" in menu["text"]  # they remove who was counted twice
        await client.press(LAN, menu["buttons"][2])  # the child
        await client.wait_for(LAN, timeout=10)
        await client.press(LAN, "Bỏ người này")
        replies = await client.wait_for(LAN, timeout=10)
        assert "2 người" in replies[-1]["text"]
