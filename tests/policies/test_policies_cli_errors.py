"""Invalid input: exit status 2, one English line on stderr naming the bad field."""

from __future__ import annotations

import json

import pytest
from policy_helpers import run_cli

OK = {
    "date": "2026-11-22",
    "province": "hai_phong",
    "months": 12,
    "members": [{"age": 65, "groups": []}],
}


def with_(**changes):
    return {**OK, **changes}


BAD = [
    ("not json", "{date: 2026", "JSON"),
    ("not an object", "[1, 2]", "(request)"),
    ("months 5", with_(months=5), "months"),
    ("months string", with_(months="12"), "months"),
    ("months missing", {k: v for k, v in OK.items() if k != "months"}, "months"),
    ("negative age", with_(members=[{"age": -1, "groups": []}]), "members[0].age"),
    ("absurd age", with_(members=[{"age": 131, "groups": []}]), "members[0].age"),
    ("float age", with_(members=[{"age": 6.5, "groups": []}]), "members[0].age"),
    ("bool age", with_(members=[{"age": True, "groups": []}]), "members[0].age"),
    ("missing age", with_(members=[{"groups": []}]), "members[0].age"),
    (
        "unknown group",
        with_(members=[{"age": 3}, {"age": 30, "groups": ["vip"]}]),
        "members[1].groups[0]",
    ),
    ("groups not list", with_(members=[{"age": 30, "groups": "poor"}]), "members[0].groups"),
    ("bad date", with_(date="2026-02-30"), "date"),
    ("date format", with_(date="22/11/2026"), "date"),
    ("date before data", with_(date="2010-01-01"), "date"),
    ("empty members", with_(members=[]), "members"),
    ("too many members", with_(members=[{"age": 30}] * 21), "members"),
    ("members not list", with_(members={"age": 30}), "members"),
    ("unknown province", with_(province="atlantis"), "province"),
    ("old province name", with_(province="hai_duong"), "province"),
]


@pytest.mark.parametrize("command", ["quote", "explain"])
@pytest.mark.parametrize(("label", "payload", "field"), BAD, ids=[b[0] for b in BAD])
def test_invalid_input_exits_2_naming_field(command, label, payload, field):
    proc = run_cli(command, payload)
    assert proc.returncode == 2, (label, proc.stdout, proc.stderr)
    assert proc.stdout == ""
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert field in lines[0]
    assert lines[0].isascii() or "�" not in lines[0]


def test_limits_accept_the_edges():
    edge = with_(members=[{"age": 130, "groups": []}] + [{"age": 0}] * 19)
    proc = run_cli("quote", edge)
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    assert len(result["members"]) == 20
    assert result["members"][1]["amount_vnd"] == 0  # newborn: free by age


def test_output_is_one_json_object():
    proc = run_cli("quote", OK)
    assert proc.returncode == 0
    assert proc.stdout.count("\n") == 1
    assert isinstance(json.loads(proc.stdout), dict)


def test_quote_locale_vi_keeps_contract_keys():
    proc = run_cli("quote", OK, "--locale", "vi")
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    assert result["total_vnd"] == 1366200
    assert "hộ gia đình" in result["members"][0]["reason"]
