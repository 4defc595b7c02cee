"""The NLU keeps learning: `python -m nlu review export|merge` (app venv, reads the database).

export: messages of people who allowed it (consent `improve_answers`) that the bot did not
        understand or was unsure of, personal data masked, as a YAML file to label.
merge:  labelled items go into nlu/data/reviewed.yml (one block per intent), skipping what the
        training data or the held-out test set already holds; retrain with `make train`.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Iterable
from datetime import timedelta
from pathlib import Path
from typing import Any

import yaml

from nlu.components.vi_text import fold

CONSENT_PURPOSE = "improve_answers"
INTENTS = (
    "greet", "goodbye", "thank", "affirm", "deny", "ask_eligibility", "ask_cost",
    "ask_where_to_buy", "ask_benefits", "ask_card_validity", "ask_documents", "request_contact",
    "inform", "bot_challenge", "unsubscribe", "out_of_scope",
)  # fmt: skip
HERE = Path(__file__).resolve().parent
REVIEWED = HERE / "data" / "reviewed.yml"
TEST_SET = HERE / "tests" / "test_nlu.yml"

# Masks, most specific first: what could identify a person never leaves the database.
_MASKS = (
    (re.compile(r"[\w.+-]+@[\w-]+\.[\w.]+"), "<email>"),
    (re.compile(r"(?:\+?84|0)(?:[\s.\-]?\d){9}\b"), "<SĐT>"),
    (re.compile(r"\d(?:[\s.\-]?\d){7,}"), "<số>"),  # ID card, bank, card numbers
    (re.compile(r"\b\d{1,2}\s*[/.\-]\s*\d{1,2}\s*[/.\-]\s*\d{2,4}\b"), "<ngày>"),  # birth dates
    # house numbers and lanes: "số 12", "ngõ 5", "hẻm 3/2", "so nha 7"
    (
        re.compile(r"(?i)\b(số nhà|so nha|số|so|ngõ|ngo|ngách|ngach|hẻm|hem|kiệt|kiet)\s*\d[\w/]*"),
        "<địa chỉ>",
    ),
    # a name said as such: "tên (là) Nguyễn Văn A", "ten la nguyen van a"
    (re.compile(r"(?i)\b(tên|ten)(\s+(là|la))?\s+(\w+)(\s+\w+){0,3}"), r"\1 <tên>"),
)


def mask(text: str, names: Iterable[str] = ()) -> str:
    """Phones, e-mails, long numbers and the person's own names replaced by placeholders."""
    for pattern, placeholder in _MASKS:
        text = pattern.sub(placeholder, text)
    for name in names:  # the person's own name, typed with or without accents
        text = _mask_words(text, fold(name).split())
    return text


_WORD = re.compile(r"\w+")


def _mask_words(text: str, name: list[str]) -> str:
    """Replace every run of words that folds to `name` (accent- and case-free) by <tên>."""
    if not name or len("".join(name)) < 2:
        return text
    words = list(_WORD.finditer(text))
    out, last, i = [], 0, 0
    while i < len(words):
        window = words[i : i + len(name)]
        if [fold(w.group()) for w in window] == name:
            out += [text[last : window[0].start()], "<tên>"]
            last, i = window[-1].end(), i + len(name)
        else:
            i += 1
    return "".join([*out, text[last:]])


def export(session, days: int, threshold: float) -> list[dict[str, Any]]:
    """Turns of the last `days` with no intent or confidence under `threshold`, only from
    people with an active `improve_answers` consent; one item per distinct masked text."""
    from sqlalchemy import and_, or_, select

    from db.models import Consent, ConversationTurn, Person, utcnow

    # A turn counts only if written while a consent of that person was in force, and the
    # person still consents today (a withdrawal stops every later export).
    consented_then = (
        select(Consent.id)
        .where(
            Consent.person_id == ConversationTurn.person_id,
            Consent.purpose == CONSENT_PURPOSE,
            Consent.granted_at <= ConversationTurn.created_at,
            or_(Consent.withdrawn_at.is_(None), Consent.withdrawn_at > ConversationTurn.created_at),
        )
        .exists()
    )
    consents_now = select(Consent.person_id).where(
        Consent.purpose == CONSENT_PURPOSE, Consent.withdrawn_at.is_(None)
    )
    rows = session.execute(
        select(ConversationTurn, Person.first_name)
        .join(Person, Person.id == ConversationTurn.person_id)
        .where(
            consented_then,
            ConversationTurn.person_id.in_(consents_now),
            ConversationTurn.created_at >= utcnow() - timedelta(days=days),
            or_(ConversationTurn.intent.is_(None), and_(ConversationTurn.confidence < threshold)),
        )
        .order_by(ConversationTurn.id)
    )
    items: dict[str, dict[str, Any]] = {}
    for turn, first_name in rows:
        text = mask(turn.text, [first_name or ""]).strip()
        if text and fold(text) not in items:
            items[fold(text)] = {
                "text": text,
                "predicted": turn.intent,
                "confidence": round(turn.confidence or 0.0, 3),
                "intent": None,
            }
    return list(items.values())


