"""The contribution engine: pure functions from (request, rules) to a Quote. No I/O here.

Money: the monthly amount is computed exactly in Decimal, rounded half up to the whole đồng once
per month, then multiplied by the months, so 12 months is exactly 2 x 6 and 4 x 3 months.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, replace
from decimal import ROUND_HALF_UP, Decimal

from . import messages as M
from .model import (
    KIND_COVERED,
    LINE_COVERED,
    LINE_FREE,
    LINE_HOUSEHOLD,
    LINE_SUPPORTED,
    STATE,
    Alternative,
    Dated,
    GroupRule,
    Member,
    MemberQuote,
    Message,
    ProvinceRules,
    Question,
    Quote,
    QuoteRequest,
    Rules,
    Share,
)
from .request import validate_request

HUNDRED = Decimal(100)
WHOLE_DONG = Decimal(1)


def round_vnd(amount: Decimal) -> int:
    """Whole đồng, half up (policy reference §2)."""
    return int(amount.quantize(WHOLE_DONG, rounding=ROUND_HALF_UP))


def part_of(monthly_full: Decimal, percent: Decimal, months: int) -> int:
    """`percent` of the monthly full amount, rounded per month, times the months."""
    return round_vnd(monthly_full * percent / HUNDRED) * months


def is_inexact(monthly_full: Decimal, percent: Decimal) -> bool:
    exact = monthly_full * percent / HUNDRED
    return exact != exact.to_integral_value()


@dataclass(frozen=True)
class _Match:
    rule: GroupRule
    row: Dated


@dataclass(frozen=True)
class _Candidate:
    group: str
    order: int
    line: str
    rule: GroupRule
    shares: tuple[Share, ...]
    support: Decimal
    capped_from: Decimal | None

    @property
    def state_percent(self) -> Decimal:
        return sum((s.percent for s in self.shares if s.payer == STATE), Decimal(0))


def _share(match: _Match, percent: Decimal) -> Share:
    return Share(
        payer=match.rule.payer,
        percent=percent,
        basis=match.row.reference,
        rule_id=match.rule.id,
        start=match.row.start,
        unconfirmed=match.row.unconfirmed,
        note=match.row.note,
    )


def best_match(
    rules: Iterable[GroupRule],
    group: str,
    age: int | None,
    day: dt.date,
    others: frozenset[str] = frozenset(),
) -> _Match | None:
    """The rule for `group` paying the most on `day` (first in data order on a tie);
    `others` are all the member's groups (a rule may exclude some)."""
    best: _Match | None = None
    for rule in rules:
        row = rule.timeline.at(day) if rule.applies(group, age, others) else None
        if row is not None and (best is None or row.value > best.row.value):
            best = _Match(rule, row)
    return best


def effective_groups(member: Member, rules: Iterable[GroupRule]) -> tuple[str, ...]:
    """The member's groups in request order, plus groups that apply by age alone."""
    groups = list(dict.fromkeys(member.groups))
    for rule in rules:
        if rule.by_age and rule.fits_age(member.age):
            groups.extend(sorted(g for g in rule.groups if g not in groups))
    return tuple(groups)


def candidate(
    group: str,
    order: int,
    age: int | None,
    day: dt.date,
    national: tuple[GroupRule, ...],
    provincial: tuple[GroupRule, ...],
    others: frozenset[str] = frozenset(),
) -> _Candidate | None:
    """The line `group` gives this person on `day`, or None if it gives no support."""
    nat = best_match(national, group, age, day, others)
    if nat is not None and nat.rule.kind == KIND_COVERED:
        share = _share(nat, nat.row.value)
        return _Candidate(group, order, LINE_COVERED, nat.rule, (share,), HUNDRED, None)
    prov = best_match(provincial, group, age, day, others)
    state = nat.row.value if nat else Decimal(0)
    wanted = prov.row.value if prov else Decimal(0)
    top_up = min(wanted, HUNDRED - state)
    support = state + top_up
    if support <= 0:
        return None
    shares = tuple(
        _share(m, p) for m, p in ((nat, state), (prov, top_up)) if m is not None and p > 0
    )
    line = LINE_FREE if support >= HUNDRED else LINE_SUPPORTED
    rule = nat.rule if nat is not None and state > 0 else prov.rule  # type: ignore[union-attr]
    capped = wanted if top_up < wanted else None
    return _Candidate(group, order, line, rule, shares, support, capped)


def _amount(c: _Candidate, monthly_full: Decimal, months: int) -> int:
    if c.line == LINE_COVERED:
        return 0
    return part_of(monthly_full, HUNDRED - c.support, months)


