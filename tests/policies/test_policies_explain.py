"""Explanations: Vietnamese text via the catalog, money via Babel, notes and UNCONFIRMED flags."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import yaml
from babel.messages.pofile import read_po
from policy_helpers import run_cli

from policies import explain, messages, parse_request, quote
from policies.loader import PARAMETERS_DIR
from policies.render import LOCALES_DIR

MIXED = {
    "date": "2026-11-22",
    "province": "hai_phong",
    "months": 12,
    "members": [
        {"age": 66, "groups": ["elderly_no_pension"]},
        {"age": 42, "groups": []},
        {"age": 39, "groups": []},
    ],
}


def catalog(lang: str):
    with (Path(LOCALES_DIR) / lang / "LC_MESSAGES" / "messages.po").open("rb") as f:
        return read_po(f, locale=lang)


def data_msgids() -> set[str]:
    """Rule titles and notes from the YAML are shown to users, so they need translations too."""
    found: set[str] = set()
    for path in PARAMETERS_DIR.rglob("*.yaml"):
        data = yaml.safe_load(path.read_text("utf-8"))
        for rule in data.get("rules", []):
            found.add(rule["title"])
            found.update(v["note"] for v in rule["values"] if v.get("note"))
            if rule.get("application"):
                found.add(rule["application"])
        for q in data.get("questions", []):
            found.add(q["text"])
            for answer in (q.get("answers") or {}).values():
                if answer.get("label"):
                    found.add(answer["label"])
        if "items" in data:  # facts/<topic>.yaml
            found.add(data["title"])
            found.update(i["text"] for i in data["items"])
            found.update(i["note"] for i in data["items"] if i.get("note"))
        for key in ("values", "not_modelled"):
            rows = data.get(key) or []
            found.update(r["note"] for r in rows if isinstance(r, dict) and r.get("note"))
    return found


def code_msgids() -> set[str]:
    ids = {v for k, v in vars(messages).items() if k.isupper() and isinstance(v, str)}
    for table in (messages.LINE_LABELS, messages.PAYER_LABELS, messages.GROUP_LABELS):
        ids.update(table.values())
    return ids


def test_every_message_has_a_vietnamese_translation():
    vi = catalog("vi")
    missing = [m for m in code_msgids() | data_msgids() if not (vi.get(m) and vi.get(m).string)]
    assert missing == []


def test_english_catalog_has_the_same_ids():
    assert {m.id for m in catalog("en") if m.id} == {m.id for m in catalog("vi") if m.id}


def test_explain_cli_vietnamese(rules):
    proc = run_cli("explain", MIXED)
    assert proc.returncode == 0, proc.stderr
    text = proc.stdout
    assert "1.366.200 ₫" in text and "956.340 ₫" in text
    assert "Tổng số tiền phải đóng: 2.322.540 ₫" in text
    assert "Nghị quyết 57/2025/NQ-HĐND" in text
    assert "theo thông tin hiện có" in text
    assert "người thứ 2 trong hộ" in text
    assert "Ngân sách tỉnh/thành phố đóng 100%" in text


def test_explain_api_matches_cli(rules):
    q = quote(parse_request(MIXED, rules), rules)
    assert explain(q, "vi").strip() == run_cli("explain", MIXED).stdout.strip()


def test_explain_english(rules):
    text = explain(quote(parse_request(MIXED, rules), rules), "en")
    assert "Total to pay: 2.322.540 ₫." in text
    assert "as far as we know" in text


def test_explain_says_which_base_row_after_the_last(rules):
    req = {**MIXED, "date": "2030-06-01", "province": None}
    text = explain(quote(parse_request(req, rules), rules), "vi")
    assert "dùng mức mới nhất đã biết (2.530.000 ₫ từ 01/07/2026" in text


def test_explain_national_only_said(rules):
    req = {**MIXED, "province": "thanh_hoa"}
    text = explain(quote(parse_request(req, rules), rules), "vi")
    assert "Chưa có dữ liệu chính sách riêng của Thanh Hóa" in text


def test_confirmed_quote_has_no_unconfirmed_mark(rules):
    req = {"date": "2025-03-01", "province": None, "months": 12, "members": [{"age": 40}]}
    q = quote(parse_request(req, rules), rules)
    assert not q.unconfirmed
    assert "theo thông tin hiện có" not in explain(q, "vi")
    assert q.rules_as_of == dt.date(2024, 7, 1)
