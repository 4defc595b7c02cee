"""The real trained model behind a real Rasa server (app venv; `pytest -m nlu`).

`nlu_url` is the session fixture of tests/conftest.py: NLU_URL when it answers, otherwise one
`rasa run --enable-api` (.venv-nlu, free port, newest model in models/) for the whole session;
skipped with the reason when models/ holds no model.
"""

from __future__ import annotations

import pytest

from nlu.client import NluClient
from nlu.components.vi_text import fold

pytestmark = pytest.mark.nlu


async def parse(url, text):
    async with NluClient(url, timeout=10.0) as client:
        return await client.parse(text)


async def test_cost_question_with_facts(nlu_url):
    r = await parse(nlu_url, "nha toi 4 nguoi o Hai Phong mua bhyt 1 nam het bao nhieu")
    assert r.intent == "ask_cost"
    assert r.first("household_size") == 4
    assert r.first("months") == 12
    assert any("hai phong" in fold(str(v)) for v in r.values("location"))


async def test_cost_question_with_diacritics(nlu_url):
    r = await parse(nlu_url, "nhà tôi 4 người ở Hải Phòng mua bhyt 1 năm hết bao nhiêu")
    assert r.intent == "ask_cost"
    assert r.first("household_size") == 4
    assert r.first("months") == 12


@pytest.mark.parametrize(
    "text", ["hộ cận nghèo có được hỗ trợ không", "ho can ngheo co duoc ho tro khong"]
)
async def test_eligibility_with_group(nlu_url, text):
    r = await parse(nlu_url, text)
    assert r.intent == "ask_eligibility"
    assert r.first("beneficiary_group") == "near_poor"


async def test_inform_age(nlu_url):
    r = await parse(nlu_url, "tôi 67 tuổi")
    assert r.intent == "inform"
    assert r.first("age") == 67


async def test_phone_is_normalised(nlu_url):
    r = await parse(nlu_url, "sdt cua toi la +84 912 345 678")
    assert r.first("phone") == "0912345678"


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("xin chào", "greet"),
        ("cảm ơn nhiều", "thank"),
        ("mua thẻ bhyt ở đâu", "ask_where_to_buy"),
        ("đừng gửi tin nữa", "unsubscribe"),
        ("bạn là người thật à", "bot_challenge"),
    ],
)
async def test_simple_intents(nlu_url, text, intent):
    r = await parse(nlu_url, text)
    assert r.intent == intent
