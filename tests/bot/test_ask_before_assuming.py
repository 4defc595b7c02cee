"""The amended law in the citizen's answers: ask before assuming, say where to apply, facts as data."""

from __future__ import annotations

from sqlalchemy import select

from db.models import Person
from db.people import has_consent

LAN = 1001


async def test_near_poor_aged_72_is_told_to_apply_not_a_price(fake_stack, fake_nlu):
    fake_nlu.teach("me toi 72 tuoi ho can ngheo thi co duoc mien phi khong", "ask_eligibility",
                   age=72, beneficiary_group="near_poor", relation="parent")  # fmt: skip
    async with fake_stack() as (_, client):
        await client.send_text(LAN, "me toi 72 tuoi ho can ngheo thi co duoc mien phi khong")
        [reply] = await client.wait_for(LAN, timeout=10)
        assert "409.860" not in reply["text"]
        assert "trợ cấp hưu trí xã hội" in reply["text"] and "UBND xã/phường" in reply["text"]
        assert "41/2024/QH15" in reply["text"]


async def test_severe_disability_is_free_and_unknown_severity_is_asked(fake_stack, fake_nlu):
    fake_nlu.teach("nang", "ask_eligibility", age=40, beneficiary_group="disabled_severe")
    fake_nlu.teach("kt", "ask_eligibility", age=40, beneficiary_group="disabled")
    async with fake_stack() as (_, client):
        await client.send_text(LAN, "nang")
        [severe] = await client.wait_for(LAN, timeout=10)
        assert "miễn phí" in severe["text"] and "chưa thuộc diện" not in severe["text"]
    async with fake_stack() as (_, client):
        await client.send_text(LAN, "kt")
        [unknown] = await client.wait_for(LAN, timeout=10)
        assert "nặng hoặc đặc biệt nặng" in unknown["text"] and "Nếu đúng" in unknown["text"]


async def test_elderly_without_age_is_asked_the_age_before_a_quote(fake_stack, fake_nlu):
    fake_nlu.teach("q", "ask_cost", beneficiary_group="elderly_no_pension", relation="grandparent")
    async with fake_stack() as (_, client):
        await client.send_text(LAN, "q")
        [ask] = await client.wait_for(LAN, timeout=10)
        assert "bao nhiêu tuổi" in ask["text"]
        await client.send_text(LAN, "77")
        [quote] = await client.wait_for(LAN, timeout=10)
        assert "77 tuổi" in quote["text"]
        assert "trợ cấp hưu trí xã hội" in quote["text"]  # free once granted, not 1.366.200 ₫
        [member] = [ln for ln in quote["text"].split("\n") if ln.startswith("• Người 1")]
        assert "1.366.200" not in member and "UBND xã/phường" in member


async def test_school_age_member_is_asked_and_a_pupil_is_quoted_on_the_student_line(
    fake_stack, fake_nlu
):
    fake_nlu.teach("q", "ask_cost", age=[40, 10], location="Thanh Hóa")
    async with fake_stack() as (_, client):
        await client.send_text(LAN, "q")
        [ask] = await client.wait_for(LAN, timeout=10)
        assert "đang đi học" in ask["text"] and "10 tuổi" in ask["text"]
        await client.press(LAN, "Có")
        [quote] = await client.wait_for(LAN, timeout=10)
        assert "683.100 ₫" in quote["text"]  # 50 % support, no household rank
        assert "1.366.200 ₫" in quote["text"]


async def test_a_no_keeps_the_household_line(fake_stack, fake_nlu):
    fake_nlu.teach("q", "ask_cost", age=[40, 10], location="Thanh Hóa")
    async with fake_stack() as (_, client):
        await client.send_text(LAN, "q")
        await client.wait_for(LAN, timeout=10)
        await client.press(LAN, "Không")
        [quote] = await client.wait_for(LAN, timeout=10)
        assert "956.340 ₫" in quote["text"]  # household line, second member (70 %)


async def test_facts_answers_come_from_dated_data_with_their_basis(fake_stack, fake_nlu):
    fake_nlu.teach("the co hieu luc khi nao", "ask_card_validity")
    async with fake_stack() as (_, client):
        await client.send_text(LAN, "the co hieu luc khi nao")
        [answer] = await client.wait_for(LAN, timeout=10)
        assert "dưới 3 tháng" in answer["text"] and "không phải chờ 30 ngày" in answer["text"]
        assert "90 ngày" not in answer["text"]
        await client.press(LAN, "📜 Xem căn cứ")
        [basis] = await client.wait_for(LAN, timeout=10)
        assert "Luật 51/2024/QH15" in basis["text"] and "từ 01/07/2025" in basis["text"]


async def test_improve_consent_is_its_own_purpose_and_can_be_withdrawn(fake_stack, fake_nlu):
    async with fake_stack() as (stack, client):
        await client.send_text(LAN, "/cai_thien")
        await client.wait_for(LAN, timeout=10)
        await client.press(LAN, "✅ Đồng ý")
        await client.wait_for(LAN, timeout=10)

        def consented(s):
            pid = s.scalar(select(Person.id).where(Person.telegram_id == LAN))
            return has_consent(s, pid, "improve_answers"), has_consent(s, pid, "contact_by_agent")

        assert await stack.services.db.acall(consented) == (True, False)
        await client.send_text(LAN, "/cai_thien")
        await client.wait_for(LAN, timeout=10)
        await client.press(LAN, "Không / rút lại")
        await client.wait_for(LAN, timeout=10)
        assert await stack.services.db.acall(consented) == (False, False)


async def test_sua_sdt_corrects_the_phone_of_an_open_lead(fake_stack, fake_nlu):
    fake_nlu.teach("goi cho toi", "request_contact", location="Phường Ái Quốc, Hải Phòng")
    async with fake_stack() as (_, client):
        await client.send_text(LAN, "/sua_sdt 0912345678")
        [none] = await client.wait_for(LAN, timeout=10)
        assert "không có số nào" in none["text"]
        await client.send_text(LAN, "goi cho toi")
        await client.wait_for(LAN, timeout=10)
        await client.press(LAN, "✅ Đồng ý chia sẻ")
        await client.wait_for(LAN, timeout=10)
        await client.send_text(LAN, "0912345678")
        await client.wait_for(LAN, count=2, timeout=10)
        await client.send_text(LAN, "/sua_sdt 0987 654 321")
        [done] = await client.wait_for(LAN, timeout=10)
        assert "0987654321" in done["text"]
        await client.send_text(LAN, "/du_lieu_cua_toi")
        [mine] = await client.wait_for(LAN, timeout=10)
        assert "0987654321" in mine["text"] and "0912345678" not in mine["text"]
