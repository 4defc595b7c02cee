"""nlu.household: the people one message describes (cases in household_cases.yaml)."""

from __future__ import annotations

import time
from datetime import date
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from nlu.components.vi_text import BENEFICIARY_GROUPS, has_diacritics
from nlu.household import (
    HOUSEHOLD_GROUPS,
    KINS,
    MAX_MEMBERS,
    HouseholdReading,
    Member,
    read_household,
    summary_vi,
)

TODAY = date(2026, 12, 1)
CASES = yaml.safe_load((Path(__file__).with_name("household_cases.yaml")).read_text("utf-8"))[
    "cases"
]
# The four ids added to the contract on 2026-12-01 (shared/nlu-spec.md).
GROUP_IDS = set(BENEFICIARY_GROUPS) | {
    "disabled_severe",
    "island_commune",
    "hardship_area",
    "armed_forces_relative",
}

Summary = tuple[int | None, tuple[str, ...], bool | None]


def summarise(members: list[list] | tuple[Member, ...]) -> list[Summary]:
    rows = [
        (m.age, tuple(sorted(m.groups)), m.in_school)
        if isinstance(m, Member)
        else (m[0], tuple(sorted(m[1])), m[2])
        for m in members
    ]
    return sorted(rows, key=lambda r: (r[0] is None, r[0] or 0, r[1], str(r[2])))


def test_the_cases_cover_what_people_type():
    plain = [c for c in CASES if not has_diacritics(c["text"])]
    assert len(CASES) >= 60
    assert len(plain) * 3 >= len(CASES)


@pytest.mark.parametrize("case", CASES, ids=[c["text"][:50] or "empty" for c in CASES])
def test_case(case):
    reading = read_household(case["text"], today=TODAY)
    assert summarise(reading.members) == summarise(case["members"])
    assert reading.stated_total == case.get("total")
    assert sorted(reading.household_groups) == sorted(case.get("household_groups", []))
    assert reading.correction == case.get("correction", False)
    if "months" in case:
        assert reading.months == case["months"]
    assert reading.conflict == case.get("conflict", False)
    expected_described = bool(case["members"] or case.get("total") or case.get("household_groups"))
    assert reading.described == case.get("described", expected_described)


def test_phrases_keep_kin_counts_and_words():
    reading = read_household("nhà 6 người: ông bà 68 tuổi, bố mẹ và 2 cháu đi học", today=TODAY)
    kins = [(p.kin, p.count, p.age) for p in reading.people]
    assert kins == [("grandparent", 2, 68), ("parent", 2, None), ("grandchild", 2, None)]
    assert [p.words for p in reading.people] == ["ông bà 68 tuổi", "bố mẹ", "2 cháu đi học"]


def test_self_and_spouse_from_vo_chong_toi():
    reading = read_household("vợ chồng tôi 45 và 43 tuổi", today=TODAY)
    assert [(p.kin, p.age) for p in reading.people] == [("self", 45), ("spouse", 43)]


def test_months_of_age_are_kept():
    (baby,) = read_household("bé 8 tháng tuổi", today=TODAY).people
    assert (baby.age, baby.age_months, baby.kin) == (0, 8, "child")


def test_birth_year_uses_today():
    (mother,) = read_household("mẹ sinh năm 1958", today=date(2030, 1, 1)).people
    assert mother.age == 72


def test_near_poor_is_never_poor():
    for text in ("can ngheo", "hộ cận nghèo", "hcn", "ho CN", "nha toi thuoc dien can ngheo"):
        assert read_household(text).household_groups == ("near_poor",), text


def test_no_pension_is_never_pensioner():
    for text in ("ông 70 không có lương hưu", "ong 70 ko luong huu", "bà 80 tuổi chưa có trợ cấp"):
        (person,) = read_household(text).people
        assert "pensioner" not in person.groups and "elderly_no_pension" in person.groups, text


def test_summary_vi():
    reading = read_household(
        "nha toi co ong ba 68 tuoi khong co luong huu, bo me va 2 chau di hoc", today=TODAY
    )
    assert summary_vi(reading) == "ông bà 68 tuổi không lương hưu, bố mẹ, 2 cháu đi học"
    reading = read_household("hộ cận nghèo 4 người, mẹ 65 tuổi, đóng 1 năm", today=TODAY)
    assert summary_vi(reading) == "hộ cận nghèo: bố/mẹ 65 tuổi, 3 người chưa rõ tuổi; đóng 12 tháng"
    assert summary_vi(read_household("xin chào")) == "chưa có thông tin về hộ"


def test_unknown_members_fill_the_stated_total():
    reading = read_household("nhà 4 người, mẹ 65 tuổi", today=TODAY)
    assert len(reading.members) == 4 and not reading.conflict
    assert reading.members[1:] == (Member(None, (), None, None),) * 3


def test_huge_input_is_cut_and_fast():
    for text in ("a" * 10_000_000, "ông bà 68 tuổi, " * 700_000, "9" * 10_000_000):
        start = time.perf_counter()
        reading = read_household(text)
        assert time.perf_counter() - start < 2
        assert len(reading.members) <= MAX_MEMBERS


# --- properties ----------------------------------------------------------------------------------

WORDS = (
    "nhà tôi có ông bà bố mẹ ba má vợ chồng con cháu anh chị em bé đứa trẻ cụ cô tuổi t tháng năm "
    "người ng ko không lương hưu đi học sv hs cận nghèo hộ hgđ à nhầm sửa lại và với đều dưới trên "
    "sinh bộ đội công an khuyết tật nặng thương binh trợ cấp xã hội nửa quý mua đóng hết bn chứ "
    "phải mới đúng ơi cho hỏi ong ba bo me vo chong chau chi be dua tre tuoi thang nam nguoi khong "
    "co luong huu di hoc can ngheo ho hgd a nham sua va voi deu duoi tren lớp cấp đại học ấy nữa "
    "thêm trong đó , . : 0 1 2 3 4 6 8 12 68 70 1958 2030 0912345678 999"
).split()

texts = st.one_of(
    st.text(max_size=300),
    st.lists(st.sampled_from(WORDS), max_size=40).map(" ".join),
)


def _valid(reading: HouseholdReading) -> None:
    assert len(reading.members) <= MAX_MEMBERS
    assert set(reading.household_groups) <= HOUSEHOLD_GROUPS
    for p in reading.people:
        assert p.count >= 1
        assert p.kin is None or p.kin in KINS
        assert set(p.groups) <= GROUP_IDS - HOUSEHOLD_GROUPS
        assert p.age is None or 0 <= p.age <= 120
    assert reading.months in (None, 3, 6, 12)


@settings(max_examples=400, deadline=None)
@given(texts)
def test_any_text_reads_without_error(text):
    reading = read_household(text, today=TODAY)
    _valid(reading)
    if reading.stated_total is None:
        assert not reading.conflict
    assert isinstance(summary_vi(reading), str)
