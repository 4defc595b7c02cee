"""Ask before assuming (policy reference §8.2, §8.6, §8.7): which question to put next about a
household before quoting it. Pure: the questions and what they change come from `policies`;
a question is asked only when its answer would change the price."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import policies
from bot.citizen.facts import DEFAULT_AGE, Household, Member

AGE = "age"
OLDER = "older"  # household level: is one of the people of unknown age old enough to matter?
TOTAL = "total"  # household level: the total said is below the people we counted
# Ages tried for a member of unknown age, by kin: an older relative may get the social pension or
# a provincial elderly line; a child may be under 6. Unknown kin: both.
OLD_PROBES = (62, 67, 72, 77, 82)
YOUNG_PROBES = (3,)
KIN_PROBES = {
    "grandparent": OLD_PROBES,
    "parent": OLD_PROBES,
    "child": YOUNG_PROBES,
    "grandchild": YOUNG_PROBES,
    "self": OLD_PROBES,
    "spouse": OLD_PROBES,
    "sibling": OLD_PROBES,
}
# Policy questions the bot puts as buttons; the others stay as notes under the quote.
ASKED_QUESTIONS = ("disability_severity", "in_school", "no_pension")
MAX_QUESTIONS = 6  # per household: past this, quote with what we know and say what is open


@dataclass(frozen=True)
class Ask:
    index: int  # member index in Household.members (-1: the household)
    kind: str  # AGE, OLDER or a question id from policies/parameters/questions.yaml
    question: policies.Question | None = None
    threshold: int | None = None  # OLDER: the age from which the answer changes

    @property
    def key(self) -> str:
        """What a button must carry to answer this question (stale buttons are refused)."""
        return f"{self.index}:{self.kind}"


def next_question(rules: policies.Rules, hh: Household, today: date) -> Ask | None:
    """The first thing we still need to ask to quote this household without guessing."""
    if sum(len(m.asked) for m in hh.members) + len(hh.asked) >= MAX_QUESTIONS:
        return None
    if not hh.can_quote():
        return None
    if hh.said_total is not None and TOTAL not in hh.asked:
        return Ask(-1, TOTAL, threshold=hh.said_total)
    base = _quote(rules, hh, today)
    for i, m in enumerate(hh.members):
        if m.age is None and AGE not in m.asked and _age_matters(rules, hh, i, base, today):
            return Ask(i, AGE)
    if OLDER not in hh.asked and hh.unknown_members():
        threshold = _older_threshold(rules, hh, today)
        if threshold is not None:
            return Ask(-1, OLDER, threshold=threshold)
    for i, (m, mq) in enumerate(zip(hh.members, base.members, strict=False)):
        if m.age is None:  # its questions depend on an age we were not given
            continue
        for question in mq.questions:
            settled = question.id in m.asked or question.id in m.fixed
            if question.id in ASKED_QUESTIONS and not settled:
                return Ask(i, question.id, question)
    return None


def _quote(
    rules: policies.Rules,
    hh: Household,
    today: date,
    index: int | None = None,
    age: int | None = None,
) -> policies.Quote:
    """The household's quote (with open questions); with `index`, priced with that age."""
    request = hh.quote_request(today)
    if index is None:
        return policies.quote(policies.parse_request(request, rules), rules)
    request["members"][index]["age"] = age
    return policies.price(policies.parse_request(request, rules), rules)


def _age_matters(
    rules: policies.Rules, hh: Household, index: int, base: policies.Quote, today: date
) -> bool:
    m: Member = hh.members[index]
    probes = KIN_PROBES.get(m.relation or "", (*YOUNG_PROBES, *OLD_PROBES))
    if "student" in m.groups:
        probes = tuple(a for a in probes if a >= 6)
    priced = base.members[index]
    for age in probes:
        other = _quote(rules, hh, today, index, age).members[index]
        if (other.amount_vnd, other.line) != (priced.amount_vnd, priced.line):
            return True
    return False


def _older_threshold(rules: policies.Rules, hh: Household, today: date) -> int | None:
    """The lowest age from which a person of the household's status pays differently from an
    adult of DEFAULT_AGE (near-poor: 70, the social pension), or None."""
    shared = [g for g in hh.household_groups if g != "household"]
    if not shared:
        return None

    def amount(age: int) -> tuple[int, str]:
        req = hh.one_person_request(today, age, shared)
        m = policies.price(policies.parse_request(req, rules), rules).members[0]
        return m.amount_vnd, m.line

    adult = amount(DEFAULT_AGE)
    in_force = (*rules.national, *rules.provincial(hh.province_slug, today))
    edges = sorted(
        {r.min_age for r in in_force if r.min_age and r.min_age > DEFAULT_AGE}
        | {r.max_age + 1 for r in in_force if r.max_age and r.max_age >= DEFAULT_AGE}
    )
    return next((a for a in edges if amount(a) != adult), None)


def answer_age(hh: Household, index: int, age: int) -> None:
    m = hh.members[index]
    m.age = age
    if AGE not in m.asked:
        m.asked.append(AGE)
    hh.rev += 1


def skip_age(hh: Household, index: int) -> None:
    hh.members[index].asked.append(AGE)


def answer_total(hh: Household, keep_counted: bool) -> None:
    """The person says which count is right; with the smaller one they remove who we counted
    twice (the fix menu), since we cannot tell which of the people named is the extra."""
    hh.asked.append(TOTAL)
    if keep_counted:
        hh.said_total = None


def answer_older(hh: Household, yes: bool) -> int | None:
    """Yes: one of the unknown people is that old: a member to ask the age of (its index)."""
    hh.asked.append(OLDER)
    return hh.add_member() if yes else None


def answer_question(hh: Household, index: int, question: policies.Question, yes: bool) -> None:
    """Record the answer; a yes prices the member as the question's probe describes."""
    m = hh.members[index]
    m.asked.append(question.id)
    if yes and m.age is not None:
        probe = question.probe(policies.Member(age=m.age, groups=tuple(m.groups)))
        m.groups = list(probe.groups)
    elif not yes and question.other_groups:
        m.groups = list(dict.fromkeys([*m.groups, *question.other_groups]))
    hh.rev += 1


def questions_settled_by(rules: policies.Rules, group: str) -> list[str]:
    """Questions a person settles by setting `group` themselves (a fix button)."""
    return [q.id for q in rules.questions if group in q.add_groups or group in q.other_groups]


def find_question(rules: policies.Rules, question_id: str) -> policies.Question | None:
    return next((q for q in rules.questions if q.id == question_id), None)
