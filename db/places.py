"""Provinces and communes after the 2025 reform (no district level), and name lookup."""

from __future__ import annotations

from dataclasses import dataclass

import vietnam_provinces as vp
from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from db import place_index
from db.models import Commune, Province
from db.text import normalise, strip_commune_prefix, strip_province_prefix

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
    match: str  # exact / prefix / contains (typos and Telex leftovers count as contains)
    score: int
    source: str | None = None  # set when reached through an alias, e.g. a former province
    # pre-2025 commune(s) the text named ('Xã Đồng Vương, Huyện Yên Thế, Tỉnh Bắc Giang'), when
    # reached through db.place_history (source = place_history.SOURCE)
    former: str | None = None

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
    place_index.invalidate()
    return LoadResult(pa, pu, ca, cu, SOURCE_VERSION)


def find_province(session: Session, text: str) -> Province | None:
    """'Hải Phòng', 'tp hcm', 'HN', 'Sài Gòn', a former province ('Bắc Giang' -> Bắc Ninh),
    a unique prefix or a one-letter typo of a long name."""
    found = place_index.get_index(session).find_province(normalise(text))
    return session.get(Province, found[0]) if found else None


def find_communes(
    session: Session, text: str, province_hint: str | None = None, limit: int = 10
) -> list[Candidate]:
    """Communes matching free text, best first (exact > prefix > contains, then typo distance).

    Accepts 'Phường Ái Quốc, Hải Phòng', 'ai quoc hai phong', 'aiquoc HP', 'ai quooc' (typo),
    'xã Tam Tiến, Yên Thế, Bắc Giang' (former province), 'An Lão' (several results when
    ambiguous). A typed prefix (xã/phường/đặc khu) narrows the type when that still matches;
    a province after the name (comma or not) narrows to it. Matching ignores accents, case and
    spaces; only an accent-free equal name is "exact", typos and Telex leftovers are "contains".
    A bare province name ('Thanh Hoa', 'Hà Nội') yields no exact commune, so callers offer the
    province (unless typed with the accents of a commune and not of the province).
    Pre-2025 names ('Thị trấn Cầu Gồ', 'Đồng Vương, Yên Thế') reach today's commune through
    db.place_history: source = place_history.SOURCE, `former` names the old commune; a split
    commune gives each part (default first).
    """
    idx = place_index.get_index(session)
    hint_id: int | None = None
    if province_hint:
        found = idx.find_province(normalise(province_hint))
        hint_id = found[0] if found else None
    out = []
    for hit in place_index.search(idx, text, hint_id, limit):
        c, p = hit.commune, idx.provinces[hit.commune.province_id]
        score = {place_index.EXACT: EXACT, place_index.PREFIX: PREFIX}.get(hit.tier, CONTAINS)
        out.append(
            Candidate(
                c.id,
                c.name,
                c.division_type,
                p.id,
                p.name,
                p.slug,
                MATCH_NAMES[score],
                score,
                hit.source,
                hit.former,
            )
        )
    return out


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
    if len(exact) > 1 and len({c.former for c in exact}) == 1 and exact[0].former:
        labels = "; ".join(c.label for c in exact)
        return None, (
            f"{exact[0].former} was split in 2025 between {labels} (first: the converter's default; "
            "write today's commune)"
        )
    if len(exact) > 1 and all(c.former for c in exact):
        labels = "; ".join(f"{c.former} -> {c.label}" for c in exact)
        return None, (
            f"ambiguous former commune {text!r}: {labels} "
            f"(add the old district: '{text}, <old district>', or write today's commune)"
        )
    if len(exact) > 1:
        labels = "; ".join(c.label for c in exact)
        return None, f"ambiguous commune {text!r}: {labels} (write 'commune, province')"
    return session.get(Commune, exact[0].commune_id), None