def choose(cands: list[_Candidate], monthly_full: Decimal, months: int) -> _Candidate:
    """One card, the highest benefit: lowest amount, then largest state share, then most support."""
    return min(
        cands,
        key=lambda c: (_amount(c, monthly_full, months), -c.state_percent, -c.support, c.order),
    )


def _group_notes(
    group: str, age: int, national: tuple[GroupRule, ...], provincial: tuple[GroupRule, ...]
) -> Message | None:
    if group == "household":
        return None
    named = any(group in r.groups for r in (*national, *provincial))
    if named:
        return Message(M.NOTE_GROUP_NOT_APPLICABLE, (("group", group), ("age", age)))
    return Message(M.NOTE_GROUP_NO_RULE, (("group", group),))


def _supported_member(
    index: int,
    member: Member,
    chosen: _Candidate,
    cands: list[_Candidate],
    notes: list[Message],
    monthly_full: Decimal,
    months: int,
) -> MemberQuote:
    amount = _amount(chosen, monthly_full, months)
    title = ("rule_title", chosen.rule.title)
    if chosen.line == LINE_COVERED:
        reason = Message(M.REASON_COVERED, (title, ("payer", chosen.rule.payer)))
    elif chosen.line == LINE_FREE:
        reason = Message(M.REASON_FREE, (title,))
    else:
        reason = Message(M.REASON_SUPPORTED, (title, ("support_percent", chosen.support)))
    extra = list(notes)
    application = chosen.rule.application if chosen.line == LINE_FREE else None
    if application:
        extra.append(Message(M.NOTE_APPLICATION, (("application", application),)))
    if len(cands) > 1:
        extra.append(Message(M.NOTE_BEST_OF, (("count", len(cands)),)))
    if chosen.capped_from is not None:
        prov = HUNDRED - chosen.state_percent
        extra.append(Message(M.NOTE_CAPPED, (("province_percent", prov),)))
    alternatives = tuple(
        Alternative(
            c.group, c.rule.id, _amount(c, monthly_full, months), c.state_percent, c.support
        )
        for c in cands
    )
    return MemberQuote(
        index=index,
        age=member.age,
        groups=member.groups,
        line=chosen.line,
        amount_vnd=amount,
        full_vnd=part_of(monthly_full, HUNDRED, months),
        shares=chosen.shares,
        reason=reason,
        group=chosen.group,
        alternatives=alternatives,
        notes=tuple(extra),
        rule_id=chosen.rule.id,
        application=application,
    )


def _household_member(
    index: int,
    member: Member,
    rank: int,
    ladder: tuple[Decimal, ...],
    notes: list[Message],
    monthly_full: Decimal,
    months: int,
) -> MemberQuote:
    percent = ladder[min(rank, len(ladder)) - 1]
    return MemberQuote(
        index=index,
        age=member.age,
        groups=member.groups,
        line=LINE_HOUSEHOLD,
        amount_vnd=part_of(monthly_full, percent, months),
        full_vnd=part_of(monthly_full, HUNDRED, months),
        shares=(),
        reason=Message(M.REASON_HOUSEHOLD, (("rank", rank), ("ladder_percent", percent))),
        group="household",
        rank=rank,
        ladder_percent=percent,
        notes=tuple(notes),
    )


def _province_context(
    rules: Rules, slug: str | None, day: dt.date
) -> tuple[ProvinceRules | None, list[Message]]:
    """The provincial rules usable on `day` and the note saying what was (not) applied."""
    if slug is None:
        return None, [Message(M.NOTE_NO_PROVINCE)]
    province = rules.provinces.get(slug)
    name = ("province", rules.province_names[slug])
    if province is None:
        return None, [Message(M.NOTE_PROVINCE_NO_FILE, (name,))]
    gap = province.not_modelled.at(day) if province.not_modelled else None
    if gap is not None:
        msg = Message(M.NOTE_PROVINCE_NOT_MODELLED, (name, ("reference", gap.reference)))
        return None, [msg, *_unconfirmed_notes([gap])]
    if not any(r.timeline.at(day) for r in province.rules):
        return None, [Message(M.NOTE_PROVINCE_NO_RULES_ON_DATE, (name,))]
    return province, []


def _unconfirmed_notes(rows: Iterable[Dated | Share]) -> list[Message]:
    seen: dict[tuple[str, str], Message] = {}
    for row in rows:
        basis = row.reference if isinstance(row, Dated) else row.basis
        if row.unconfirmed and (basis, row.note or "") not in seen:
            params = (("reference", basis), ("note", row.note or ""))
            seen[(basis, row.note or "")] = Message(M.NOTE_UNCONFIRMED, params, unconfirmed=True)
    return list(seen.values())


