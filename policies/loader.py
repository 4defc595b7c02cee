"""Read and validate the dated YAML parameters (the only I/O of the package besides the CLI).

Every error names the file and the key so a wrong edit is found at start-up, not in an answer.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from .model import (
    KIND_COVERED,
    KIND_SUPPORT,
    PROVINCE,
    STATE,
    Dated,
    FactItem,
    FactTopic,
    GroupRule,
    Limits,
    ProvinceRules,
    Question,
    Rules,
    Timeline,
)

PARAMETERS_DIR = Path(__file__).parent / "parameters"
_HUNDRED = Decimal(100)

# Reads the `value` of one dated row (the row's mapping, its key for errors).
_ValueParser = Callable[[dict[str, Any], str], Any]


class ParameterError(ValueError):
    """A parameter file is invalid; the message names the file and the key."""

    def __init__(self, file: str, key: str, problem: str):
        super().__init__(f"{file}: {key}: {problem}")
        self.file, self.key, self.problem = file, key, problem


class _Ctx:
    """The file being read, for error messages."""

    def __init__(self, path: Path, root: Path):
        self.path = path
        self.name = str(path.relative_to(root)) if path.is_relative_to(root) else str(path)

    def fail(self, key: str, problem: str) -> ParameterError:
        return ParameterError(self.name, key, problem)


def _read(ctx: _Ctx) -> dict[str, Any]:
    try:
        data = yaml.safe_load(ctx.path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ctx.fail("(file)", f"invalid YAML: {exc}".replace("\n", " ")) from exc
    except OSError as exc:
        raise ctx.fail("(file)", f"cannot read: {exc}") from exc
    if not isinstance(data, dict):
        raise ctx.fail("(file)", "top level must be a mapping")
    return data


def _require(ctx: _Ctx, data: dict[str, Any], key: str, where: str) -> Any:
    if key not in data or data[key] is None:
        raise ctx.fail(f"{where}.{key}" if where else key, "missing")
    return data[key]


def _date(ctx: _Ctx, raw: Any, key: str) -> dt.date:
    if isinstance(raw, dt.datetime):
        return raw.date()
    if isinstance(raw, dt.date):
        return raw
    try:
        return dt.date.fromisoformat(str(raw))
    except ValueError as exc:
        raise ctx.fail(key, f"not a date (YYYY-MM-DD): {raw!r}") from exc


def _number(ctx: _Ctx, raw: Any, key: str) -> Decimal:
    if isinstance(raw, bool) or not isinstance(raw, int | float | str):
        raise ctx.fail(key, f"not a number: {raw!r}")
    try:
        value = Decimal(str(raw))
    except InvalidOperation as exc:
        raise ctx.fail(key, f"not a number: {raw!r}") from exc
    if not value.is_finite():
        raise ctx.fail(key, f"not a finite number: {raw!r}")
    return value


def _percent(ctx: _Ctx, raw: Any, key: str) -> Decimal:
    value = _number(ctx, raw, key)
    if not 0 <= value <= _HUNDRED:
        raise ctx.fail(key, f"percentage out of 0-100: {raw}")
    return value


def _positive_int(ctx: _Ctx, raw: Any, key: str) -> int:
    if isinstance(raw, bool) or not isinstance(raw, int) or raw <= 0:
        raise ctx.fail(key, f"must be a positive integer: {raw!r}")
    return raw


def _row(ctx: _Ctx, raw: Any, key: str, parse_value: _ValueParser) -> Dated:
    if not isinstance(raw, dict):
        raise ctx.fail(key, "must be a mapping with start, value and reference")
    start = _date(ctx, _require(ctx, raw, "start", key), f"{key}.start")
    end = _date(ctx, raw["end"], f"{key}.end") if raw.get("end") is not None else None
    if end is not None and end < start:
        raise ctx.fail(f"{key}.end", f"end {end} is before start {start}")
    reference = raw.get("reference")
    if not isinstance(reference, str) or not reference.strip():
        raise ctx.fail(f"{key}.reference", "missing legal reference")
    unconfirmed = raw.get("unconfirmed", False)
    if not isinstance(unconfirmed, bool):
        raise ctx.fail(f"{key}.unconfirmed", "must be true or false")
    note = raw.get("note")
    if unconfirmed and (not isinstance(note, str) or not note.strip()):
        raise ctx.fail(f"{key}.note", "an unconfirmed value needs a note saying what is unsure")
    return Dated(
        start=start,
        end=end,
        value=parse_value(raw, key),
        reference=reference.strip(),
        source=f"{ctx.name}: {key}",
        unconfirmed=unconfirmed,
        note=note.strip() if isinstance(note, str) else None,
    )


def _timeline(ctx: _Ctx, raw: Any, key: str, parse_value: _ValueParser) -> Timeline:
    if not isinstance(raw, list) or not raw:
        raise ctx.fail(key, "must be a non-empty list of dated values")
    rows = tuple(_row(ctx, item, f"{key}[{i}]", parse_value) for i, item in enumerate(raw))
    for i in range(1, len(rows)):
        prev, cur = rows[i - 1], rows[i]
        if cur.start <= prev.start:
            raise ctx.fail(f"{key}[{i}].start", f"dates not sorted: {cur.start} after {prev.start}")
        if prev.end is not None and prev.end >= cur.start:
            raise ctx.fail(f"{key}[{i}].start", f"overlaps previous value ending {prev.end}")
    return Timeline(name=f"{ctx.name}: {key}", rows=rows)


def _value_parser(kind: str) -> Callable[[_Ctx], _ValueParser]:
    """How `value` (or `percent`) of a row is read for each parameter kind."""

    def vnd(ctx: _Ctx) -> _ValueParser:
        return lambda raw, key: _positive_int(ctx, _require(ctx, raw, "value", key), f"{key}.value")

    def rate(ctx: _Ctx) -> _ValueParser:
        return lambda raw, key: _percent(ctx, _require(ctx, raw, "value", key), f"{key}.value")

    def percent_list(ctx: _Ctx) -> _ValueParser:
        def parse(raw: dict[str, Any], key: str) -> tuple[Decimal, ...]:
            items = _require(ctx, raw, "value", key)
            if not isinstance(items, list) or not items:
                raise ctx.fail(f"{key}.value", "must be a non-empty list of percentages")
            return tuple(_percent(ctx, v, f"{key}.value[{i}]") for i, v in enumerate(items))

        return parse

    def int_list(ctx: _Ctx) -> _ValueParser:
        def parse(raw: dict[str, Any], key: str) -> tuple[int, ...]:
            items = _require(ctx, raw, "value", key)
            if not isinstance(items, list) or not items:
                raise ctx.fail(f"{key}.value", "must be a non-empty list of integers")
            return tuple(_positive_int(ctx, v, f"{key}.value[{i}]") for i, v in enumerate(items))

        return parse

    def support(ctx: _Ctx) -> _ValueParser:
        return lambda raw, key: _percent(ctx, _require(ctx, raw, "percent", key), f"{key}.percent")

    def nothing(ctx: _Ctx) -> _ValueParser:
        return lambda raw, key: None

    return {
        "vnd": vnd,
        "rate": rate,
        "percent_list": percent_list,
        "int_list": int_list,
        "support": support,
        "none": nothing,
    }[kind]


def _timeline_file(path: Path, root: Path, kind: str) -> Timeline:
    ctx = _Ctx(path, root)
    data = _read(ctx)
    return _timeline(ctx, _require(ctx, data, "values", ""), "values", _value_parser(kind)(ctx))


def _age(ctx: _Ctx, raw: Any, key: str) -> int | None:
    if raw is None:
        return None
    if isinstance(raw, bool) or not isinstance(raw, int) or raw < 0:
        raise ctx.fail(key, f"must be a non-negative integer: {raw!r}")
    return raw


def _rule(ctx: _Ctx, raw: Any, key: str, known: tuple[str, ...], payers: set[str]) -> GroupRule:
    if not isinstance(raw, dict):
        raise ctx.fail(key, "must be a mapping")
    rule_id = _require(ctx, raw, "id", key)
    kind = _require(ctx, raw, "kind", key)
    if kind not in (KIND_SUPPORT, KIND_COVERED):
        raise ctx.fail(f"{key}.kind", f"must be {KIND_SUPPORT} or {KIND_COVERED}: {kind!r}")
    payer = _require(ctx, raw, "payer", key)
    if kind == KIND_SUPPORT and payer not in payers:
        raise ctx.fail(f"{key}.payer", f"must be one of {sorted(payers)}: {payer!r}")
    groups = _require(ctx, raw, "groups", key)
    if not isinstance(groups, list) or not groups:
        raise ctx.fail(f"{key}.groups", "must be a non-empty list of group ids")
    for i, group in enumerate(groups):
        if group not in known:
            raise ctx.fail(f"{key}.groups[{i}]", f"unknown group id {group!r}")
    title = _require(ctx, raw, "title", key)
    min_age = _age(ctx, raw.get("min_age"), f"{key}.min_age")
    max_age = _age(ctx, raw.get("max_age"), f"{key}.max_age")
    if min_age is not None and max_age is not None and min_age > max_age:
        raise ctx.fail(f"{key}.max_age", f"max_age {max_age} below min_age {min_age}")
    by_age = raw.get("by_age", False)
    if not isinstance(by_age, bool):
        raise ctx.fail(f"{key}.by_age", "must be true or false")
    if by_age and min_age is None and max_age is None:
        raise ctx.fail(f"{key}.by_age", "by_age needs min_age or max_age")
    application = raw.get("application")
    if application is not None and (not isinstance(application, str) or not application.strip()):
        raise ctx.fail(f"{key}.application", "must be a text saying where to apply")
    excludes = raw.get("excludes") or []
    if not isinstance(excludes, list) or any(g not in known for g in excludes):
        raise ctx.fail(f"{key}.excludes", f"must be a list of known group ids: {excludes!r}")
    values = _require(ctx, raw, "values", key)
    return GroupRule(
        id=str(rule_id),
        title=str(title),
        kind=kind,
        payer=str(payer),
        groups=frozenset(groups),
        timeline=_timeline(ctx, values, f"{key}.values", _value_parser("support")(ctx)),
        by_age=by_age,
        min_age=min_age,
        max_age=max_age,
        application=application.strip() if application else None,
        excludes=frozenset(excludes),
    )


def _rules(
    ctx: _Ctx, data: dict[str, Any], known: tuple[str, ...], payers: set[str]
) -> tuple[GroupRule, ...]:
    raw = _require(ctx, data, "rules", "")
    if not isinstance(raw, list):
        raise ctx.fail("rules", "must be a list")
    rules = tuple(_rule(ctx, item, f"rules[{i}]", known, payers) for i, item in enumerate(raw))
    seen: set[str] = set()
    for i, rule in enumerate(rules):
        if rule.id in seen:
            raise ctx.fail(f"rules[{i}].id", f"duplicate rule id {rule.id!r}")
        seen.add(rule.id)
    return rules


def _groups(path: Path, root: Path) -> tuple[str, ...]:
    ctx = _Ctx(path, root)
    raw = _require(ctx, _read(ctx), "groups", "")
    if not isinstance(raw, list) or not all(isinstance(g, str) and g for g in raw):
        raise ctx.fail("groups", "must be a list of group ids")
    if len(set(raw)) != len(raw):
        raise ctx.fail("groups", "duplicate group id")
    return tuple(raw)


def _limits(path: Path, root: Path) -> Limits:
    ctx = _Ctx(path, root)
    data = _read(ctx)
    return Limits(
        max_members=_positive_int(ctx, _require(ctx, data, "max_members", ""), "max_members"),
        max_age=_positive_int(ctx, _require(ctx, data, "max_age", ""), "max_age"),
    )


def _province(
    path: Path, root: Path, known: tuple[str, ...], valid: dict[str, str]
) -> ProvinceRules:
    ctx = _Ctx(path, root)
    slug = path.stem
    if slug not in valid:
        raise ctx.fail("(file name)", f"unknown province slug {slug!r}")
    data = _read(ctx)
    declared = _require(ctx, data, "province", "")
    if declared != slug:
        raise ctx.fail("province", f"{declared!r} does not match the file name {slug!r}")
    raw_nm = data.get("not_modelled")
    not_modelled = (
        _timeline(ctx, raw_nm, "not_modelled", _value_parser("none")(ctx)) if raw_nm else None
    )
    sources = data.get("sources") or []
    if not isinstance(sources, list) or not all(isinstance(x, str) and x for x in sources):
        raise ctx.fail("sources", "must be a list of document names")
    rules = _rules(ctx, data, known, {PROVINCE})
    return ProvinceRules(slug, valid[slug], rules, not_modelled, tuple(sources))


def _group_set(ctx: _Ctx, raw: Any, key: str, known: tuple[str, ...]) -> frozenset[str]:
    if raw is None:
        return frozenset()
    if not isinstance(raw, list):
        raise ctx.fail(key, "must be a list of group ids")
    for i, group in enumerate(raw):
        if group not in known:
            raise ctx.fail(f"{key}[{i}]", f"unknown group id {group!r}")
    return frozenset(raw)


def _month_day(ctx: _Ctx, raw: Any, key: str) -> tuple[int, int] | None:
    if raw is None:
        return None
    try:
        month, day = (int(x) for x in str(raw).split("-"))
        dt.date(2000, month, day)
    except ValueError as exc:
        raise ctx.fail(key, f"must be MM-DD: {raw!r}") from exc
    return month, day


def _question(ctx: _Ctx, raw: Any, key: str, known: tuple[str, ...]) -> Question:
    if not isinstance(raw, dict):
        raise ctx.fail(key, "must be a mapping")
    when = raw.get("when") or {}
    probe = _require(ctx, raw, "probe", key)
    if not isinstance(when, dict) or not isinstance(probe, dict):
        raise ctx.fail(key, "when and probe must be mappings")
    add = _group_set(ctx, probe.get("add"), f"{key}.probe.add", known)
    drop = _group_set(ctx, probe.get("drop"), f"{key}.probe.drop", known)
    probe_age = _age(ctx, probe.get("age"), f"{key}.probe.age")
    if not add and not drop and probe_age is None:
        raise ctx.fail(f"{key}.probe", "must add or drop a group or set an age")
    reference = _require(ctx, raw, "reference", key)
    answers = raw.get("answers") or {}
    if not isinstance(answers, dict):
        raise ctx.fail(f"{key}.answers", "must be a mapping with probe and other")
    on_probe, on_other = answers.get("probe") or {}, answers.get("other") or {}
    if not isinstance(on_probe, dict) or not isinstance(on_other, dict):
        raise ctx.fail(f"{key}.answers", "probe and other must be mappings")
    other_groups = _group_set(ctx, on_other.get("add"), f"{key}.answers.other.add", known)
    return Question(
        id=str(_require(ctx, raw, "id", key)),
        text=str(_require(ctx, raw, "text", key)).strip(),
        groups_any=_group_set(ctx, when.get("groups_any"), f"{key}.when.groups_any", known),
        groups_none=_group_set(ctx, when.get("groups_none"), f"{key}.when.groups_none", known),
        min_age=_age(ctx, when.get("min_age"), f"{key}.when.min_age"),
        max_age=_age(ctx, when.get("max_age"), f"{key}.when.max_age"),
        until_month_day=_month_day(ctx, when.get("until"), f"{key}.when.until"),
        add_groups=tuple(sorted(add)),
        drop_groups=tuple(sorted(drop)),
        probe_age=probe_age,
        reference=str(reference),
        other_groups=tuple(sorted(other_groups)),
        probe_label=str(on_probe["label"]).strip() if on_probe.get("label") else None,
        other_label=str(on_other["label"]).strip() if on_other.get("label") else None,
    )


def _questions(path: Path, root: Path, known: tuple[str, ...]) -> tuple[Question, ...]:
    ctx = _Ctx(path, root)
    raw = _require(ctx, _read(ctx), "questions", "")
    if not isinstance(raw, list):
        raise ctx.fail("questions", "must be a list")
    out = tuple(_question(ctx, q, f"questions[{i}]", known) for i, q in enumerate(raw))
    if len({q.id for q in out}) != len(out):
        raise ctx.fail("questions", "duplicate question id")
    return out


def _fact_topic(path: Path, root: Path) -> FactTopic:
    """One answer topic: dated items, each with its own reference (facts/<topic>.yaml)."""
    ctx = _Ctx(path, root)
    data = _read(ctx)
    topic = _require(ctx, data, "topic", "")
    if topic != path.stem:
        raise ctx.fail("topic", f"{topic!r} does not match the file name {path.stem!r}")
    raw = _require(ctx, data, "items", "")
    if not isinstance(raw, list) or not raw:
        raise ctx.fail("items", "must be a non-empty list")
    items = []
    for i, item in enumerate(raw):
        key = f"items[{i}]"
        if not isinstance(item, dict):
            raise ctx.fail(key, "must be a mapping")
        text = _require(ctx, item, "text", key)
        row = _row(ctx, item, key, lambda _raw, _key: None)
        items.append(FactItem(str(_require(ctx, item, "id", key)), str(text).strip(), row))
    if len({i.id for i in items}) != len(items):
        raise ctx.fail("items", "duplicate item id")
    return FactTopic(str(topic), str(_require(ctx, data, "title", "")).strip(), tuple(items))


def province_names() -> dict[str, str]:
    """Every current province slug (34 since 2025-07-01) with its official name."""
    from vietnam_provinces import Province

    return {p.codename: p.name for p in Province.iter_all()}


def load_rules_from(directory: Path | str) -> Rules:
    """Load and validate every parameter file under `directory` (uncached)."""
    root = Path(directory)
    known = _groups(root / "groups.yaml", root)
    valid = province_names()
    national_ctx = _Ctx(root / "national_groups.yaml", root)
    national = _rules(national_ctx, _read(national_ctx), known, {STATE})
    provinces = {
        p.stem: _province(p, root, known, valid)
        for p in sorted((root / "provinces").glob("*.yaml"))
    }
    return Rules(
        groups=known,
        base_salary=_timeline_file(root / "base_salary.yaml", root, "vnd"),
        rate=_timeline_file(root / "contribution_rate.yaml", root, "rate"),
        ladder=_timeline_file(root / "household_ladder.yaml", root, "percent_list"),
        periods=_timeline_file(root / "periods.yaml", root, "int_list"),
        national=national,
        provinces=provinces,
        province_names=valid,
        limits=_limits(root / "limits.yaml", root),
        questions=_questions(root / "questions.yaml", root, known),
        facts={p.stem: _fact_topic(p, root) for p in sorted((root / "facts").glob("*.yaml"))},
    )


@lru_cache(maxsize=4)
def load_rules(directory: str | None = None) -> Rules:
    """The validated rules, cached per directory (default: the packaged parameters)."""
    return load_rules_from(Path(directory) if directory else PARAMETERS_DIR)
