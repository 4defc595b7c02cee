"""BHYT contribution engine: dated YAML parameters, pure pricing, explanations.

rules = load_rules()
q = quote(QuoteRequest(date(2026, 11, 22), 12, (Member(65, ("elderly_no_pension",)),), "hai_phong"), rules)
print(explain(q, "vi"))
"""

from .eligibility import (
    Support,
    SupportDetail,
    covered_elsewhere_groups,
    eligible_support,
    eligible_support_details,
    known_provinces,
    province_slugs,
)
from .engine import quote
from .loader import ParameterError, load_rules, load_rules_from
from .model import Member, MemberQuote, Quote, QuoteRequest, Rules, Share
from .render import explain, quote_to_dict, render
from .request import RequestError, parse_request

__all__ = [
    "Member",
    "MemberQuote",
    "ParameterError",
    "Quote",
    "QuoteRequest",
    "RequestError",
    "Rules",
    "Share",
    "Support",
    "SupportDetail",
    "covered_elsewhere_groups",
    "eligible_support",
    "eligible_support_details",
    "explain",
    "known_provinces",
    "load_rules",
    "load_rules_from",
    "parse_request",
    "province_slugs",
    "quote",
    "quote_to_dict",
    "render",
]
