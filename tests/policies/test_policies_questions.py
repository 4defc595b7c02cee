"""Questions that would change a quote, free cards that need an application, facts as data."""

from __future__ import annotations

import datetime as dt
import json

from policy_helpers import run_cli

from policies import parse_request, quote
from policies.engine import open_questions

DAY = "2026-11-22"


def ask(rules, members, date=DAY, province=None):
    req = {"date": date, "province": province, "months": 12, "members": members}
    q = quote(parse_request(req, rules), rules)
    return [[x.id for x in m.questions] for m in q.members]


def test_disability_severity_asked_only_when_unknown(rules):
    got = ask(
        rules, [{"age": 40, "groups": ["disabled"]}, {"age": 40, "groups": ["disabled_severe"]}]
    )
    assert got == [["disability_severity"], []]


def test_school_asked_for_ages_6_to_22_only(rules):
    ages = [5, 6, 15, 22, 23]
    got = ask(rules, [{"age": a, "groups": []} for a in ages])
    assert ["in_school" in g for g in got] == [False, True, True, True, False]
    # already a pupil, or poor (free anyway): nothing to ask
    assert ask(rules, [{"age": 15, "groups": ["student"]}, {"age": 15, "groups": ["poor"]}]) == [
        [],
        [],
    ]


def test_pension_question_open_only_where_it_changes_the_price(rules):
    # Nationally a 65-year-old without pension gets nothing, in Hải Phòng the city pays: the
    # question matters only where the answer changes the price.
    assert ask(rules, [{"age": 65, "groups": []}]) == [[]]
    assert ask(rules, [{"age": 65, "groups": []}], province="hai_phong") == [["no_pension"]]
    assert ask(rules, [{"age": 78, "groups": []}]) == [["no_pension"]]


def test_turned_6_question_until_30_september(rules):
    member = [{"age": 6, "groups": []}]
    assert "turned_6_this_year" in ask(rules, member, date="2026-09-30")[0]
    assert "turned_6_this_year" not in ask(rules, member, date="2026-10-01")[0]


def test_open_questions_api_matches_quote(rules):
    req = parse_request(
        {
            "date": DAY,
            "province": None,
            "months": 12,
            "members": [{"age": 40, "groups": ["disabled"]}],
        },
        rules,
    )
    assert [q.id for q in open_questions(req, rules, 0)] == ["disability_severity"]


def test_free_card_with_application_says_where_to_apply(rules):
    req = {
        "date": DAY,
        "province": None,
        "months": 12,
        "members": [{"age": 71, "groups": ["near_poor"]}],
    }
    proc = run_cli("quote", req, "--locale", "vi")
    assert proc.returncode == 0, proc.stderr
    member = json.loads(proc.stdout)["members"][0]
    assert member["amount_vnd"] == 0 and member["rule"] == "poor_near_poor_70_social_pension"
    assert "UBND xã/phường" in member["application"]
    assert any("trợ cấp hưu trí xã hội" in s["basis"] for s in member["shares"])


def test_household_line_has_no_application(rules):
    req = {"date": DAY, "province": None, "months": 12, "members": [{"age": 40, "groups": []}]}
    member = json.loads(run_cli("quote", req).stdout)["members"][0]
    assert member["application"] is None and member["rule"] is None


def test_explain_names_rule_document_and_question(rules):
    req = {
        "date": DAY,
        "province": None,
        "months": 12,
        "members": [{"age": 40, "groups": ["disabled"]}],
    }
    text = run_cli("explain", req).stdout
    assert "Quy định áp dụng: Tham gia theo hộ gia đình" in text
    assert "Nghị định 188/2025/NĐ-CP" in text
    assert "Câu hỏi có thể làm thay đổi kết quả: Mức độ khuyết tật" in text


def test_document_in_force_on_the_date(rules):
    """The same rule cites Nghị định 146/2018 before 2025-07-01 and 188/2025 from then on."""

    def basis(date):
        req = {"date": date, "province": None, "months": 12, "members": [{"age": 3, "groups": []}]}
        return json.loads(run_cli("quote", req).stdout)["members"][0]["shares"][0]["basis"]

    assert "146/2018" in basis("2025-06-30") and "188/2025" not in basis("2025-06-30")
    assert "188/2025" in basis("2025-07-01")


def test_facts_are_dated(rules):
    validity = rules.facts["card_validity"]
    before = {i.id for i in validity.at(dt.date(2025, 6, 30))}
    after = {i.id for i in validity.at(dt.date(2025, 7, 1))}
    assert "gap_until_2025" in before and "short_gap" not in before
    assert "short_gap" in after and "gap_until_2025" not in after
    benefits = {i.id for i in rules.facts["benefits"].at(dt.date(2026, 11, 22))}
    assert "primary_care_anywhere" in benefits and "registered_clinic" not in benefits
    assert all(i.row.reference for t in rules.facts.values() for i in t.items)
