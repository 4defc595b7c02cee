"""Turn untrusted JSON into a QuoteRequest, or fail naming the bad field (pure)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from .model import Member, QuoteRequest, Rules


class RequestError(ValueError):
    """Invalid input; `field` is the JSON path of the bad value (e.g. `members[1].age`)."""

    def __init__(self, field: str, problem: str):
        super().__init__(f"{field}: {problem}")
        self.field, self.problem = field, problem


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def parse_date(raw: Any) -> dt.date:
    if isinstance(raw, dt.date):
        return raw
    if not isinstance(raw, str):
        raise RequestError("date", f"must be a string YYYY-MM-DD, got {raw!r}")
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        raise RequestError("date", f"not a valid date (YYYY-MM-DD): {raw!r}") from None


def _member(raw: Any, where: str) -> Member:
    if not isinstance(raw, dict):
        raise RequestError(where, "must be an object with age and groups")
    if "age" not in raw:
        raise RequestError(f"{where}.age", "missing")
    groups = raw.get("groups", [])
    if groups is None:
        groups = []
    if not isinstance(groups, list) or not all(isinstance(g, str) for g in groups):
        raise RequestError(f"{where}.groups", "must be a list of group ids")
    return Member(age=raw["age"], groups=tuple(groups))


def parse_request(data: Any, rules: Rules) -> QuoteRequest:
    """Validate a decoded JSON request against the rules (known groups, periods, limits)."""
    if not isinstance(data, dict):
        raise RequestError("(request)", "must be a JSON object")
    for key in ("date", "months", "members"):
        if key not in data:
            raise RequestError(key, "missing")
    members = data["members"]
    if not isinstance(members, list):
        raise RequestError("members", "must be a list")
    request = QuoteRequest(
        date=parse_date(data["date"]),
        months=data["months"],
        members=tuple(_member(m, f"members[{i}]") for i, m in enumerate(members)),
        province=data.get("province"),
    )
    validate_request(request, rules)
    return request


def validate_request(request: QuoteRequest, rules: Rules) -> None:
    """Raise RequestError naming the first bad field; used by the API and the CLI alike."""
    if not isinstance(request.date, dt.date):
        raise RequestError("date", "must be a date")
    _validate_province(request.province, rules)
    _validate_months(request.months, request.date, rules)
    _validate_members(request.members, rules)
    if rules.base_salary.at(request.date) is None:
        first = rules.base_salary.rows[0].start
        raise RequestError("date", f"no base salary known for {request.date} (data starts {first})")


def _validate_province(province: Any, rules: Rules) -> None:
    if province is None:
        return
    if not isinstance(province, str) or province not in rules.province_names:
        raise RequestError("province", f"unknown province slug {province!r}")


def _validate_months(months: Any, day: dt.date, rules: Rules) -> None:
    row = rules.periods.at(day)
    allowed = row.value if row else rules.periods.last.value
    if not _is_int(months) or months not in allowed:
        shown = ", ".join(str(m) for m in allowed)
        raise RequestError("months", f"must be one of {shown}, got {months!r}")


def _validate_members(members: tuple[Member, ...], rules: Rules) -> None:
    if not members:
        raise RequestError("members", "must not be empty")
    if len(members) > rules.limits.max_members:
        raise RequestError(
            "members", f"too many members ({len(members)} > {rules.limits.max_members})"
        )
    for i, member in enumerate(members):
        if not _is_int(member.age) or not 0 <= member.age <= rules.limits.max_age:
            raise RequestError(
                f"members[{i}].age",
                f"must be an integer 0-{rules.limits.max_age}, got {member.age!r}",
            )
        for j, group in enumerate(member.groups):
            if group not in rules.groups:
                raise RequestError(f"members[{i}].groups[{j}]", f"unknown group id {group!r}")
