"""Typed values shared by the loader, the engine and the renderers (no behaviour, no I/O)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

# Payers of a share; province top-ups use PROVINCE, national support uses STATE.
STATE = "state"
PROVINCE = "province"

# Lines a member can be priced on.
LINE_HOUSEHOLD = "household"
LINE_FREE = "free_group"
LINE_SUPPORTED = "supported_group"
LINE_COVERED = "covered_elsewhere"

KIND_SUPPORT = "support"
KIND_COVERED = "covered_elsewhere"


@dataclass(frozen=True)
class Dated:
    """One dated row of a parameter: value, legal reference, where it was read from."""

    start: dt.date
    end: dt.date | None
    value: Any
    reference: str
    source: str  # "file: key" for errors and explanations
    unconfirmed: bool = False
    note: str | None = None

    def covers(self, day: dt.date) -> bool:
        return self.start <= day and (self.end is None or day <= self.end)


@dataclass(frozen=True)
class Timeline:
    """Sorted, non-overlapping dated rows; a row's end defaults to the day before the next start."""

    name: str
    rows: tuple[Dated, ...]

    def at(self, day: dt.date) -> Dated | None:
        found = None
        for row in self.rows:
            if row.start > day:
                break
            found = row
        return found if found is not None and found.covers(day) else None

    @property
    def last(self) -> Dated:
        return self.rows[-1]


@dataclass(frozen=True)
class GroupRule:
    id: str
    title: str
    kind: str
    payer: str
    groups: frozenset[str]
    timeline: Timeline
    by_age: bool = False
    min_age: int | None = None
    max_age: int | None = None
    # A free card that needs the person to apply first (social pension, disability allowance):
    # where and how, as a catalog msgid. None: the card follows from the status alone.
    application: str | None = None
    # A member who also belongs to one of these does not qualify (the social pension is for
    # people without a pension or a job that insures them).
    excludes: frozenset[str] = frozenset()

    def fits_age(self, age: int | None) -> bool:
        if age is None:
            return True
        low_ok = self.min_age is None or age >= self.min_age
        return low_ok and (self.max_age is None or age <= self.max_age)

    def applies(self, group: str, age: int | None, others: frozenset[str] = frozenset()) -> bool:
        """`others`: all the member's groups, checked against `excludes`."""
        return group in self.groups and self.fits_age(age) and not (others & self.excludes)


@dataclass(frozen=True)
class ProvinceRules:
    slug: str
    name: str  # official name, for the provinces table
    rules: tuple[GroupRule, ...]
    not_modelled: Timeline | None = None
    sources: tuple[str, ...] = ()  # documents the file was built from (README table)


@dataclass(frozen=True)
class Question:
    """A question whose answer may change what a member pays (questions.yaml).

    It is open for a member when the member fits `when` and pricing the member as the probe
    describes (extra groups, another age) changes the household's total or the member's line."""

    id: str
    text: str  # catalog msgid, asked of the citizen
    groups_any: frozenset[str] = frozenset()  # member has one of these (empty: any)
    groups_none: frozenset[str] = frozenset()  # member has none of these
    min_age: int | None = None
    max_age: int | None = None
    until_month_day: tuple[int, int] | None = None  # only on dates up to this (month, day)
    add_groups: tuple[str, ...] = ()
    drop_groups: tuple[str, ...] = ()
    probe_age: int | None = None
    reference: str = ""
    # The two answers, when plain "Có"/"Không" would mislead (catalog msgids): the one that prices
    # the member as the probe, and the other, which may give groups (no_pension → pensioner).
    probe_label: str | None = None
    other_label: str | None = None
    other_groups: tuple[str, ...] = ()

    def fits(self, member: Member, day: dt.date) -> bool:
        groups = set(member.groups)
        if self.groups_any and not groups & self.groups_any:
            return False
        if groups & self.groups_none:
            return False
        if self.min_age is not None and member.age < self.min_age:
            return False
        if self.max_age is not None and member.age > self.max_age:
            return False
        return self.until_month_day is None or (day.month, day.day) <= self.until_month_day

    def probe(self, member: Member) -> Member:
        kept = [g for g in member.groups if g not in self.drop_groups]
        groups = tuple(dict.fromkeys([*kept, *self.add_groups]))
        age = member.age if self.probe_age is None else self.probe_age
        return Member(age=age, groups=groups)