def _price_members(
    request: QuoteRequest,
    rules: Rules,
    province: ProvinceRules | None,
    monthly_full: Decimal,
    ladder: tuple[Decimal, ...],
) -> tuple[MemberQuote, ...]:
    national = rules.national
    provincial = province.rules if province else ()
    day, months = request.date, request.months
    out: list[MemberQuote] = []
    rank = 0
    for index, member in enumerate(request.members):
        cands, notes = [], []
        for order, group in enumerate(effective_groups(member, (*national, *provincial))):
            others = frozenset(member.groups)
            c = candidate(group, order, member.age, day, national, provincial, others)
            if c is not None:
                cands.append(c)
            elif (note := _group_notes(group, member.age, national, provincial)) is not None:
                notes.append(note)
        if cands:
            chosen = choose(cands, monthly_full, months)
            out.append(_supported_member(index, member, chosen, cands, notes, monthly_full, months))
        else:
            rank += 1
            out.append(_household_member(index, member, rank, ladder, notes, monthly_full, months))
    return tuple(out)


def quote(request: QuoteRequest, rules: Rules) -> Quote:
    """Price every member of the request on the line best for them (policy reference §§1-5),
    and name, per member, the questions whose answer would change the price (§8)."""
    validate_request(request, rules)
    priced = _quote(request, rules)
    members = tuple(
        replace(m, questions=open_questions(request, rules, i, priced))
        for i, m in enumerate(priced.members)
    )
    return replace(priced, members=members)


def price(request: QuoteRequest, rules: Rules) -> Quote:
    """Like `quote` without the open questions: the cheap form for trying answers out."""
    validate_request(request, rules)
    return _quote(request, rules)


def open_questions(
    request: QuoteRequest, rules: Rules, index: int, priced: Quote | None = None
) -> tuple[Question, ...]:
    """Questions (questions.yaml) whose answer would change the price of member `index`: the
    member fits the question and the probe changes the household's total or the member's line."""
    priced = priced or _quote(request, rules)
    member, mq = request.members[index], priced.members[index]
    found = []
    for q in rules.questions:
        if not q.fits(member, request.date):
            continue
        members = list(request.members)
        members[index] = q.probe(member)
        probe = _quote(replace(request, members=tuple(members)), rules)
        if probe.total_vnd != priced.total_vnd or probe.members[index].line != mq.line:
            found.append(q)
    return tuple(found)


def _quote(request: QuoteRequest, rules: Rules) -> Quote:
    day = request.date
    base, rate, ladder = (rules.base_salary.at(day), rules.rate.at(day), rules.ladder.at(day))
    assert base is not None and rate is not None and ladder is not None  # validated above
    monthly_full = Decimal(base.value) * rate.value / HUNDRED
    province, notes = _province_context(rules, request.province, day)
    members = _price_members(request, rules, province, monthly_full, ladder.value)
    shares = [s for m in members for s in m.shares]
    if base is rules.base_salary.last:
        params = (("base_vnd", base.value), ("start", base.start), ("reference", base.reference))
        notes.append(Message(M.NOTE_BASE_LATEST, params))
    notes.extend(_unconfirmed_notes([base, rate, ladder, *shares]))
    if any(m.rank is not None and m.rank > 1 for m in members):
        notes.append(Message(M.NOTE_LADDER_SAME_YEAR))
    if _any_rounding(members, monthly_full):
        notes.append(Message(M.NOTE_ROUNDED))
    used = [base.start, rate.start, *(s.start for s in shares)]
    if any(m.rank is not None for m in members):
        used.append(ladder.start)
    return Quote(
        request=request,
        members=members,
        total_vnd=sum(m.amount_vnd for m in members),
        rules_as_of=max(used),
        base_salary=base,
        rate=rate,
        ladder=ladder,
        monthly_full=monthly_full,
        province_name=rules.province_names.get(request.province) if request.province else None,
        notes=tuple(notes),
    )


def _any_rounding(members: tuple[MemberQuote, ...], monthly_full: Decimal) -> bool:
    percents = [HUNDRED]
    for m in members:
        if m.ladder_percent is not None:
            percents.append(m.ladder_percent)
        elif m.line != LINE_COVERED:
            percents.append(HUNDRED - sum((s.percent for s in m.shares), Decimal(0)))
    return any(is_inexact(monthly_full, p) for p in percents)


__all__ = [
    "quote",
    "open_questions",
    "price",
    "round_vnd",
    "part_of",
    "effective_groups",
    "candidate",
    "best_match",
]
