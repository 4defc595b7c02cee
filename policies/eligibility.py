"""Answers other than price: which groups are paid for or supported, which provinces have rules."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import NamedTuple

from .engine import _Candidate, candidate
from .model import LINE_COVERED, FactItem, GroupRule, Rules, Share
from .request import RequestError


class Support(NamedTuple):
    group: str
    percent: Decimal  # total support, percent of the full contribution
    basis: str  # legal references, "; "-joined


@dataclass(frozen=True)
class SupportDetail:
    group: str
    percent: Decimal
    basis: str
    line: str  # free_group or supported_group
    shares: tuple[Share, ...]
    unconfirmed: bool
    min_age: int | None = None  # age band (inclusive) this support holds for; None = open
    max_age: int | None = None


def _check_province(rules: Rules, province: str | None) -> None:
    if province is not None and province not in rules.province_names:
        raise RequestError("province", f"unknown province slug {province!r}")


def _bands(rules: tuple[GroupRule, ...], max_age: int) -> list[tuple[int, int]]:
    """Age bands inside which no rule's age condition changes."""
    cuts = {0, max_age + 1}
    for rule in rules:
        cuts.update(a for a in (rule.min_age, rule.max_age and rule.max_age + 1) if a)
    edges = sorted(c for c in cuts if c <= max_age + 1)
    return [(lo, hi - 1) for lo, hi in zip(edges, edges[1:], strict=False)]


def _signature(c: _Candidate) -> tuple[Decimal, tuple[tuple[str, Decimal, str], ...]]:
    return (c.support, tuple((s.payer, s.percent, s.rule_id) for s in c.shares))


def _group_bands(
    group: str,
    order: int,
    date: dt.date,
    national: tuple[GroupRule, ...],
    provincial: tuple[GroupRule, ...],
    bands: list[tuple[int, int]],
    max_age: int,
) -> list[tuple[_Candidate, int | None, int | None]]:
    """(candidate, low, high) per run of ages with the same support for `group`."""
    runs: list[tuple[_Candidate, int, int]] = []
    for low, high in bands:
        c = candidate(group, order, low, date, national, provincial)
        if c is None or c.line == LINE_COVERED:
            continue
        if runs and runs[-1][2] == low - 1 and _signature(runs[-1][0]) == _signature(c):
            runs[-1] = (runs[-1][0], runs[-1][1], high)
        else:
            runs.append((c, low, high))
    return [(c, None if lo == 0 else lo, None if hi == max_age else hi) for c, lo, hi in runs]


def eligible_support_details(
    rules: Rules, date: dt.date, province: str | None, age: int | None = None
) -> list[SupportDetail]:
    """Groups the state or province pays for or supports on `date`, with their age bands.

    With `age` None every age band is listed (a group may appear once per band)."""
    _check_province(rules, province)
    provincial = rules.provincial(province, date)
    max_age = rules.limits.max_age
    bands = _bands((*rules.national, *provincial), max_age)
    out = []
    for order, group in enumerate(rules.groups):
        for c, low, high in _group_bands(
            group, order, date, rules.national, provincial, bands, max_age
        ):
            if age is not None and not ((low or 0) <= age <= (max_age if high is None else high)):
                continue
            basis = "; ".join(dict.fromkeys(s.basis for s in c.shares))
            unsure = any(s.unconfirmed for s in c.shares)
            out.append(SupportDetail(group, c.support, basis, c.line, c.shares, unsure, low, high))
    return out


def eligible_support(
    rules: Rules, date: dt.date, province: str | None, age: int | None = None
) -> list[Support]:
    """(group, percent, basis) for every group with state or provincial support on `date`
    (percent: Decimal, total support of the full contribution; age None: one entry per age band)."""
    return [
        Support(d.group, d.percent, d.basis)
        for d in eligible_support_details(rules, date, province, age)
    ]


def covered_elsewhere_groups(rules: Rules, date: dt.date) -> list[str]:
    """Groups insured through another line (employer, social insurance fund) on `date`."""
    return [
        g
        for order, g in enumerate(rules.groups)
        if (c := candidate(g, order, None, date, rules.national, ())) and c.line == LINE_COVERED
    ]


def age_sensitive_groups(rules: Rules, date: dt.date, province: str | None) -> frozenset[str]:
    """Groups whose support on `date` depends on age (an age band in some rule in force): never
    assume an age for a member of one of these (policy reference §8.7)."""
    found: set[str] = set()
    for rule in (*rules.national, *rules.provincial(province, date)):
        banded = rule.min_age is not None or rule.max_age is not None
        if banded and not rule.by_age and rule.timeline.at(date) is not None:
            found.update(rule.groups)
    return frozenset(found)


def facts(rules: Rules, topic: str, date: dt.date) -> tuple[FactItem, ...]:
    """The dated statements of a non-price answer in force on `date` (facts/<topic>.yaml)."""
    return rules.facts[topic].at(date)


def known_provinces(rules: Rules) -> list[str]:
    """Slugs of provinces that have a parameter file (provincial top-ups), sorted."""
    return sorted(rules.provinces)


def province_slugs(rules: Rules) -> dict[str, str]:
    """Every valid province slug (34 since 2025-07-01) with its official name."""
    return dict(rules.province_names)
