"""The weekly coverage report of a cadre's area, computed from the database (no Telegram).

`compute_report(session, commune_ids, start, end, year)` -> WeeklyReport:
- per commune: the year's target % and the latest insured count (db.coverage.coverage_status),
  the leads funnel of leads created in [start, end): new (all of them), claimed (no longer
  'new': an agent took it, whatever came after), enrolled; and the cards enrolled in the
  period (leads whose 'enrolled' event falls in [start, end), whenever they were created);
- top agents: cards enrolled in the period in these communes, by the agent who recorded it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from db.coverage import coverage_status
from db.leads import bonus_per_card
from db.models import Commune, Lead, LeadEvent, Person


@dataclass(frozen=True)
class CommuneRow:
    commune_id: int
    name: str
    target_percent: Decimal | None
    population: int | None
    insured: int | None
    percent: Decimal | None
    gap_people: int | None  # still to insure to reach the target
    leads_new: int
    leads_claimed: int
    leads_enrolled: int
    cards_period: int


@dataclass(frozen=True)
class AgentRow:
    person_id: int
    name: str
    cards: int
    leads: int
    bonus_vnd: int


@dataclass(frozen=True)
class WeeklyReport:
    start: datetime
    end: datetime
    year: int
    communes: tuple[CommuneRow, ...]
    top_agents: tuple[AgentRow, ...]

    @property
    def population(self) -> int:
        return sum(c.population or 0 for c in self.communes)

    @property
    def insured(self) -> int:
        return sum(c.insured or 0 for c in self.communes)

    @property
    def percent(self) -> Decimal | None:
        if not self.population:
            return None
        return (Decimal(self.insured) * 100 / Decimal(self.population)).quantize(Decimal("0.01"))

    @property
    def target_percent(self) -> Decimal | None:
        """Population-weighted target of the communes that have both a target and a count."""
        rows = [c for c in self.communes if c.target_percent is not None and c.population]
        pop = sum(c.population or 0 for c in rows)
        if not pop:
            return None
        total = sum(
            ((c.target_percent or Decimal(0)) * (c.population or 0) for c in rows), Decimal(0)
        )
        return (total / pop).quantize(Decimal("0.01"))

    @property
    def gap_people(self) -> int:
        return sum(c.gap_people or 0 for c in self.communes)

    @property
    def leads_new(self) -> int:
        return sum(c.leads_new for c in self.communes)

    @property
    def leads_claimed(self) -> int:
        return sum(c.leads_claimed for c in self.communes)

    @property
    def leads_enrolled(self) -> int:
        return sum(c.leads_enrolled for c in self.communes)

    @property
    def cards_period(self) -> int:
        return sum(c.cards_period for c in self.communes)


def compute_report(
    session: Session,
    commune_ids: Iterable[int],
    start: datetime,
    end: datetime,
    year: int | None = None,
    top_n: int = 5,
) -> WeeklyReport:
    ids = sorted(set(commune_ids))
    year = year or end.year
    names = dict(
        session.execute(select(Commune.id, Commune.name).where(Commune.id.in_(ids))).tuples().all()
    )

    funnel = {
        cid: (int(n or 0), int(c or 0), int(e or 0))
        for cid, n, c, e in session.execute(
            select(
                Lead.commune_id,
                func.count(),
                func.sum(case((Lead.status != "new", 1), else_=0)),
                func.sum(case((Lead.status == "enrolled", 1), else_=0)),
            )
            .where(Lead.commune_id.in_(ids), Lead.created_at >= start, Lead.created_at < end)
            .group_by(Lead.commune_id)
        ).all()
    }

    # Leads enrolled in the period (one row per lead even if re-recorded), with the agent.
    enrolled_q = (
        select(
            Lead.id,
            Lead.commune_id,
            Lead.cards_enrolled,
            func.max(LeadEvent.actor_id).label("actor"),
        )
        .join(LeadEvent, LeadEvent.lead_id == Lead.id)
        .where(
            Lead.commune_id.in_(ids),
            Lead.status == "enrolled",
            LeadEvent.to_status == "enrolled",
            LeadEvent.at >= start,
            LeadEvent.at < end,
        )
        .group_by(Lead.id, Lead.commune_id, Lead.cards_enrolled)
    )
    enrolled = session.execute(enrolled_q).all()
    cards: dict[int, int] = {}
    agents: dict[int, list[int]] = {}  # person -> [cards, leads, bonus]
    for _lead_id, cid, n, actor in enrolled:
        cards[cid] = cards.get(cid, 0) + int(n or 0)
        if actor is not None:
            a = agents.setdefault(actor, [0, 0, 0])
            a[0] += int(n or 0)
            a[1] += 1
            a[2] += int(n or 0) * bonus_per_card(session, cid)

    rows = []
    for cid in ids:
        st = coverage_status(session, cid, year)
        new, claimed, enr = funnel.get(cid, (0, 0, 0))
        rows.append(
            CommuneRow(
                cid,
                names.get(cid, str(cid)),
                st.target_percent,
                st.population,
                st.insured,
                st.percent,
                st.gap_people,
                new,
                claimed,
                enr,
                cards.get(cid, 0),
            )
        )

    people = dict(
        session.execute(select(Person.id, Person.first_name).where(Person.id.in_(agents)))
        .tuples()
        .all()
    )
    top = sorted(
        (AgentRow(pid, people.get(pid) or f"#{pid}", c, n, b) for pid, (c, n, b) in agents.items()),
        key=lambda a: (-a.cards, -a.leads, a.name, a.person_id),
    )[:top_n]
    return WeeklyReport(start, end, year, tuple(rows), tuple(top))
