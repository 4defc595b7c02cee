"""Provinces and communes after the 2025 reform (no district level), and name lookup."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

import vietnam_provinces as vp
from sqlalchemy import case, insert, select, update
from sqlalchemy.orm import Session

from db.models import Commune, Province
from db.text import (
    like_escape,
    normalise,
    province_key,
    strip_commune_prefix,
    strip_province_prefix,
)

SOURCE_VERSION = f"vietnam-provinces=={vp.__version__} (data {vp.__data_version__})"

EXACT, PREFIX, CONTAINS = 3, 2, 1
MATCH_NAMES = {EXACT: "exact", PREFIX: "prefix", CONTAINS: "contains"}


@dataclass(frozen=True)
class Candidate:
    commune_id: int
    name: str  # "Phường Ái Quốc"
    division_type: str
    province_id: int
    province_name: str
    province_slug: str
    match: str  # exact / prefix / contains
    score: int

    @property
    def label(self) -> str:
        return f"{self.name}, {self.province_name}"


@dataclass(frozen=True)
class LoadResult:
    provinces_added: int
    provinces_updated: int
    communes_added: int
    communes_updated: int
    source_version: str


def _province_rows() -> list[dict[str, object]]:
    return [
        {
            "id": int(p.code),
            "name": p.name,
            "slug": p.codename,
            "division_type": p.division_type.value,
            "search_key": strip_province_prefix(normalise(p.name)),
            "source_version": SOURCE_VERSION,
        }
        for p in vp.Province.iter_all()
    ]


def _commune_rows() -> list[dict[str, object]]:
    return [
        {
            "id": int(w.code),
            "province_id": int(w.province_code),
            "name": w.name,
            "codename": w.codename,
            "division_type": w.division_type.value,
            "search_key": strip_commune_prefix(normalise(w.name))[0],
            "source_version": SOURCE_VERSION,
        }
        for w in vp.Ward.iter_all()
    ]


def _upsert(session: Session, model: type, rows: list[dict[str, object]]) -> tuple[int, int]:
    """Insert missing rows, update changed ones; local columns (bonus) are left alone."""
    cols = [k for k in rows[0] if k != "id"]
    existing = {
        r[0]: tuple(r[1:])
        for r in session.execute(select(model.id, *(getattr(model, c) for c in cols)))  # type: ignore[attr-defined]
    }
    new = [r for r in rows if r["id"] not in existing]
    changed = [
        r for r in rows if r["id"] in existing and existing[r["id"]] != tuple(r[c] for c in cols)
    ]
    if new:
        session.execute(insert(model), new)
    if changed:
        session.execute(update(model), changed)  # bulk UPDATE by primary key
    return len(new), len(changed)


def load_places(session: Session) -> LoadResult:
    """Idempotent: a second run adds and updates nothing."""
    pa, pu = _upsert(session, Province, _province_rows())
    session.flush()
    ca, cu = _upsert(session, Commune, _commune_rows())
    return LoadResult(pa, pu, ca, cu, SOURCE_VERSION)


def find_province(session: Session, text: str) -> Province | None:
    key = province_key(text)
    if not key:
        return None
    exact = session.scalars(select(Province).where(Province.search_key == key)).first()
    if exact is not None:
        return exact
    starts = session.scalars(
        select(Province).where(Province.search_key.like(like_escape(key) + "%", escape="\\"))
    ).all()
    return starts[0] if len(starts) == 1 else None


def _split_province(session: Session, key: str) -> list[tuple[str, Province]]:
    """'ai quoc hai phong' -> [('ai quoc', <Hải Phòng>)]: every province suffix that fits."""
    out: list[tuple[str, Province]] = []
    for prov in session.scalars(select(Province)):
        for tail in (
            prov.search_key,
            f"tp {prov.search_key}",
            f"tinh {prov.search_key}",
            f"thanh pho {prov.search_key}",
        ):
            if key.endswith(" " + tail) and len(key) > len(tail) + 1:
                out.append((key[: -len(tail) - 1].strip(), prov))
    return out


def _query(
    session: Session, key: str, division: str | None, province_id: int | None, limit: int
) -> list[Candidate]:
    if not key:
        return []
    esc = like_escape(key)
    score = case(
        (Commune.search_key == key, EXACT),
        (Commune.search_key.like(esc + "%", escape="\\"), PREFIX),
        else_=CONTAINS,
    )
    stmt = (
        select(Commune, Province, score.label("score"))
        .join(Province, Commune.province_id == Province.id)
        .where(Commune.search_key.like("%" + esc + "%", escape="\\"))
    )
    if province_id is not None:
        stmt = stmt.where(Commune.province_id == province_id)
    if division is not None:
        stmt = stmt.where(Commune.division_type == division)
    stmt = stmt.order_by(score.desc(), Commune.name, Province.name, Commune.id).limit(limit)
    return [
        Candidate(c.id, c.name, c.division_type, p.id, p.name, p.slug, MATCH_NAMES[s], s)
        for c, p, s in session.execute(stmt)
    ]


def find_communes(
    session: Session, text: str, province_hint: str | None = None, limit: int = 10
) -> list[Candidate]:
    """Communes matching free text, best first (exact > prefix > contains).

    Accepts 'Phường Ái Quốc, Hải Phòng', 'ai quoc hai phong', 'An Lão' (several results when
    ambiguous). A typed prefix (xã/phường/đặc khu) narrows the type when that still matches.
    """
    province_id: int | None = None
    if province_hint:
        prov = find_province(session, province_hint)
        province_id = prov.id if prov else None

    if "," in text:
        commune_part, _, province_part = text.partition(",")
        prov = find_province(session, province_part)
        if prov is not None:
            province_id = prov.id
        attempts = [(normalise(commune_part), province_id)]
    else:
        key = normalise(text)
        attempts = (
            [(k, p.id) for k, p in _split_province(session, key)] if province_id is None else []
        )
        attempts.append((key, province_id))

    results: dict[int, Candidate] = {}
    for raw_key, prov_id in attempts:
        bare, division = strip_commune_prefix(raw_key)
        found = _query(session, bare, division, prov_id, limit) if division else []
        if not found:
            found = _query(session, bare, None, prov_id, limit)
        if not found and division is None and raw_key != bare:
            found = _query(session, raw_key, None, prov_id, limit)
        for cand in found:
            if cand.commune_id not in results or results[cand.commune_id].score < cand.score:
                results[cand.commune_id] = cand
        # A province-qualified exact hit beats reading the province words as part of the name.
        if any(c.score == EXACT for c in found) and prov_id is not None:
            break
    ranked = sorted(results.values(), key=lambda c: (-c.score, c.name, c.province_name))
    best = ranked[0].score if ranked else 0
    if best == EXACT:
        ranked = [c for c in ranked if c.score == EXACT]
        # Typed with diacritics: names equal with their accents beat accent-only matches
        # ('Bó Hạ' vs 'Bố Hạ'); without diacritics every accent-stripped match stays.
        typed = _accented_bare(text.partition(",")[0] if "," in text else text)
        if typed != normalise(typed):
            same = [c for c in ranked if _accented_bare(c.name) == typed]
            ranked = same or ranked
    return ranked[:limit]


def _accented_bare(name: str) -> str:
    """Lower-case name with accents kept and the division prefix removed."""
    words = unicodedata.normalize("NFC", name).lower().replace(",", " ").split()
    bare, _ = strip_commune_prefix(normalise(" ".join(words)))
    n = len(bare.split())
    return " ".join(words[-n:]) if n else ""


def resolve_commune(
    session: Session, text: str, province_hint: str | None = None
) -> tuple[Commune | None, str | None]:
    """Exactly one commune or (None, reason) -- used by imports and the admin CLI."""
    cands = find_communes(session, text, province_hint, limit=5)
    if not cands:
        return None, f"no commune matches {text!r}"
    exact = [c for c in cands if c.score == EXACT]
    if not exact:
        labels = "; ".join(c.label for c in cands)
        return None, f"no exact match for {text!r} (did you mean: {labels})"
    if len(exact) > 1:
        labels = "; ".join(c.label for c in exact)
        return None, f"ambiguous commune {text!r}: {labels} (write 'commune, province')"
    return session.get(Commune, exact[0].commune_id), None
