import json
from datetime import timedelta

from dbtest_helpers import agent, commune, person
from sqlalchemy import func, select, update

from db.leads import claim_lead, create_or_update_lead, record_outcome
from db.models import Consent, ConversationTurn, Lead, LeadEvent, Person, Subscription
from db.people import get_person, grant_consent, has_consent, subscribe, withdraw_consent
from db.privacy import (
    correct_person_data,
    delete_person_data,
    export_person_data,
    log_turn,
    purge_old_turns,
)


def _citizen_with_data(s):  # type: ignore[no-untyped-def]
    aq = commune(s, "Phường Ái Quốc, Hải Phòng").id
    pid = person(s, 42, "Hoa")
    aid = agent(s, 7, aq)
    grant_consent(s, pid, "contact_by_agent", "v1")
    grant_consent(s, pid, "campaign_news", "v1")
    subscribe(s, pid, aq)
    log_turn(s, pid, "tôi muốn mua bhyt cho 3 người", "ask_quote", 0.93)
    enrolled, _ = create_or_update_lead(
        s, pid, aq, {"members": 3}, {"x": 1}, 2_000_000, "0900000001"
    )
    assert claim_lead(s, enrolled.id, aid)
    record_outcome(s, enrolled.id, aid, "enrolled", cards_enrolled=3, note="Hoa, nhà số 5")
    open_lead, _ = create_or_update_lead(s, pid, aq, {"members": 1}, None, 1_000_000, "0900000001")
    return pid, aid, aq, enrolled.id, open_lead.id


def test_export_holds_everything(db) -> None:  # type: ignore[no-untyped-def]
    with db.tx() as s:
        pid, *_ = _citizen_with_data(s)
        data = export_person_data(s, pid)
    json.dumps(data)  # serialisable for the bot
    assert data["person"]["first_name"] == "Hoa" and data["person"]["telegram_id"] == 42
    assert {c["purpose"] for c in data["consents"]} == {"contact_by_agent", "campaign_news"}
    assert len(data["leads"]) == 2 and data["leads"][0]["phone"] == "0900000001"
    assert data["conversation"][0]["text"].startswith("tôi muốn")
    assert len(data["subscriptions"]) == 1


def test_correct(db) -> None:  # type: ignore[no-untyped-def]
    with db.tx() as s:
        pid, _, _, enrolled, open_id = _citizen_with_data(s)
        correct_person_data(s, pid, first_name="Hoà", phone="0911111111", locale="en")
    with db.tx() as s:
        p = s.get(Person, pid)
        assert (p.first_name, p.locale) == ("Hoà", "en")
        assert s.get(Lead, open_id).phone == "0911111111"
        assert s.get(Lead, enrolled).phone == "0900000001"  # closed leads are history


def test_delete_keeps_only_anonymous_aggregates(db) -> None:  # type: ignore[no-untyped-def]
    with db.tx() as s:
        pid, aid, aq, enrolled, open_id = _citizen_with_data(s)
        other = person(s, 43)
        log_turn(s, other, "xin chào", "greet", 0.99)
    with db.tx() as s:
        counts = delete_person_data(s, pid)
        assert counts["leads"] == 2 and counts["conversation"] == 1
    with db.tx() as s:
        assert get_person(s, 42) is None
        leads = s.scalars(select(Lead).order_by(Lead.id)).all()
        assert [(x.status, x.commune_id, x.cards_enrolled) for x in leads] == [
            ("enrolled", aq, 3),
            ("declined", aq, 0),
        ]
        assert all(x.person_id is None and x.phone is None and x.household is None for x in leads)
        assert leads[0].owner_id == aid  # the agent's work still counts
        assert (
            s.scalar(select(func.count()).select_from(LeadEvent).where(LeadEvent.note.is_not(None)))
            == 0
        )
        consents = s.scalars(select(Consent)).all()
        assert len(consents) == 2
        assert all(c.person_id is None and c.withdrawn_at is not None for c in consents)
        assert {c.purpose for c in consents} == {"contact_by_agent", "campaign_news"}
        assert s.scalar(select(func.count()).select_from(Subscription)) == 0
        assert s.scalars(select(ConversationTurn.person_id)).all() == [other]


def test_consents_and_withdrawal(db) -> None:  # type: ignore[no-untyped-def]
    with db.tx() as s:
        pid = person(s, 1)
        c1 = grant_consent(s, pid, "contact_by_agent", "v1")
        assert grant_consent(s, pid, "contact_by_agent", "v1").id == c1.id
        c2 = grant_consent(s, pid, "contact_by_agent", "v2")  # new text: new record
        assert c2.id != c1.id and c1.withdrawn_at is not None
        assert has_consent(s, pid, "contact_by_agent")
        assert withdraw_consent(s, pid, "contact_by_agent") == 1
        assert not has_consent(s, pid, "contact_by_agent")


def test_purge_old_turns(db) -> None:  # type: ignore[no-untyped-def]
    from db.models import utcnow

    with db.tx() as s:
        old = log_turn(s, None, "cũ", None, None)
        log_turn(s, None, "mới", "greet", 0.8)
        s.execute(
            update(ConversationTurn)
            .where(ConversationTurn.id == old.id)
            .values(created_at=utcnow() - timedelta(days=31))
        )
    with db.tx() as s:
        assert purge_old_turns(s, 30) == 1
        assert s.scalars(select(ConversationTurn.text)).all() == ["mới"]
