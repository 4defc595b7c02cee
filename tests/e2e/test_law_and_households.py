"""The amended law and households as people write them, with the real NLU model."""

from __future__ import annotations

import pytest

from tests.e2e.test_citizen import LAN, lan, press, say  # noqa: F401 (fixture)

pytestmark = pytest.mark.e2e


async def test_near_poor_mother_of_72_is_told_where_to_apply(lan):  # noqa: F811
    _, client = lan
    [reply] = await say(client, "me toi 72 tuoi ho can ngheo thi co duoc mien phi khong")
    assert "409.860" not in reply["text"]
    assert "trợ cấp hưu trí xã hội" in reply["text"] and "UBND xã/phường" in reply["text"]


async def test_six_people_described_in_words_are_quoted_as_six(lan):  # noqa: F811
    _, client = lan
    text = "nha toi co ong ba 68 tuoi khong co luong huu, bo me va 2 chau di hoc, o Thanh Hoa"
    replies = await say(client, text + " thi mua bhyt het bao nhieu")
    quote = replies[-1]["text"]
    assert quote.startswith("6 người"), quote
    assert "2 ông/bà 68 tuổi" in quote and "2 cháu" in quote
    members = [ln for ln in quote.split("\n") if ln.startswith("• Người")]
    assert len(members) == 6  # one priced line per person described, none invented


async def test_severe_disability_is_free(lan):  # noqa: F811
    _, client = lan
    [reply] = await say(client, "con toi bi khuyet tat nang thi co duoc cap the bhyt mien phi ko")
    assert "miễn phí" in reply["text"] and "chưa thuộc diện" not in reply["text"]


async def test_a_mistyped_place_still_finds_the_commune(lan):  # noqa: F811
    _, client = lan
    replies = await say(client, "nha 2 nguoi o ai quooc hp dong bn tien")
    text = " ".join(r["text"] + " ".join(r.get("buttons") or []) for r in replies)
    assert "Ái Quốc" in text
