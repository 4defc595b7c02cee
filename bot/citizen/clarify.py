"""Ask before assuming (policy reference §8.2, §8.6, §8.7): which question to put next about a
household before quoting it. Pure: the questions and what they change come from `policies`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import policies
from bot.citizen.facts import Household, Member

AGE = "age"
# Kin whose age decides their support (older people): ask rather than price them as adults.
ELDERLY_KIN = frozenset({"grandparent"})
# Policy questions the bot puts as yes/no buttons; the others stay as notes under the quote.
ASKED_QUESTIONS = ("disability_severity", "in_school", "no_pension")
MAX_QUESTIONS = 6  # per household: past this, quote with what we know and say what is open


@dataclass(frozen=True)
class Ask:
    index: int  # member index in Household.members
    kind: str  # AGE or a question id from policies/parameters/questions.yaml
    question: policies.Question | None = None


def next_question(rules, hh: Household, today: date) -> Ask | None:
    """The first thing we still need to ask to quote this household without guessing."""
    if sum(len(m.asked) for m in hh.members) >= MAX_QUESTIONS:
        return None
    sensitive = policies.age_sensitive_groups(rules, today, hh.province_slug)
    shared = set(hh.household_groups)
    for i, m in enumerate(hh.members):
        if m.age is None and AGE not in m.asked and _age_matters(m, shared, sensitive):
            return Ask(i, AGE)
    if not hh.can_quote():
        return None
    request = policies.parse_request(hh.quote_request(today), rules)
    q = policies.quote(request, rules)
    for i, (m, mq) in enumerate(zip(hh.members, q.members, strict=False)):
        if m.age is None:  # its questions depend on an age we were not given
            continue
        for question in mq.questions:
            if question.id in ASKED_QUESTIONS and question.id not in m.asked:
                return Ask(i, question.id, question)
    return None


def _age_matters(m: Member, shared: set[str], sensitive: frozenset[str]) -> bool:
    return bool((set(m.groups) | shared) & sensitive) or m.relation in ELDERLY_KIN


def answer_age(hh: Household, index: int, age: int) -> None:
    m = hh.members[index]
    m.age = age
    m.asked.append(AGE)


def answer_question(hh: Household, index: int, question: policies.Question, yes: bool) -> None:
    """Record the answer; a yes prices the member as the question's probe describes."""
    m = hh.members[index]
    m.asked.append(question.id)
    if yes and m.age is not None:
        probe = question.probe(policies.Member(age=m.age, groups=tuple(m.groups)))
        m.groups = list(probe.groups)


def find_question(rules, question_id: str) -> policies.Question | None:
    return next((q for q in rules.questions if q.id == question_id), None)
