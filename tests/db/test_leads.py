import threading
from datetime import date, timedelta

import pytest
from dbtest_helpers import agent, commune, person
from sqlalchemy import select, update

from db.errors import InvalidTransition, PermissionDenied
from db.leads import (
    agent_stats,
    agents_for_commune,
    can_see_lead,
    claim_lead,
    create_or_update_lead,
    open_leads_for_agent,
    record_outcome,
    release_lead,
    unclaimed_leads_for_agent,
)
from db.models import Commune, Lead, LeadEvent, Province, utcnow

AQ = "Phường Ái Quốc, Hải Phòng"


def _lead(s, pid, cid, **kw):  # type: ignore[no-untyped-def]
    return create_or_update_lead(
        s, pid, cid, {"members": 3}, {"lines": []}, 1_366_200, "0912345678", **kw
    )


def test_dedup_window(db) -> None:  # type: ignore[no-untyped-def]
    with db.tx() as s:
        cid = commune(s, AQ).id
        pid = person(s, 1)
        lead, created = _lead(s, pid, cid)
        assert created
        again, created2 = create_or_update_lead(s, pid, cid, {"members": 4}, None, 2_000_000, None)
        assert not created2 and again.id == lead.id
        assert again.household == {"members": 4} and again.quote_total_vnd == 2_000_000
        assert again.phone == "0912345678"  # a missing phone does not erase the known one
        later, created3 = _lead(s, pid, cid, now=utcnow() + timedelta(hours=25))
        assert created3 and later.id != lead.id
        narrow, created4 = _lead(
            s, pid, cid, window=timedelta(0), now=utcnow() + timedelta(hours=26)
        )
        assert created4 and narrow.id not in (lead.id, later.id)


def test_closed_lead_is_not_reused(db) -> None:  # type: ignore[no-untyped-def]
    with db.tx() as s:
        cid = commune(s, AQ).id
        pid, aid = person(s, 1), agent(s, 2, cid)
        lead, _ = _lead(s, pid, cid)
        assert claim_lead(s, lead.id, aid)
        record_outcome(s, lead.id, aid, "declined")
        other, created = _lead(s, pid, cid)
        assert created and other.id != lead.id


def test_visibility_and_claim_permissions(db) -> None:  # type: ignore[no-untyped-def]
    with db.tx() as s:
        cid = commune(s, AQ).id
        other = commune(s, "Xã An Lão, Gia Lai").id
        citizen = person(s, 1)
        mine, theirs = agent(s, 2, cid), agent(s, 3, other)
        lead, _ = _lead(s, citizen, cid)
        assert can_see_lead(s, mine, lead)
        assert can_see_lead(s, citizen, lead)
        assert not can_see_lead(s, theirs, lead)
        with pytest.raises(PermissionDenied):
            claim_lead(s, lead.id, theirs)
        with pytest.raises(PermissionDenied):
            claim_lead(s, lead.id, citizen)
        assert agents_for_commune(s, cid) == [mine]
        assert [x.id for x in unclaimed_leads_for_agent(s, mine)] == [lead.id]
        assert unclaimed_leads_for_agent(s, theirs) == []


def test_concurrent_claims_leave_exactly_one_owner(db) -> None:  # type: ignore[no-untyped-def]
    n = 8
    with db.tx() as s:
        cid = commune(s, AQ).id
        agents = [agent(s, 100 + i, cid) for i in range(n)]
        lead_id = _lead(s, person(s, 1), cid)[0].id
    barrier = threading.Barrier(n)
    results: dict[int, bool] = {}
    errors: list[BaseException] = []

    def worker(aid: int) -> None:
        try:
            with db.factory() as s, s.begin():  # a real session and connection per thread
                barrier.wait()
                results[aid] = claim_lead(s, lead_id, aid)
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(a,)) for a in agents]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    winners = [a for a, won in results.items() if won]
    assert len(results) == n and len(winners) == 1
    with db.tx() as s:
        lead = s.get(Lead, lead_id)
        assert lead.owner_id == winners[0] and lead.status == "claimed"
        claims = s.scalars(
            select(LeadEvent).where(LeadEvent.lead_id == lead_id, LeadEvent.to_status == "claimed")
        ).all()
        assert [e.actor_id for e in claims] == winners


