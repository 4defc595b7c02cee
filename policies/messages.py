"""Catalog msgids used by the engine (English; translated by locales/*/messages.po).

Kept in one place so a test can check every one has a Vietnamese translation.
"""

from __future__ import annotations


def N_(msgid: str) -> str:
    """Mark a msgid for extraction without translating it here."""
    return msgid


REASON_HOUSEHOLD = N_(
    "Household line, member {rank} among household-line members: pays {ladder_percent} of the full amount."
)
REASON_SUPPORTED = N_(
    "{rule_title}: the budget pays {support_percent} of the full amount; this line has no household reduction."
)
REASON_FREE = N_("{rule_title}: the budget pays the whole contribution; nothing to pay.")
REASON_COVERED = N_(
    "{rule_title}: insured through another line ({payer}); nothing to buy on the household line."
)
NOTE_BEST_OF = N_(
    "One card, the highest benefit: chosen among {count} fitting lines (lowest amount to pay, then the largest state share)."
)
NOTE_GROUP_NOT_APPLICABLE = N_(
    "The group {group} gives no support at age {age} on this date; not used."
)
NOTE_GROUP_NO_RULE = N_(
    "The group {group} has no support rule in the data; priced on the household line."
)
NOTE_APPLICATION = N_("Free once the allowance is granted: {application}")
NOTE_CAPPED = N_("Support capped at 100 %: the provincial share was reduced to {province_percent}.")
NOTE_BASE_LATEST = N_(
    "Base salary: the latest known row is used ({base_vnd} from {start}, {reference}); a later change is not in the data."
)
NOTE_NO_PROVINCE = N_("No province given: national rules only.")
NOTE_PROVINCE_NO_FILE = N_("No provincial rules on file for {province}: national rules only.")
NOTE_PROVINCE_NOT_MODELLED = N_(
    "{province}: the provincial rules in force on this date ({reference}) are not modelled: national rules only."
)
NOTE_PROVINCE_NO_RULES_ON_DATE = N_(
    "{province}: no provincial rules known for this date: national rules only."
)
NOTE_UNCONFIRMED = N_("{reference}: {note} (as far as we know)")
NOTE_LADDER_SAME_YEAR = N_(
    "The household reduction assumes all household-line members join together in the same calendar year."
)
NOTE_ROUNDED = N_("Amounts are rounded half up to the whole đồng.")

# Explanation layout.
EXPLAIN_TITLE = N_("BHYT contribution quote")
EXPLAIN_REQUEST = N_("Payment date {date}, {months} months, {where}.")
EXPLAIN_NATIONAL_ONLY = N_("national rules")
EXPLAIN_BASE = N_("Base salary: {base_vnd} per month from {start} ({reference}).")
EXPLAIN_FULL = N_(
    "Full contribution: {rate_percent} of the base salary = {monthly_vnd} per month, {full_vnd} for {months} months."
)
EXPLAIN_MEMBER = N_("Member {index} ({age} years old): pays {amount_vnd} (full amount {full_vnd}).")
EXPLAIN_LINE = N_("Line: {line}.")
EXPLAIN_REASON = N_("Why: {reason}")
EXPLAIN_SHARE = N_("{payer} pays {percent} ({basis}).")
EXPLAIN_TOTAL = N_("Total to pay: {total_vnd}.")
EXPLAIN_NOTES = N_("Notes:")
EXPLAIN_RULES_AS_OF = N_("Rules as of {date}.")
EXPLAIN_UNCONFIRMED_MARK = N_("as far as we know")
RULE_HOUSEHOLD_LADDER = N_("Household line (decreasing share by rank)")
EXPLAIN_RULE = N_("Rule applied: {rule_title} ({basis}).")
EXPLAIN_QUESTION = N_("A question that would change this: {question}")

LINE_LABELS = {
    "household": N_("household line"),
    "free_group": N_("free card"),
    "supported_group": N_("supported group"),
    "covered_elsewhere": N_("covered elsewhere"),
}

PAYER_LABELS = {
    "state": N_("State budget"),
    "province": N_("Provincial budget"),
    "employer_and_employee": N_("Employer and employee"),
    "social_insurance_fund": N_("Social insurance fund"),
    "armed_forces_unit": N_("Army or police unit"),
}

GROUP_LABELS = {
    "poor": N_("poor household"),
    "near_poor": N_("near-poor household"),
    "student": N_("pupil or student"),
    "farm_avg_income": N_("farming household with average living standard"),
    "elderly_no_pension": N_("elderly person without pension or allowance"),
    "social_pension": N_("person on monthly social allowance"),
    "child_under_6": N_("child under 6"),
    "ethnic_minority_hardship": N_("ethnic minority in an extremely difficult area"),
    "meritorious": N_("meritorious person"),
    "disabled": N_("person with a disability"),
    "hiv": N_("person living with HIV/AIDS"),
    "blind_association": N_("member of the Association of the Blind"),
    "waste_collector": N_("waste collector"),
    "party_member_40y": N_("Party member with the 40-year badge"),
    "employee": N_("employee under contract"),
    "pensioner": N_("pensioner"),
    "household": N_("household line"),
    "disabled_severe": N_("person with a severe disability"),
    "island_commune": N_("resident of an island commune or special zone"),
    "hardship_area": N_("resident of an extremely difficult commune or village"),
    "armed_forces_relative": N_("relative of an army or police officer"),
}