def _known_texts() -> set[str]:
    """Folded texts already in the training data or the held-out test set."""
    known: set[str] = set()
    for path in [*sorted((HERE / "data").glob("*.yml")), TEST_SET]:
        data = yaml.safe_load(path.read_text("utf-8")) or {}
        for block in data.get("nlu") or []:
            for line in str(block.get("examples") or "").splitlines():
                text = re.sub(r"\[([^\]]*)\](\([^)]*\)|\{[^}]*\})", r"\1", line.strip()[2:])
                known.add(fold(text))
    return known


def merge(items: list[dict[str, Any]], target: Path = REVIEWED) -> tuple[int, int]:
    """Add labelled items to `target`; returns (added, skipped). Unknown labels are refused."""
    known = _known_texts()
    current = yaml.safe_load(target.read_text("utf-8")) if target.exists() else None
    blocks: dict[str, list[str]] = {}
    for block in (current or {}).get("nlu") or []:
        blocks[block["intent"]] = [
            ln.strip()[2:] for ln in block["examples"].splitlines() if ln.strip()
        ]
        known.update(fold(t) for t in blocks[block["intent"]])
    added = skipped = 0
    for item in items:
        intent, text = item.get("intent"), str(item.get("text") or "").strip()
        if intent in (None, "", "skip") or not text:
            skipped += 1
            continue
        if intent not in INTENTS:
            raise ValueError(f"unknown intent {intent!r} for {text!r}")
        if fold(text) in known:
            skipped += 1
            continue
        blocks.setdefault(intent, []).append(text)
        known.add(fold(text))
        added += 1
    body = ['version: "3.1"', "# Labelled from `python -m nlu review` (masked messages).", "nlu:"]
    for intent in sorted(blocks):
        body += [f"- intent: {intent}", "  examples: |"]
        body += [f"    - {t}" for t in blocks[intent]]
    target.write_text("\n".join(body) + "\n", "utf-8")
    return added, skipped


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m nlu review", description=__doc__)
    sub = p.add_subparsers(dest="cmd", required=True)
    e = sub.add_parser("export", help="write messages to label (YAML)")
    e.add_argument("file")
    e.add_argument("--days", type=int, default=30)
    e.add_argument("--threshold", type=float, default=0.6, help="confidence under this")
    e.add_argument("--database-url")
    m = sub.add_parser("merge", help="add a labelled file to nlu/data/reviewed.yml")
    m.add_argument("file")
    args = p.parse_args(argv)
    try:
        if args.cmd == "export":
            if not 1 <= args.days <= 3650 or not 0 < args.threshold <= 1:
                raise ValueError("--days must be 1-3650 and --threshold in (0, 1]")
            from db.session import database_url, make_engine, session_factory

            engine = make_engine(args.database_url or database_url())
            with session_factory(engine)() as session:
                items = export(session, args.days, args.threshold)
            Path(args.file).write_text(
                "# Set `intent:` to a label of the NLU contract (or `skip`), then:\n"
                "#   python -m nlu review merge THIS_FILE\n"
                + yaml.safe_dump(items, allow_unicode=True, sort_keys=False),
                "utf-8",
            )
            print(f"{len(items)} messages to label -> {args.file}")
        else:
            items = yaml.safe_load(Path(args.file).read_text("utf-8")) or []
            if not isinstance(items, list):
                raise ValueError("the file must be a list of items with text and intent")
            added, skipped = merge(items)
            print(f"added {added}, skipped {skipped} -> {REVIEWED}; retrain with `make train`")
    except (OSError, ValueError, yaml.YAMLError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0
