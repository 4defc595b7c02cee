"""BHYT contribution engine: dated YAML parameters, pure pricing, explanations.

rules = load_rules()
q = quote(QuoteRequest(date(2026, 11, 22), 12, (Member(65, ("elderly_no_pension",)),), "hai_phong"), rules)
print(explain(q, "vi"))
"""

from .eligibility import (
    Support,
    SupportDetail,
    age_sensitive_groups,
    covered_elsewhere_groups,
    eligible_support,
    eligible_support_details,
    facts,
    known_provinces,
    province_slugs,
)
from .engine import open_questions, price, quote
from .loader import ParameterError, load_rules, load_rules_from
from .model import Member, MemberQuote, Question, Quote, QuoteRequest, Rules, Share
from .render import explain, quote_to_dict, render, render_text
from .request import RequestError, parse_request

__all__ = [
    "Member",
    "MemberQuote",
    "ParameterError",
    "Question",
    "open_questions",
    "price",
    "Quote",
    "QuoteRequest",
    "RequestError",
    "Rules",
    "Share",
    "Support",
    "SupportDetail",
    "age_sensitive_groups",
    "covered_elsewhere_groups",
    "eligible_support",
    "eligible_support_details",
    "explain",
    "facts",
    "known_provinces",
    "load_rules",
    "load_rules_from",
    "parse_request",
    "province_slugs",
    "quote",
    "quote_to_dict",
    "render",
    "render_text",
]