def test_release_and_reclaim(db) -> None:  # type: ignore[no-untyped-def]
    with db.tx() as s:
        cid = commune(s, AQ).id
        a1, a2 = agent(s, 2, cid), agent(s, 3, cid)
        lead, _ = _lead(s, person(s, 1), cid)
        assert claim_lead(s, lead.id, a1)
        assert not claim_lead(s, lead.id, a2)
        assert not release_lead(s, lead.id, a2)  # not the owner
        assert release_lead(s, lead.id, a1, "on leave")
        assert claim_lead(s, lead.id, a2)
        s.refresh(lead)
        assert lead.owner_id == a2


def test_transitions_enforced(db) -> None:  # type: ignore[no-untyped-def]
    with db.tx() as s:
        cid = commune(s, AQ).id
        a1, a2 = agent(s, 2, cid), agent(s, 3, cid)
        lead, _ = _lead(s, person(s, 1), cid)
        with pytest.raises(PermissionDenied):
            record_outcome(s, lead.id, a1, "contacted")  # not claimed yet
        assert claim_lead(s, lead.id, a1)
        with pytest.raises(PermissionDenied):
            record_outcome(s, lead.id, a2, "contacted")
        with pytest.raises(InvalidTransition):
            record_outcome(s, lead.id, a1, "new")
        record_outcome(s, lead.id, a1, "unreachable")
        record_outcome(s, lead.id, a1, "contacted", note="called back")
        with pytest.raises(InvalidTransition):
            record_outcome(s, lead.id, a1, "enrolled")  # needs a card count
        record_outcome(s, lead.id, a1, "enrolled", cards_enrolled=3)
        with pytest.raises(InvalidTransition):
            record_outcome(s, lead.id, a1, "declined")  # final
        history = s.execute(
            select(LeadEvent.from_status, LeadEvent.to_status)
            .where(LeadEvent.lead_id == lead.id)
            .order_by(LeadEvent.id)
        ).all()
        assert [tuple(h) for h in history] == [
            (None, "new"),
            ("new", "claimed"),
            ("claimed", "unreachable"),
            ("unreachable", "contacted"),
            ("contacted", "enrolled"),
        ]


def test_open_leads_oldest_first(db) -> None:  # type: ignore[no-untyped-def]
    with db.tx() as s:
        cid = commune(s, AQ).id
        aid = agent(s, 2, cid)
        now = utcnow()
        ids = []
        for i, age in enumerate((1, 5, 3)):
            lead, _ = _lead(s, person(s, 10 + i), cid, now=now - timedelta(hours=age))
            assert claim_lead(s, lead.id, aid)
            ids.append((age, lead.id))
        done, _ = _lead(s, person(s, 20), cid)
        claim_lead(s, done.id, aid)
        record_outcome(s, done.id, aid, "declined")
        got = [x.id for x in open_leads_for_agent(s, aid)]
        assert got == [i for _, i in sorted(ids, reverse=True)]


def test_agent_stats_and_bonus_per_area(db) -> None:  # type: ignore[no-untyped-def]
    with db.tx() as s:
        aq = commune(s, AQ)
        al = commune(s, "Xã An Lão, Hải Phòng")
        gl = commune(s, "Xã An Lão, Gia Lai")
        aid = agent(s, 2, aq.id)
        from db.people import grant_role

        grant_role(s, aid, "agent", al.id)
        grant_role(s, aid, "agent", gl.id)
        s.execute(update(Commune).where(Commune.id == aq.id).values(bonus_per_card_vnd=30_000))
        s.execute(
            update(Province).where(Province.slug == "hai_phong").values(bonus_per_card_vnd=25_000)
        )
        for i, (c, cards) in enumerate(((aq, 2), (al, 1), (gl, 4))):
            lead, _ = _lead(s, person(s, 10 + i), c.id)
            assert claim_lead(s, lead.id, aid)
            record_outcome(s, lead.id, aid, "enrolled", cards_enrolled=cards)
        lead, _ = _lead(s, person(s, 30), aq.id)
        claim_lead(s, lead.id, aid)
        record_outcome(s, lead.id, aid, "declined")
        today = date.today()
        st = agent_stats(s, aid, today - timedelta(days=1), today + timedelta(days=1))
        assert (st.claimed, st.enrolled, st.declined, st.cards) == (4, 3, 1, 7)
        # commune override 30k, province override 25k, default 20k
        assert st.bonus_vnd == 2 * 30_000 + 1 * 25_000 + 4 * 20_000
        empty = agent_stats(s, aid, today - timedelta(days=30), today - timedelta(days=29))
        assert (empty.cards, empty.bonus_vnd, empty.claimed) == (0, 0, 0)
