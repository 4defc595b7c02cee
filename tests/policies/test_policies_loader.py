"""The loader refuses broken parameter files and names the file and the key."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest
import yaml

from policies import ParameterError, QuoteRequest, load_rules_from, quote
from policies.loader import PARAMETERS_DIR
from policies.model import Member


@pytest.fixture
def params(tmp_path: Path) -> Path:
    target = tmp_path / "parameters"
    shutil.copytree(PARAMETERS_DIR, target)
    return target


def edit(path: Path, change) -> None:
    data = yaml.safe_load(path.read_text("utf-8"))
    change(data)
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), "utf-8")


def expect_error(params: Path, file: str, key: str, words: str) -> None:
    with pytest.raises(ParameterError) as info:
        load_rules_from(params)
    message = str(info.value)
    assert file in message and key in message and words in message, message


def test_packaged_parameters_load():
    rules = load_rules_from(PARAMETERS_DIR)
    assert "hai_phong" in rules.provinces
    assert rules.base_salary.rows[0].start < rules.base_salary.last.start


def test_unknown_group_id(params):
    edit(params / "national_groups.yaml", lambda d: d["rules"][1]["groups"].append("vip"))
    expect_error(params, "national_groups.yaml", "rules[1].groups[1]", "unknown group id")


def test_unknown_group_in_province(params):
    def change(d):
        d["rules"][0]["groups"] = ["elderly"]

    edit(params / "provinces" / "hai_phong.yaml", change)
    expect_error(params, "hai_phong.yaml", "rules[0].groups[0]", "unknown group id")


def test_unsorted_dates(params):
    def change(d):
        d["values"][2]["start"] = dt.date(2016, 1, 1)

    edit(params / "base_salary.yaml", change)
    expect_error(params, "base_salary.yaml", "values[2].start", "not sorted")


def test_overlapping_dates(params):
    def change(d):
        rule = d["rules"][8]  # student
        rule["values"][0]["end"] = dt.date(2025, 12, 31)

    edit(params / "national_groups.yaml", change)
    expect_error(params, "national_groups.yaml", "rules[8].values[1].start", "overlaps")


def test_percent_out_of_range(params):
    def change(d):
        d["rules"][5]["values"][0]["percent"] = 130

    edit(params / "provinces" / "hai_phong.yaml", change)
    expect_error(params, "provinces/hai_phong.yaml", "rules[5].values[0].percent", "0-100")


def test_negative_ladder_step(params):
    edit(params / "household_ladder.yaml", lambda d: d["values"][0]["value"].__setitem__(2, -5))
    expect_error(params, "household_ladder.yaml", "values[0].value[2]", "0-100")


def test_missing_reference(params):
    edit(params / "base_salary.yaml", lambda d: d["values"][3].pop("reference"))
    expect_error(params, "base_salary.yaml", "values[3].reference", "legal reference")


def test_unconfirmed_needs_note(params):
    edit(params / "national_groups.yaml", lambda d: d["rules"][-4]["values"][-1].pop("note"))
    expect_error(params, "national_groups.yaml", "rules[13].values[1].note", "unconfirmed")


def test_unknown_province_file(params):
    shutil.copy(params / "provinces" / "hai_phong.yaml", params / "provinces" / "atlantis.yaml")
    expect_error(params, "atlantis.yaml", "(file name)", "unknown province slug")


def test_province_key_must_match_file(params):
    shutil.copy(params / "provinces" / "hai_phong.yaml", params / "provinces" / "ha_noi.yaml")
    expect_error(params, "ha_noi.yaml", "province", "does not match")


def test_bad_yaml(params):
    (params / "contribution_rate.yaml").write_text("values: [start: : :\n", "utf-8")
    expect_error(params, "contribution_rate.yaml", "(file)", "invalid YAML")


def test_bad_date(params):
    edit(
        params / "contribution_rate.yaml",
        lambda d: d["values"][0].__setitem__("start", "2015-13-01"),
    )
    expect_error(params, "contribution_rate.yaml", "values[0].start", "not a date")


def test_new_province_is_a_file_not_code(params):
    """Adding a province = dropping a YAML file; its top-ups apply with no code change."""

    def as_thanh_hoa(d):
        d["province"] = "thanh_hoa"

    path = params / "provinces" / "thanh_hoa.yaml"
    shutil.copy(params / "provinces" / "hai_phong.yaml", path)
    edit(path, as_thanh_hoa)
    rules = load_rules_from(params)
    req = QuoteRequest(dt.date(2026, 11, 22), 12, (Member(45, ("near_poor",)),), "thanh_hoa")
    assert quote(req, rules).total_vnd == 0


def test_new_base_salary_row_is_data_only(params):
    def add_row(d):
        d["values"].append(
            {"start": dt.date(2028, 7, 1), "value": 3000000, "reference": "test row"}
        )

    edit(params / "base_salary.yaml", add_row)
    rules = load_rules_from(params)
    req = QuoteRequest(dt.date(2028, 8, 1), 12, (Member(40),), None)
    assert quote(req, rules).total_vnd == 3000000 * 45 // 1000 * 12
    earlier = QuoteRequest(dt.date(2028, 6, 30), 12, (Member(40),), None)
    assert quote(earlier, rules).total_vnd == 1366200


def test_fractions_round_half_up_and_are_said(params):
    """55,555.515 per month rounds to 55,556; 70 % of it (38,888.8605) to 38,889."""

    def add_row(d):
        d["values"].append({"start": dt.date(2028, 7, 1), "value": 1234567, "reference": "test"})

    edit(params / "base_salary.yaml", add_row)
    rules = load_rules_from(params)
    req = QuoteRequest(dt.date(2028, 8, 1), 3, (Member(40), Member(41)), None)
    q = quote(req, rules)
    assert [m.amount_vnd for m in q.members] == [55556 * 3, 38889 * 3]
    assert any("rounded half up" in n.msgid for n in q.notes)


def test_round_half_up():
    from decimal import Decimal

    from policies.engine import round_vnd

    assert [round_vnd(Decimal(x)) for x in ("0.5", "1.5", "2.4999", "2.5", "113850")] == [
        1,
        2,
        2,
        3,
        113850,
    ]


def test_support_capped_at_100(params):
    """A top-up larger than what is left is cut so that state + province = 100 %."""

    def bigger_top_up(d):
        rule = next(r for r in d["rules"] if r["id"] == "hp_near_poor")
        rule["values"][0]["percent"] = 50

    edit(params / "provinces" / "hai_phong.yaml", bigger_top_up)
    rules = load_rules_from(params)
    req = QuoteRequest(dt.date(2026, 11, 22), 12, (Member(45, ("near_poor",)),), "hai_phong")
    member = quote(req, rules).members[0]
    assert member.amount_vnd == 0
    assert [(s.payer, s.percent) for s in member.shares] == [("state", 70), ("province", 30)]
    assert any("capped" in n.msgid for n in member.notes)
