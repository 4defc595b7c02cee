"""Non-price answers: which groups are paid for or supported, which provinces have rules."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from policies import (
    RequestError,
    covered_elsewhere_groups,
    eligible_support,
    eligible_support_details,
    known_provinces,
    province_slugs,
)

DAY = dt.date(2026, 11, 22)


def as_dict(items):
    return {group: percent for group, percent, _basis in items}


def test_national_support_for_a_65_year_old(rules):
    got = as_dict(eligible_support(rules, DAY, None, 65))
    assert got["poor"] == 100 and got["near_poor"] == 70 and got["student"] == 50
    assert "elderly_no_pension" not in got
    assert "child_under_6" not in got  # by age, 65 does not fit


def test_hai_phong_adds_city_groups(rules):
    got = as_dict(eligible_support(rules, DAY, "hai_phong", 65))
    assert got["elderly_no_pension"] == 100
    assert got["near_poor"] == 100
    assert got["farm_avg_income"] == 50
    assert got["waste_collector"] == 70
    assert as_dict(eligible_support(rules, DAY, "hai_phong", 80))["elderly_no_pension"] == 100


def test_basis_and_unconfirmed_flag(rules):
    details = {d.group: d for d in eligible_support_details(rules, DAY, "hai_phong", 65)}
    assert "Nghị quyết 57/2025/NQ-HĐND" in details["elderly_no_pension"].basis
    assert details["elderly_no_pension"].unconfirmed
    assert not details["poor"].unconfirmed
    assert details["farm_avg_income"].line == "supported_group"


def test_before_nq57_no_city_groups(rules):
    got = as_dict(eligible_support(rules, dt.date(2025, 6, 1), "hai_phong", 65))
    assert "waste_collector" not in got
    assert got["student"] == Decimal(30)


def test_any_age(rules):
    got = as_dict(eligible_support(rules, DAY, None, None))
    assert got["child_under_6"] == 100


def test_unknown_province(rules):
    with pytest.raises(RequestError) as info:
        eligible_support(rules, DAY, "atlantis", 40)
    assert info.value.field == "province"


def test_provinces(rules):
    assert {"hai_phong", "ninh_binh", "tuyen_quang", "bac_ninh"} <= set(known_provinces(rules))
    assert known_provinces(rules) == sorted(known_provinces(rules))
    slugs = province_slugs(rules)
    assert len(slugs) == 34 and "hai_phong" in slugs and "hai_duong" not in slugs


def test_covered_elsewhere(rules):
    assert covered_elsewhere_groups(rules, DAY) == [
        "employee",
        "pensioner",
        "armed_forces_relative",
    ]


def test_age_bands_when_age_unknown(rules):
    details = eligible_support_details(rules, DAY, "hai_phong", None)
    elderly = [
        (d.min_age, d.max_age, d.shares[0].payer)
        for d in details
        if d.group == "elderly_no_pension"
    ]
    assert elderly == [(60, 74, "province"), (75, None, "state")]
    child = next(d for d in details if d.group == "child_under_6")
    assert (child.min_age, child.max_age) == (None, 5)
    poor = next(d for d in details if d.group == "poor")
    assert (poor.min_age, poor.max_age) == (None, None)


def test_given_age_keeps_the_group_band(rules):
    details = {d.group: d for d in eligible_support_details(rules, DAY, "hai_phong", 65)}
    assert (details["poor"].min_age, details["poor"].max_age) == (None, None)
    assert (details["elderly_no_pension"].min_age, details["elderly_no_pension"].max_age) == (
        60,
        74,
    )
