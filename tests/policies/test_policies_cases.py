"""Every golden case (shared/domain) and every own case (cases.yaml), through the CLI and the API."""

from __future__ import annotations

import json

import pytest
from policy_helpers import golden_cases, own_cases, run_cli

from policies import parse_request, quote, quote_to_dict

GOLDEN = golden_cases()
OWN = own_cases()
ALL = [pytest.param(c, id=f"golden:{c['id']}") for c in GOLDEN] + [
    pytest.param(c, id=f"own:{c['id']}") for c in OWN
]


def check(result: dict, expect: dict) -> None:
    assert result["total_vnd"] == expect["total_vnd"]
    assert [m["amount_vnd"] for m in result["members"]] == expect["members_amount_vnd"]
    assert result["total_vnd"] == sum(m["amount_vnd"] for m in result["members"])
    if "lines" in expect:
        assert [m["line"] for m in result["members"]] == expect["lines"]
    if "groups" in expect:
        assert [m["group"] for m in result["members"]] == expect["groups"]
    if "shares" in expect:
        got = [[[s["payer"], s["percent"]] for s in m["shares"]] for m in result["members"]]
        assert got == expect["shares"]
    for text in expect.get("notes_contain", []):
        assert any(text in n for n in result["notes"]), (text, result["notes"])
    if "rules_as_of" in expect:
        assert result["rules_as_of"] == expect["rules_as_of"]
    if "unconfirmed" in expect:
        assert result["unconfirmed"] is expect["unconfirmed"]
        marked = any("theo thông tin hiện có" in n for n in result["notes_vi"])
        assert marked is expect["unconfirmed"]


def test_golden_file_is_there():
    assert len(GOLDEN) >= 11
    assert {c["id"] for c in GOLDEN} >= {"hh1_12m", "hp_mixed_household", "hh1_2023"}


@pytest.mark.parametrize("case", ALL)
def test_case_through_cli(case):
    proc = run_cli("quote", case["request"])
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    for key in ("total_vnd", "members", "rules_as_of"):
        assert key in result
    for member in result["members"]:
        assert {"amount_vnd", "full_vnd", "line", "shares"} <= member.keys()
        for share in member["shares"]:
            assert {"payer", "percent", "basis"} <= share.keys() and share["basis"]
    check(result, case["expect"])


@pytest.mark.parametrize("case", ALL)
def test_case_through_api(case, rules):
    q = quote(parse_request(case["request"], rules), rules)
    assert q.total_vnd == case["expect"]["total_vnd"]
    check(quote_to_dict(q), case["expect"])


def test_group_notes_surface(rules):
    """Groups that give nothing are named in the member notes, not silently dropped."""
    req = {"date": "2026-11-22", "province": None, "months": 12}
    disabled = quote_to_dict(
        quote(
            parse_request({**req, "members": [{"age": 30, "groups": ["disabled"]}]}, rules), rules
        )
    )
    assert "no support rule" in disabled["members"][0]["notes"][0]
    child = quote_to_dict(
        quote(
            parse_request({**req, "members": [{"age": 7, "groups": ["child_under_6"]}]}, rules),
            rules,
        )
    )
    assert "at age 7" in child["members"][0]["notes"][0]
