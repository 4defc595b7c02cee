"""Quote -> JSON dict (CLI contract) and Quote -> explanation text (Babel catalogs)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

from babel.dates import format_date
from babel.numbers import format_decimal

from . import messages as M
from .i18n import DEFAULT_LOCALE, format_vnd, normalise_locale, translations
from .model import Dated, MemberQuote, Message, Quote, Share

LOCALES_DIR = str(Path(__file__).parent / "locales")

# A catalog's gettext: msgid -> text in one locale.
_Gettext = Callable[[str], str]


def _gettext(locale: str) -> _Gettext:
    return translations(LOCALES_DIR, normalise_locale(locale)).gettext


def format_percent(value: Decimal, locale: str = DEFAULT_LOCALE) -> str:
    return f"{format_decimal(value.normalize(), locale=_babel_locale(locale))}%"


def _babel_locale(locale: str) -> str:
    return "vi_VN" if normalise_locale(locale) == "vi" else "en_US"


def _param(key: str, value: Any, locale: str, _: _Gettext) -> object:
    """Format one message parameter by its name/type (money, percent, date, labels).

    A text, except an empty catalog text (rule_title, note...), which is passed through as is."""
    if isinstance(value, dt.date):
        return format_date(value, "dd/MM/yyyy", locale=_babel_locale(locale))
    if key.endswith("_vnd"):
        return format_vnd(value, locale)
    if key.endswith("_percent") or isinstance(value, Decimal):
        return format_percent(Decimal(value), locale)
    if key == "group":
        return _(M.GROUP_LABELS.get(value, value))
    if key == "payer":
        return _(M.PAYER_LABELS.get(value, value))
    if key in ("rule_title", "note", "application", "question"):
        return _(value) if value else value
    return str(value)


def render_text(msgid: str, locale: str = DEFAULT_LOCALE) -> str:
    """A plain catalog text (rule title, fact, question) in `locale`."""
    return _gettext(locale)(msgid)


def render(message: Message, locale: str = DEFAULT_LOCALE) -> str:
    _ = _gettext(locale)
    params = {k: _param(k, v, locale, _) for k, v in message.params}
    return _(message.msgid).format(**params)


def _json_percent(value: Decimal) -> int | float:
    return int(value) if value == value.to_integral_value() else float(value)


def _share_dict(share: Share) -> dict[str, Any]:
    return {
        "payer": share.payer,
        "percent": _json_percent(share.percent),
        "basis": share.basis,
        "rule": share.rule_id,
        "unconfirmed": share.unconfirmed,
    }


def _member_dict(m: MemberQuote, locale: str) -> dict[str, Any]:
    return {
        "amount_vnd": m.amount_vnd,
        "full_vnd": m.full_vnd,
        "line": m.line,
        "shares": [_share_dict(s) for s in m.shares],
        "group": m.group,
        "rank": m.rank,
        "ladder_percent": None if m.ladder_percent is None else _json_percent(m.ladder_percent),
        "age": m.age,
        "groups": list(m.groups),
        "reason": render(m.reason, locale),
        "reason_vi": render(m.reason, "vi"),
        "notes": [render(n, locale) for n in m.notes],
        "unconfirmed": m.unconfirmed,
        "rule": m.rule_id,
        "application": render_text(m.application, locale) if m.application else None,
        "questions": [
            {"id": q.id, "text": render_text(q.text, locale), "basis": q.reference}
            for q in m.questions
        ],
        "alternatives": [
            {"group": a.group, "rule": a.rule_id, "amount_vnd": a.amount_vnd}
            for a in m.alternatives
        ],
    }


def quote_to_dict(quote: Quote, locale: str = "en") -> dict[str, Any]:
    """The CLI JSON object; contract keys: total_vnd, members[*] (amount_vnd, full_vnd, line,
    shares[*] (payer, percent, basis)), rules_as_of. Everything else is extra."""
    req = quote.request
    return {
        "total_vnd": quote.total_vnd,
        "members": [_member_dict(m, locale) for m in quote.members],
        "rules_as_of": quote.rules_as_of.isoformat(),
        "date": req.date.isoformat(),
        "province": req.province,
        "months": req.months,
        "base_salary": {
            "vnd": quote.base_salary.value,
            "from": quote.base_salary.start.isoformat(),
            "basis": quote.base_salary.reference,
            "unconfirmed": quote.base_salary.unconfirmed,
        },
        "monthly_full_vnd": float(quote.monthly_full)
        if quote.monthly_full != quote.monthly_full.to_integral_value()
        else int(quote.monthly_full),
        "notes": [render(n, locale) for n in quote.notes],
        "notes_vi": [render(n, "vi") for n in quote.notes],
        "unconfirmed": quote.unconfirmed,
    }


def _member_lines(m: MemberQuote, locale: str, _: _Gettext, ladder: Dated) -> list[str]:
    mark = f" ({_(M.EXPLAIN_UNCONFIRMED_MARK)})"
    member = Message(
        M.EXPLAIN_MEMBER,
        (
            ("index", m.index + 1),
            ("age", m.age),
            ("amount_vnd", m.amount_vnd),
            ("full_vnd", m.full_vnd),
        ),
    )
    lines = [render(member, locale)]
    lines.append("  " + _(M.EXPLAIN_LINE).format(line=_(M.LINE_LABELS[m.line])))
    lines.append("  " + _(M.EXPLAIN_REASON).format(reason=render(m.reason, locale)))
    lines.append("  " + render(_rule_message(m, ladder), locale))
    for s in m.shares:
        share = Message(
            M.EXPLAIN_SHARE, (("payer", s.payer), ("percent", s.percent), ("basis", s.basis))
        )
        lines.append("  - " + render(share, locale) + (mark if s.unconfirmed else ""))
    lines.extend("  * " + render(n, locale) for n in m.notes)
    lines.extend(
        "  ? " + render(Message(M.EXPLAIN_QUESTION, (("question", q.text),)), locale)
        for q in m.questions
    )
    return lines


def _rule_message(m: MemberQuote, ladder: Dated) -> Message:
    """Which rule priced the member and the documents in force for it on the payment date."""
    if m.line == "household":
        title, basis = M.RULE_HOUSEHOLD_LADDER, ladder.reference
    else:
        title = m.reason.kwargs.get("rule_title", "")
        basis = "; ".join(dict.fromkeys(s.basis for s in m.shares))
    return Message(M.EXPLAIN_RULE, (("rule_title", title), ("basis", basis)))


def explain(quote: Quote, locale: str = DEFAULT_LOCALE) -> str:
    """The quote as text for a citizen: per-member breakdown, legal basis, notes."""
    _ = _gettext(locale)
    req = quote.request
    where = quote.province_name or _(M.EXPLAIN_NATIONAL_ONLY)
    base = quote.base_salary
    full_months = int(quote.members[0].full_vnd) if quote.members else 0
    header = [
        _(M.EXPLAIN_TITLE),
        render(
            Message(
                M.EXPLAIN_REQUEST, (("date", req.date), ("months", req.months), ("where", where))
            ),
            locale,
        ),
        render(
            Message(
                M.EXPLAIN_BASE,
                (("base_vnd", base.value), ("start", base.start), ("reference", base.reference)),
            ),
            locale,
        )
        + (f" ({_(M.EXPLAIN_UNCONFIRMED_MARK)})" if base.unconfirmed else ""),
        render(
            Message(
                M.EXPLAIN_FULL,
                (
                    ("rate_percent", quote.rate.value),
                    ("monthly_vnd", quote.monthly_full),
                    ("full_vnd", full_months),
                    ("months", req.months),
                ),
            ),
            locale,
        ),
        "",
    ]
    body = [
        line for m in quote.members for line in (*_member_lines(m, locale, _, quote.ladder), "")
    ]
    footer = [render(Message(M.EXPLAIN_TOTAL, (("total_vnd", quote.total_vnd),)), locale)]
    footer.append(render(Message(M.EXPLAIN_RULES_AS_OF, (("date", quote.rules_as_of),)), locale))
    if quote.notes:
        footer.append(_(M.EXPLAIN_NOTES))
        footer.extend("- " + render(n, locale) for n in quote.notes)
    return "\n".join([*header, *body, *footer])
