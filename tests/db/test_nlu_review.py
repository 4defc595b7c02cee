"""`python -m nlu review`: only consented turns, personal data masked, labelled items merged."""

from __future__ import annotations

import subprocess
import sys

import yaml
from dbtest_helpers import person

from db.people import grant_consent, withdraw_consent
from db.privacy import log_turn
from db.session import make_engine, session_factory, transaction
from nlu.review import mask, merge


def _fill(db_url: str) -> None:
    engine = make_engine(db_url)
    with transaction(session_factory(engine)) as s:
        lan = person(s, 1, "Lan")
        hoa = person(s, 2, "Hoa")
        gone = person(s, 3, "Minh")
        for pid in (lan, gone):
            grant_consent(s, pid, "improve_answers", "improve_answers/v1")
        withdraw_consent(s, gone, "improve_answers")
        log_turn(s, lan, "Lan đây, sdt 0912 345 678, the bhyt cua toi mat roi", None, 0.2)
        log_turn(s, lan, "nha 4 nguoi bn tien", "ask_cost", 0.97)  # understood: not exported
        log_turn(s, lan, "bao hiem cho con cho nha toi", "ask_cost", 0.31)
        log_turn(s, hoa, "cau hoi la cua Hoa", None, 0.1)  # no consent
        log_turn(s, gone, "Minh rut lai roi", None, 0.1)  # consent withdrawn
    engine.dispose()


def test_export_masks_and_keeps_only_consented_unsure_turns(db_url, tmp_path):
    _fill(db_url)
    out = tmp_path / "review.yml"
    cmd = [sys.executable, "-m", "nlu", "review", "export", str(out), "--database-url", db_url]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    items = yaml.safe_load(out.read_text("utf-8"))
    texts = [i["text"] for i in items]
    assert texts == [
        "<tên> đây, sdt <SĐT>, the bhyt cua toi mat roi",
        "bao hiem cho con cho nha toi",
    ]
    assert all(i["intent"] is None for i in items) and items[1]["predicted"] == "ask_cost"


def test_merge_adds_new_labelled_texts_once(tmp_path):
    target = tmp_path / "reviewed.yml"
    items = [
        {"text": "the bhyt mat roi lam lai o dau", "intent": "ask_where_to_buy"},
        {"text": "THE BHYT MAT ROI LAM LAI O DAU", "intent": "ask_where_to_buy"},  # same, folded
        {"text": "hom nay an gi", "intent": "skip"},
        {"text": "xin chào", "intent": "greet"},  # already in the training data
    ]
    assert merge(items, target) == (1, 3)
    data = yaml.safe_load(target.read_text("utf-8"))
    assert data["nlu"] == [
        {"intent": "ask_where_to_buy", "examples": "- the bhyt mat roi lam lai o dau\n"}
    ]
    assert merge(items[:1], target) == (0, 1)


def test_merge_refuses_a_label_outside_the_contract(tmp_path):
    proc_file = tmp_path / "bad.yml"
    proc_file.write_text(yaml.safe_dump([{"text": "abc", "intent": "ask_weather"}]), "utf-8")
    proc = subprocess.run([sys.executable, "-m", "nlu", "review", "merge", str(proc_file)],
                          capture_output=True, text=True, timeout=60)  # fmt: skip
    assert proc.returncode == 2 and "unknown intent" in proc.stderr


def test_mask_removes_ids_and_emails():
    text = mask("cccd 001 099 012 345, mail lan@example.com, goi 84912345678", ["Lan"])
    assert "001" not in text and "example" not in text and "912" not in text


def test_turns_from_before_the_consent_or_while_withdrawn_are_not_exported(db_url):
    from datetime import timedelta

    from sqlalchemy import update

    from db.models import Consent, ConversationTurn, utcnow
    from nlu.review import export

    engine = make_engine(db_url)
    with transaction(session_factory(engine)) as s:
        lan = person(s, 1, "Lan")
        log_turn(s, lan, "truoc khi dong y", None, 0.1)
        s.execute(update(ConversationTurn).values(created_at=utcnow() - timedelta(days=2)))
        c = grant_consent(s, lan, "improve_answers", "improve_answers/v1")
        s.execute(
            update(Consent)
            .where(Consent.id == c.id)
            .values(granted_at=utcnow() - timedelta(days=1))
        )
        log_turn(s, lan, "sau khi dong y", None, 0.1)
    with session_factory(engine)() as s:
        assert [i["text"] for i in export(s, 30, 0.6)] == ["sau khi dong y"]
    engine.dispose()
