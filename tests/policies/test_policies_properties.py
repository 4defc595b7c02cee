"""Invariants of the engine over random households, dates and provinces (hypothesis)."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

from hypothesis import given, settings
from hypothesis import strategies as st

from policies import QuoteRequest, load_rules, quote
from policies.model import LINE_HOUSEHOLD, Member

RULES = load_rules()
FIRST_DAY = RULES.base_salary.rows[0].start
GROUPS = st.lists(st.sampled_from(RULES.groups), max_size=3)
MEMBERS = st.builds(Member, age=st.integers(0, RULES.limits.max_age), groups=GROUPS.map(tuple))
DATES = st.dates(min_value=FIRST_DAY, max_value=dt.date(2035, 12, 31))
PROVINCES = st.sampled_from([None, "hai_phong", "ha_noi"])


@st.composite
def requests(draw, max_members=None):
    limit = max_members or RULES.limits.max_members
    members = draw(st.lists(MEMBERS, min_size=1, max_size=limit))
    months = draw(st.sampled_from(RULES.periods.last.value))
    return QuoteRequest(draw(DATES), months, tuple(members), draw(PROVINCES))


@settings(max_examples=200, deadline=None)
@given(requests(max_members=RULES.limits.max_members - 1), MEMBERS, st.data())
def test_adding_a_member_never_lowers_the_total(request, extra, data):
    position = data.draw(st.integers(0, len(request.members)))
    members = list(request.members)
    members.insert(position, extra)
    bigger = replace(request, members=tuple(members))
    assert quote(bigger, RULES).total_vnd >= quote(request, RULES).total_vnd


@settings(max_examples=200, deadline=None)
@given(requests())
def test_amounts_stay_between_zero_and_full(request):
    q = quote(request, RULES)
    for m in q.members:
        assert 0 <= m.amount_vnd <= m.full_vnd
        assert all(0 < s.percent <= 100 for s in m.shares)
        assert sum(s.percent for s in m.shares) <= 100
    assert q.total_vnd == sum(m.amount_vnd for m in q.members)


@settings(max_examples=150, deadline=None)
@given(requests())
def test_periods_scale_exactly(request):
    by_months = {
        n: quote(replace(request, months=n), RULES).members for n in RULES.periods.last.value
    }
    for i in range(len(request.members)):
        three, six, twelve = (by_months[n][i] for n in (3, 6, 12))
        assert twelve.amount_vnd == 2 * six.amount_vnd == 4 * three.amount_vnd
        assert twelve.full_vnd == 2 * six.full_vnd == 4 * three.full_vnd
        assert twelve.line == six.line == three.line


@settings(max_examples=200, deadline=None)
@given(requests())
def test_no_parameter_is_used_before_its_start(request):
    q = quote(request, RULES)
    assert q.base_salary.start <= request.date
    assert q.rate.start <= request.date
    assert q.rules_as_of <= request.date
    for m in q.members:
        assert all(s.start <= request.date for s in m.shares)


@settings(max_examples=100, deadline=None)
@given(requests(), st.dates(min_value=FIRST_DAY, max_value=dt.date(2022, 12, 31)))
def test_no_city_share_before_the_resolution(request, day):
    q = quote(replace(request, date=day, province="hai_phong"), RULES)
    assert all(s.payer != "province" for m in q.members for s in m.shares)


@settings(max_examples=100, deadline=None)
@given(requests())
def test_ladder_ranks_follow_request_order(request):
    q = quote(request, RULES)
    ranks = [m.rank for m in q.members if m.line == LINE_HOUSEHOLD]
    assert ranks == list(range(1, len(ranks) + 1))
    amounts = [m.amount_vnd for m in q.members if m.line == LINE_HOUSEHOLD]
    assert amounts == sorted(amounts, reverse=True)


@settings(max_examples=100, deadline=None)
@given(requests())
def test_children_under_6_pay_nothing(request):
    q = quote(request, RULES)
    for m in q.members:
        if m.age < 6:
            assert m.amount_vnd == 0
