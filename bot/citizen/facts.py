"""What we know about a citizen's household, built up from NLU entities over the conversation.

Pure data and functions: no Telegram, no I/O. Handlers keep a `Household` per chat and ask it
what is still missing and what request to send to the policy engine.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from db.text import normalise as fold  # lower-case, accent-free, đ → d
from nlu.household import HOUSEHOLD_GROUPS as READER_HOUSEHOLD_GROUPS
from nlu.household import HouseholdReading, read_household

# Groups that describe the whole household (or where it lives) rather than one person: the
# reader's, plus the plain household line the NLU may tag.
HOUSEHOLD_GROUPS = READER_HOUSEHOLD_GROUPS | {"household"}
# How a member of unknown age is priced when nothing would change with the age (clarify asks
# when something would).
DEFAULT_AGE = 30
MAX_HOUSEHOLD = 20
MAX_AGE = 120
VALID_MONTHS = (3, 6, 12)
ELDERLY_FROM = 60
# "không có lương hưu", "ko luong huu", "chưa có trợ cấp": said of an older person, it places them
# in elderly_no_pension, which the NLU only tags when the group is named ("người cao tuổi ...").
NO_PENSION = re.compile(r"\b(khong|ko|k|hong|hok|chua)( co| duoc| huong)? (luong huu|tro cap)")


# The NLU drops impossible ages; the person still deserves to hear why their age was not used.
AGE_IN_TEXT = re.compile(r"\b(\d{1,4})\s*(tuoi|t)\b")


@dataclass
class Member:
    age: int | None = None
    groups: list[str] = field(default_factory=list)
    relation: str | None = None
    asked: list[str] = field(default_factory=list)  # questions the bot put to the person
    fixed: list[str] = field(default_factory=list)  # questions the person settled with a fix button

    def to_request(self, default_age: int) -> dict:
        return {"age": self.age if self.age is not None else default_age, "groups": self.groups}


@dataclass
class Household:
    size: int | None = None
    members: list[Member] = field(default_factory=list)
    household_groups: list[str] = field(default_factory=list)
    months: int | None = None
    location_text: str | None = None
    commune_id: int | None = None
    commune_name: str | None = None
    province_slug: str | None = None
    province_name: str | None = None
    phone: str | None = None
    rev: int = 0  # bumped when members change, so buttons about an older household are refused
    said_total: int | None = None  # a total said below the people counted: asked, not guessed
    asked: list[str] = field(default_factory=list)  # household-level questions already put

    # --- merging what a message said -------------------------------------------------------
    def merge(
        self, entities: dict[str, list], today: date, text: str = "", describes: bool = True
    ) -> list[str]:
        """Fold one message's entities in; returns the names of facts that were rejected.
        `describes`: the message may describe the household (a cost or eligibility question, an
        answer); "thủ tục làm thẻ cho trẻ sơ sinh" asks about papers and adds no one."""
        rejected: list[str] = []
        known = len(self.members)
        sizes = [v for v in _ints(entities.get("household_size")) if v is not None]
        if sizes:
            if 1 <= sizes[0] <= MAX_HOUSEHOLD:
                self.size = sizes[0]
            else:
                rejected.append("household_size")
        months = [m for m in _ints(entities.get("months")) if m is not None]
        if months:
            if months[0] in VALID_MONTHS:
                self.months = months[0]
            else:
                rejected.append("months")
        ages = [a for a in _ints(entities.get("age")) if a is not None]
        ages += [
            today.year - y
            for y in _ints(entities.get("birth_year"))
            if y and 1900 < y <= today.year
        ]
        said = [int(m.group(1)) for m in AGE_IN_TEXT.finditer(fold(text))]
        if any(not 0 <= a <= MAX_AGE for a in ages + said):
            rejected.append("age")
            ages = [a for a in ages if 0 <= a <= MAX_AGE]
        groups = [str(g) for g in entities.get("beneficiary_group") or []]
        no_pension = bool(NO_PENSION.search(fold(text)))
        if no_pension:  # the NLU may read "không có lương hưu" as the pensioner group
            groups = [g for g in groups if g != "pensioner"]
        relations = [str(r) for r in entities.get("relation") or []]
        reading = read_household(text, today) if text and describes else None
        if reading is not None and reading.described and "age" not in rejected:
            rejected += [r for r in self._read(reading, groups) if r not in rejected]
            known = len(self.members)  # the reader attached statuses itself
        elif describes:
            self._merge_people(ages, groups, relations)
        if entities.get("location"):
            # "xã An Lão, Hải Phòng" may come as two entities: the province settles the commune
            parts = list(dict.fromkeys(str(x) for x in entities["location"]))
            self.location_text = ", ".join(parts)
        if entities.get("phone"):
            self.phone = str(entities["phone"][0])
        if no_pension:
            for m in self.members[known:]:
                if m.age is not None and m.age >= ELDERLY_FROM and not m.groups:
                    m.groups.append("elderly_no_pension")
        return rejected

    def _read(self, reading: HouseholdReading, nlu_groups: list[str]) -> list[str]:
        """A household described in words. A description of the household (a total, or two
        people or more) replaces the members we had; one person more is added to it (filling an
        unknown slot or the member of that kin whose age we lacked); a correction ("à không, 5
        người thôi") amends the count. Returns rejected facts."""
        rejected: list[str] = []
        described = [
            Member(age=m.age, groups=list(m.groups), relation=m.kin,
                   fixed=["in_school"] if m.in_school is False else [])
            for m in reading.members
            if m.age is not None or m.kin or m.groups
        ]  # fmt: skip
        for g in [*reading.household_groups, *nlu_groups]:
            if g in HOUSEHOLD_GROUPS and g != "household" and g not in self.household_groups:
                self.household_groups.append(g)
        if reading.months in VALID_MONTHS:
            self.months = reading.months
        total = reading.stated_total
        if total is not None and not 1 <= total <= MAX_HOUSEHOLD:
            rejected.append("household_size")
            total = None
        if len(described) > MAX_HOUSEHOLD:
            return [*rejected, "household_size"]
        self.rev += 1
        if reading.correction:
            for person in described:
                self._amend(person)
            if total is not None:
                self.size = total
                del self.members[total:]
        elif total is not None or len(described) >= 2:
            self.members = described
            self.size = max(total or 0, len(described)) or None  # the people named are trusted
            conflict = total is not None and len(described) > total
            self.said_total = total if conflict else None
        elif described:
            self._add_one(described[0])
        if self.head_count > MAX_HOUSEHOLD:
            del self.members[MAX_HOUSEHOLD:]
            self.size = MAX_HOUSEHOLD
            rejected.append("household_size")
        return rejected

    def _amend(self, said: Member) -> None:
        """A correction about one person ("à nhầm, bé lớn 9 tuổi"): the member of that kin with
        the nearest age takes it; someone not described before is added."""
        same = [m for m in self.members if said.relation and m.relation == said.relation]
        if not same or said.age is None:
            self.members.append(said)
            return
        age: int = said.age
        closest = min(same, key=lambda m: abs((m.age if m.age is not None else age) - age))
        closest.age = age
        closest.groups = list(dict.fromkeys([*closest.groups, *said.groups]))

    def _add_one(self, new: Member) -> None:
        """One more person said about the current household ("mẹ tôi 70 tuổi")."""
        same = next(
            (
                m
                for m in self.members
                if new.relation and m.relation == new.relation and m.age is None
            ),
            None,
        )
        if same is not None and new.age is not None:
            same.age = new.age
            same.groups = list(dict.fromkeys([*same.groups, *new.groups]))
            return
        self.members.append(new)  # fills an unknown slot when there is one, else one more
        if self.size is not None and len(self.members) > self.size:
            self.size = len(self.members)

    def _merge_people(self, ages: list[int], groups: list[str], relations: list[str]) -> None:
        for g in groups:
            if g in HOUSEHOLD_GROUPS and g not in self.household_groups:
                self.household_groups.append(g)
        personal = [g for g in groups if g not in HOUSEHOLD_GROUPS]
        relation = next((r for r in relations if r != "household"), None)
        new: list[Member]
        if len(ages) == 1:
            # One person named: every personal group is theirs ("mẹ 65 tuổi, không lương hưu").
            new = [Member(age=ages[0], groups=personal)]
        elif ages:
            new = [Member(age=a, groups=personal[i : i + 1]) for i, a in enumerate(ages)]
        else:
            # "có 1 em học sinh": a person of that group whose age we don't know yet.
            new = [Member(groups=[g]) for g in personal]
        if new and relation:
            new[0].relation = relation
        self.members.extend(new[: max(0, MAX_HOUSEHOLD - len(self.members))])
        if self.size is not None and len(self.members) > self.size:
            self.size = len(self.members)

    # --- fixes from the summary's buttons (indexes validated by the caller) ---------------------
    def remove_member(self, index: int) -> None:
        del self.members[index]
        if self.size is not None:
            self.size = max(self.size - 1, len(self.members)) or None
        self.rev += 1

    def add_member(self) -> int:
        """A person more: fills an unknown slot ("4 người" with 3 described) before growing."""
        self.members.append(Member())
        self.size = max(self.size or 0, len(self.members))
        self.rev += 1
        return len(self.members) - 1

    def toggle_group(self, index: int, group: str, settles: list[str]) -> None:
        """The person's own fix; `settles`: the questions it answers (never asked again)."""
        m = self.members[index]
        if group in m.groups:
            m.groups.remove(group)
        else:
            m.groups.append(group)
        m.fixed.extend(q for q in settles if q not in m.fixed)
        self.rev += 1

    def drop_household_group(self, group: str) -> None:
        if group in self.household_groups:
            self.household_groups.remove(group)
            self.rev += 1

    # --- what is known -------------------------------------------------------------------------
    @property
    def head_count(self) -> int:
        return max(self.size or 0, len(self.members))

    def can_quote(self) -> bool:
        return self.head_count > 0

    def unknown_members(self) -> int:
        return max(0, (self.size or 0) - len(self.members))

    def assumptions(self) -> list[str]:
        """Keys of the assumptions a quote built now rests on (texts live in the catalog)."""
        out = []
        if self.unknown_members() > 0 or any(m.age is None for m in self.members):
            out.append("adults_household_line")
        if self.months is None:
            out.append("months_12")
        if self.province_slug is None:
            out.append("national_only")
        return out

    def quote_request(self, today: date) -> dict:
        """The request the policy engine reads (same shape as `python -m policies quote`)."""
        members = [m.to_request(default_age=DEFAULT_AGE) for m in self.members]
        members += [{"age": DEFAULT_AGE, "groups": []} for _ in range(self.unknown_members())]
        for m in members:
            m["groups"] = sorted(set(m["groups"]) | set(self.household_groups) - {"household"})
        return {
            "date": today.isoformat(),
            "province": self.province_slug,
            "months": self.months or 12,
            "members": members,
        }

    def one_person_request(self, today: date, age: int, groups: list[str]) -> dict:
        """A year for one person of this household's place (eligibility answers, probes)."""
        person = {"age": age, "groups": groups}
        return {"date": today.isoformat(), "province": self.province_slug, "months": 12,
                "members": [person]}  # fmt: skip

    @classmethod
    def from_dict(cls, data: dict) -> Household:
        """The stored form back (leads keep `to_dict()`); unknown keys are ignored."""
        members = [
            Member(
                age=m.get("age"),
                groups=list(m.get("groups") or []),
                relation=m.get("relation"),
                asked=list(m.get("asked") or []),
                fixed=list(m.get("fixed") or []),
            )
            for m in data.get("members") or []
            if isinstance(m, dict)
        ]
        return cls(
            size=data.get("size"),
            members=members,
            household_groups=list(data.get("household_groups") or []),
            months=data.get("months"),
        )

    def to_dict(self) -> dict:
        return {
            "size": self.size,
            "members": [m.__dict__ for m in self.members],
            "household_groups": self.household_groups,
            "months": self.months,
            "location_text": self.location_text,
            "commune_id": self.commune_id,
            "commune_name": self.commune_name,
            "province_slug": self.province_slug,
            "province_name": self.province_name,
        }


def _ints(values: list | None) -> list[int | None]:
    out: list[int | None] = []
    for v in values or []:
        try:
            out.append(int(str(v).strip()))
        except ValueError:
            out.append(None)
    return out
