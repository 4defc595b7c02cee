"""db.followup: who is told what about a lead, once, driven by the database state."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from db import followup
from db import leads as db_leads
from db import people as db_people
from db import privacy as db_privacy
from db.errors import InvalidTransition, PermissionDenied
from db.followup import Policy
from db.models import LeadNotification, RenewalReminder, utcnow
from db.session import Database

from .conftest import World

AWAKE = Policy(quiet_hours=(0, 0))  # tests must not depend on the hour they run at


def new_lead(w: World, phone: str = "0912345678") -> int:
    with w.tx() as s:
        lead, created = db_leads.create_or_update_lead(
            s, w.lan, w.ai_quoc, {"size": 3, "members": []}, {"total_vnd": 3142260}, 3142260, phone
        )
        assert created
        return lead.id


def offers(w: World, lead_id: int | None = None, now=None):
    with w.tx() as s:
        return followup.pending_offers(s, lead_id, now)


def send_all(w: World, items, first_message_id: int = 100) -> None:
    with w.tx() as s:
        for i, o in enumerate(items):
            followup.mark_sent(s, o.id, first_message_id + i)


def rows(w: World, kind: str | None = None) -> list[LeadNotification]:
    with w.tx() as s:
        stmt = select(LeadNotification).order_by(LeadNotification.id)
        if kind:
            stmt = stmt.where(LeadNotification.kind == kind)
        return list(s.scalars(stmt))


def test_new_lead_is_offered_once_to_each_agent_of_its_commune_only(world: World) -> None:
    lead_id = new_lead(world)
    first = offers(world, lead_id)
    assert sorted(o.chat_id for o in first) == [2001, 2002]  # Hùng, Mai; never Tú (An Lão)
    assert {o.kind for o in first} == {"offer"}
    assert all(o.card.phone is None for o in first)  # nobody sees the phone before claiming
    assert first[0].card.citizen_name == "Lan" and first[0].card.quote_total_vnd == 3142260
    assert offers(world) == []  # the scanner after the hook: nothing left to send
    assert offers(world, lead_id) == []
    assert len(rows(world, "offer")) == 2


def test_a_lead_with_no_agent_goes_to_the_communes_cadres_at_once(world: World) -> None:
    with world.tx() as s:
        db_people.grant_role(s, world.minh, "cadre", world.an_lao)
        db_people.revoke_role(s, world.tu, "agent", world.an_lao)
        lead, _ = db_leads.create_or_update_lead(
            s, world.lan, world.an_lao, None, None, None, "0912345678"
        )
    out = offers(world)
    assert [(o.kind, o.chat_id) for o in out] == [("escalate", 3001)]
    assert out[0].card.phone is None


def test_claim_is_won_once_and_the_others_offers_are_closed_saying_who(world: World) -> None:
    lead_id = new_lead(world)
    sent = offers(world, lead_id)
    send_all(world, sent)
    hung_msg = next(100 + i for i, o in enumerate(sent) if o.chat_id == 2001)
    with world.tx() as s:
        won = followup.claim(s, lead_id, world.hung, 2001, hung_msg)
    assert won.won and won.card.phone == "0912345678" and won.card.owner_name == "Hùng"
    assert won.citizen_notice is not None
    assert won.citizen_notice.kind == "citizen_claimed" and won.citizen_notice.chat_id == 1001
    assert won.citizen_notice.card.owner_name == "Hùng"
    with world.tx() as s:
        lost = followup.claim(s, lead_id, world.mai, 2002, 999)
    assert not lost.won and lost.card.phone is None and lost.card.owner_name == "Hùng"
    with world.tx() as s:
        closings = followup.pending_closes(s)
    # Hùng's pressed message was closed with the claim; only Mai's offer is left to edit.
    assert [(c.chat_id, c.owner_name, c.is_owner) for c in closings] == [(2002, "Hùng", False)]
    with world.tx() as s:
        followup.mark_closed(s, [c.id for c in closings])
        assert followup.pending_closes(s) == []
        # The citizen is told once, even if the scanner looks again.
        assert followup.pending_citizen_notices(s) == []


def test_agent_of_another_commune_can_neither_claim_nor_see(world: World) -> None:
    lead_id = new_lead(world)
    with world.tx() as s, pytest.raises(PermissionDenied):
        followup.claim(s, lead_id, world.tu)
    with world.tx() as s:
        assert followup.lead_detail(s, lead_id, world.tu) is None
        mai_view = followup.lead_detail(s, lead_id, world.mai)
        assert mai_view is not None and mai_view.card.phone is None


def test_concurrent_claims_exactly_one_wins(world: World) -> None:
    lead_id = new_lead(world)
    database = Database(world.db.url)
    try:
        with ThreadPoolExecutor(2) as pool:
            results = list(
                pool.map(
                    lambda a: database.call(followup.claim, lead_id, a), [world.hung, world.mai]
                )
            )
    finally:
        database.dispose()
    assert sorted(r.won for r in results) == [False, True]
    winner = next(r for r in results if r.won)
    assert all(r.card.owner_name == winner.card.owner_name for r in results)


def test_unclaimed_lead_reminds_agents_then_escalates_to_cadres_once(world: World) -> None:
    lead_id = new_lead(world)
    sent = offers(world, lead_id)
    send_all(world, sent)
    t0 = rows(world, "offer")[0].claimed_at
    with world.tx() as s:
        assert followup.due_followups(s, AWAKE, t0 + timedelta(minutes=29)) == ([], [])
    with world.tx() as s:
        followup.skip(s, lead_id, 2002)  # Mai skipped: no reminder for her
        out, _ = followup.due_followups(s, AWAKE, t0 + timedelta(minutes=31))
    assert [(o.kind, o.chat_id) for o in out] == [("remind", 2001)]
    with world.tx() as s:
        assert followup.due_followups(s, AWAKE, t0 + timedelta(minutes=32)) == ([], [])
        out, _ = followup.due_followups(s, AWAKE, t0 + timedelta(minutes=121))
    assert [(o.kind, o.chat_id) for o in out] == [("escalate", 3001)]
    assert out[0].agent_names == ("Hùng", "Mai") and out[0].card.phone is None
    with world.tx() as s:
        assert followup.due_followups(s, AWAKE, t0 + timedelta(hours=5)) == ([], [])


def test_quiet_hours_hold_reminders_but_not_first_offers(world: World) -> None:
    night = datetime(2026, 11, 25, 16, 0, tzinfo=UTC)  # 23:00 in Hà Nội / Hồ Chí Minh
    morning = datetime(2026, 11, 26, 0, 30, tzinfo=UTC)  # 07:30 local
    assert followup.in_quiet_hours(night, (21, 7), "Asia/Ho_Chi_Minh")
    assert not followup.in_quiet_hours(morning, (21, 7), "Asia/Ho_Chi_Minh")
    assert followup.in_quiet_hours(
        datetime(2026, 1, 1, 5, tzinfo=UTC), (12, 14), "Asia/Ho_Chi_Minh"
    )
    assert not followup.in_quiet_hours(night, (7, 7), "Asia/Ho_Chi_Minh")
    lead_id = new_lead(world)
    assert len(offers(world, lead_id, now=night)) == 2  # the first notification goes at night
    with world.tx() as s:
        assert followup.due_followups(s, Policy(), night + timedelta(hours=3)) == ([], [])
        out, _ = followup.due_followups(s, Policy(), morning)
    assert {o.kind for o in out} == {"remind", "escalate"}


def test_claimed_but_untouched_reminds_owner_then_goes_back_to_the_pool(world: World) -> None:
    lead_id = new_lead(world)
    send_all(world, offers(world, lead_id))
    with world.tx() as s:
        assert followup.claim(s, lead_id, world.hung).won
    now = utcnow()
    with world.tx() as s:
        out, released = followup.due_followups(s, AWAKE, now + timedelta(hours=25))
    assert [(o.kind, o.chat_id) for o in out] == [("owner_remind", 2001)]
    assert out[0].card.phone == "0912345678" and released == []
    with world.tx() as s:
        out, released = followup.due_followups(s, AWAKE, now + timedelta(hours=73))
    assert released == [lead_id]
    assert [(o.kind, o.chat_id) for o in out] == [("released", 2001)]
    again = offers(world)  # round 2: both agents hear about it again
    assert sorted(o.chat_id for o in again) == [2001, 2002] and {o.round for o in again} == {2}
    with world.tx() as s:
        closes = followup.pending_closes(s)
    assert {c.status for c in closes} == {"new"}  # round-1 offers are closed as "re-opened"
    with world.tx() as s:
        assert followup.claim(s, lead_id, world.mai).won
        notice = followup.pending_citizen_notices(s)
    assert notice == []  # claim already created Mai's citizen notice; claim returned it


def test_agent_deleting_their_data_puts_the_lead_back_on_offer(world: World) -> None:
    lead_id = new_lead(world)
    send_all(world, offers(world, lead_id))
    with world.tx() as s:
        assert followup.claim(s, lead_id, world.hung).won
        db_privacy.delete_person_data(s, world.hung)  # no release event is written here
    again = offers(world)
    assert [(o.chat_id, o.round) for o in again] == [(2002, 2)]


def test_citizen_deleting_their_data_keeps_notification_rows_anonymous(world: World) -> None:
    lead_id = new_lead(world)
    send_all(world, offers(world, lead_id))
    with world.tx() as s:
        out = followup.claim(s, lead_id, world.hung)
        assert out.citizen_notice is not None
        followup.mark_sent(s, out.citizen_notice.id, 5)
        db_privacy.delete_person_data(s, world.lan)
    citizen_rows = rows(world, "citizen_claimed")
    assert len(citizen_rows) == 1 and citizen_rows[0].person_id is None


def test_a_claimed_message_never_confirmed_is_retried_after_stale_only(world: World) -> None:
    lead_id = new_lead(world)
    first = offers(world, lead_id)  # claimed, "worker crashed" before mark_sent
    assert len(first) == 2
    with world.tx() as s:
        assert followup.retry_stale(s, utcnow() + timedelta(seconds=10)) == []
        again = followup.retry_stale(s, utcnow() + timedelta(minutes=3))
    assert sorted(o.chat_id for o in again) == [2001, 2002]
    with world.tx() as s:
        assert followup.retry_stale(s, utcnow() + timedelta(minutes=3)) == []  # taken again


def test_failed_send_to_a_blocked_agent_is_not_retried(world: World) -> None:
    lead_id = new_lead(world)
    first = offers(world, lead_id)
    with world.tx() as s:
        followup.mark_failed(s, first[0].id, "Forbidden: bot was blocked by the user", True)
        followup.mark_failed(s, first[1].id, "Timed out")
        again = followup.retry_stale(s, utcnow() + timedelta(minutes=3))
    assert [o.id for o in again] == [first[1].id]


def test_outcomes_enrolment_schedules_renewals_and_counts_in_stats(world: World) -> None:
    lead_id = new_lead(world)
    today = date(2026, 11, 25)
    with world.tx() as s:
        assert followup.claim(s, lead_id, world.hung).won
        c = followup.record(s, lead_id, world.hung, "contacted", today=today)
        assert c.status == "contacted"
        with pytest.raises(PermissionDenied):
            followup.record(s, lead_id, world.mai, "declined")
    with world.tx() as s:
        c = followup.record(s, lead_id, world.hung, "enrolled", 4, today=today)
        assert c.cards_enrolled == 4
        due = s.execute(
            select(RenewalReminder.kind, RenewalReminder.due_on).order_by(RenewalReminder.due_on)
        ).all()
    # default: the card runs 12 months from today; reminders a month and a week ahead
    assert due == [("month", date(2027, 10, 26)), ("week", date(2027, 11, 18))]
    with world.tx() as s:
        got = followup.schedule_renewal(s, lead_id, world.hung, date(2027, 5, 31), today)
        assert got == [("month", date(2027, 5, 1)), ("week", date(2027, 5, 24))]
        with pytest.raises(InvalidTransition):
            followup.schedule_renewal(s, lead_id, world.hung, today, today)
    with world.tx() as s:
        assert followup.due_renewals(s, date(2027, 4, 30)) == []
        [r] = followup.due_renewals(s, date(2027, 5, 1))
        assert (r.kind, r.citizen_chat, r.owner_chat, r.cards) == ("month", 1001, 2001, 4)
        followup.mark_renewal_sent(s, r.id)
    with world.tx() as s:
        assert followup.due_renewals(s, date(2027, 5, 2)) == []
        assert [r.kind for r in followup.due_renewals(s, date(2027, 5, 30))] == ["week"]
    with world.tx() as s:
        this, last = followup.monthly_stats(s, world.hung, utcnow().date())
    assert (this.cards, this.bonus_vnd, this.enrolled) == (4, 80_000, 1)
    assert (last.cards, last.bonus_vnd) == (0, 0)


def test_open_leads_and_detail_history(world: World) -> None:
    lead_id = new_lead(world)
    with world.tx() as s:
        followup.claim(s, lead_id, world.hung)
        followup.record(s, lead_id, world.hung, "unreachable", note="máy bận")
    with world.tx() as s:
        [c] = followup.open_leads(s, world.hung)
        assert c.id == lead_id and c.phone == "0912345678"
        d = followup.lead_detail(s, lead_id, world.hung)
    assert d is not None and d.viewer_is_owner
    assert [h.to_status for h in d.history] == ["new", "claimed", "unreachable"]
    assert d.history[-1].note == "máy bận" and d.history[1].actor == "Hùng"


def test_month_helpers() -> None:
    assert followup.add_months(date(2026, 1, 31), 1) == date(2026, 2, 28)
    assert followup.add_months(date(2026, 11, 25), 12) == date(2027, 11, 25)
    assert followup.month_bounds(date(2026, 1, 15)) == (
        date(2025, 12, 1),
        date(2026, 1, 1),
        date(2026, 2, 1),
    )


def test_two_workers_offering_at_once_send_each_offer_once(world: World) -> None:
    new_lead(world)
    database = Database(world.db.url)
    try:
        with ThreadPoolExecutor(4) as pool:
            batches = list(pool.map(lambda _: database.call(followup.pending_offers), range(4)))
    finally:
        database.dispose()
    assert sorted(o.chat_id for batch in batches for o in batch) == [2001, 2002]