@dataclass(frozen=True)
class FactItem:
    """One dated statement of a non-price answer (benefits, card validity, documents, where)."""

    id: str
    text: str  # catalog msgid
    row: Dated  # dates, reference, unconfirmed note


@dataclass(frozen=True)
class FactTopic:
    topic: str
    title: str  # catalog msgid
    items: tuple[FactItem, ...]

    def at(self, day: dt.date) -> tuple[FactItem, ...]:
        return tuple(i for i in self.items if i.row.covers(day))


@dataclass(frozen=True)
class Limits:
    max_members: int
    max_age: int


@dataclass(frozen=True)
class Rules:
    groups: tuple[str, ...]  # canonical ids, in the order of groups.yaml
    base_salary: Timeline
    rate: Timeline
    ladder: Timeline
    periods: Timeline
    national: tuple[GroupRule, ...]
    provinces: dict[str, ProvinceRules]
    province_names: dict[str, str]  # every valid slug -> official name
    limits: Limits
    questions: tuple[Question, ...] = ()
    facts: dict[str, FactTopic] = field(default_factory=dict)

    def provincial(self, province: str | None, day: dt.date) -> tuple[GroupRule, ...]:
        """The province's rules usable on `day`: none without a file or while its rules on that
        day are not modelled (then only national rules apply)."""
        prov = self.provinces.get(province) if province else None
        if prov is None or (prov.not_modelled and prov.not_modelled.at(day)):
            return ()
        return prov.rules


@dataclass(frozen=True)
class Member:
    age: int
    groups: tuple[str, ...] = ()


@dataclass(frozen=True)
class QuoteRequest:
    date: dt.date
    months: int
    members: tuple[Member, ...]
    province: str | None = None


@dataclass(frozen=True)
class Share:
    payer: str
    percent: Decimal
    basis: str
    rule_id: str
    start: dt.date
    unconfirmed: bool = False
    note: str | None = None


@dataclass(frozen=True)
class Message:
    """A translatable message: catalog msgid plus named parameters, rendered per locale."""

    msgid: str
    params: tuple[tuple[str, Any], ...] = ()
    unconfirmed: bool = False

    @property
    def kwargs(self) -> dict[str, Any]:
        return dict(self.params)


@dataclass(frozen=True)
class Alternative:
    group: str
    rule_id: str
    amount_vnd: int
    state_percent: Decimal
    support_percent: Decimal


@dataclass(frozen=True)
class MemberQuote:
    index: int
    age: int
    groups: tuple[str, ...]
    line: str
    amount_vnd: int
    full_vnd: int
    shares: tuple[Share, ...]
    reason: Message
    group: str | None = None
    rank: int | None = None
    ladder_percent: Decimal | None = None
    alternatives: tuple[Alternative, ...] = ()
    notes: tuple[Message, ...] = ()
    rule_id: str | None = None  # the rule applied (None on the household line)
    application: str | None = None  # msgid: the free card needs an application, where to make it
    questions: tuple[Question, ...] = ()  # open questions that could change this member's price

    @property
    def unconfirmed(self) -> bool:
        return any(s.unconfirmed for s in self.shares)


@dataclass(frozen=True)
class Quote:
    request: QuoteRequest
    members: tuple[MemberQuote, ...]
    total_vnd: int
    rules_as_of: dt.date
    base_salary: Dated
    rate: Dated
    ladder: Dated
    monthly_full: Decimal
    province_name: str | None
    notes: tuple[Message, ...] = field(default=())

    @property
    def unconfirmed(self) -> bool:
        return any(n.unconfirmed for n in self.notes) or any(m.unconfirmed for m in self.members)
