"""In-memory commune/province name index: accent-, case- and spacing-free, typo tolerant.

Built once per process and database from the places tables (3,321 communes, ~1 MB) and dropped
by `invalidate()` (load_places calls it). Lookups run in Python: exact / prefix / contains on
the folded key, Damerau-Levenshtein (OSA) through a symmetric-delete index for typos.
Pre-2025 commune names are looked up in db.place_history (exact accent-free names only).
"""

from __future__ import annotations

import re
import threading
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from db import place_history
from db.models import Commune, Province
from db.place_aliases import FORMER_PROVINCE_SOURCE, FORMER_PROVINCES, PROVINCE_ABBREVIATIONS
from db.text import (
    COMMUNE_PREFIXES,
    DISTRICT_PREFIXES,
    PROVINCE_PREFIXES,
    deletions,
    normalise,
    osa_distance,
    strip_commune_prefix,
    strip_province_prefix,
    telex_fold,
    tokens,
)

EXACT, PREFIX, OTHER = 3, 2, 1
MAX_TYPOS = 2
_PREFIX_WORDS = {p for p, _ in COMMUNE_PREFIXES} | set(DISTRICT_PREFIXES) | set(PROVINCE_PREFIXES)
_SEGMENT_SPLIT = re.compile(r"[,;/|\n]| - ")


@dataclass(frozen=True)
class IndexedCommune:
    id: int
    name: str
    division_type: str
    province_id: int
    key: str  # "ai quoc"
    compact: str  # "aiquoc"
    accented: str  # "áiquốc" (lower case, no prefix, no spaces)


@dataclass(frozen=True)
class IndexedProvince:
    id: int
    name: str
    slug: str
    key: str


@dataclass(frozen=True)
class Hit:
    commune: IndexedCommune
    tier: int  # EXACT / PREFIX / OTHER
    rank: int  # order inside a tier: 0 best
    source: str | None
    former: str | None = None  # pre-2025 commune(s) the text named, when reached through one


@dataclass
class PlaceIndex:
    communes: list[IndexedCommune]
    provinces: dict[int, IndexedProvince]
    by_compact: dict[str, list[IndexedCommune]] = field(default_factory=dict)
    by_id: dict[int, IndexedCommune] = field(default_factory=dict)
    by_province: dict[int, list[IndexedCommune]] = field(default_factory=dict)
    # compact province name / alias -> (province id, source of the alias or None)
    province_names: dict[str, tuple[int, str | None]] = field(default_factory=dict)
    province_accented: dict[int, set[str]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        by_compact: dict[str, list[IndexedCommune]] = defaultdict(list)
        by_province: dict[int, list[IndexedCommune]] = defaultdict(list)
        for c in self.communes:
            by_compact[c.compact].append(c)
            by_province[c.province_id].append(c)
        self.by_compact, self.by_province = dict(by_compact), dict(by_province)
        self.by_id = {c.id: c for c in self.communes}
        slugs = {p.slug: p.id for p in self.provinces.values()}
        accented: dict[int, set[str]] = defaultdict(set)
        for p in self.provinces.values():
            self.province_names[p.key.replace(" ", "")] = (p.id, None)
            accented[p.id].add(_accented_bare(p.name, p.key))
        for names, source in (
            (PROVINCE_ABBREVIATIONS, None),
            (FORMER_PROVINCES, FORMER_PROVINCE_SOURCE),
        ):
            for alias, slug in names.items():
                if slug in slugs:
                    key = normalise(alias)
                    self.province_names.setdefault(key.replace(" ", ""), (slugs[slug], source))
                    accented[slugs[slug]].add(_accented_bare(alias, key))
        self.province_accented = dict(accented)
        _ensure_deletes(self.by_compact)

    # -- provinces ---------------------------------------------------------------------------

    def match_province(self, key: str) -> tuple[int, str | None] | None:
        """Whole key is a province ('tp hai phong', 'hp', 'bac giang'): (id, alias source)."""
        compact = strip_province_prefix(key).replace(" ", "")
        return self.province_names.get(compact) if compact else None

    def find_province(self, key: str) -> tuple[int, str | None] | None:
        """Exact name or alias, else a unique prefix, else a unique one-typo match."""
        key = strip_province_prefix(key)
        if not key:
            return None
        exact = self.match_province(key)
        if exact is not None:
            return exact
        compact = key.replace(" ", "")
        starts = {v for k, v in self.province_names.items() if len(k) > 3 and k.startswith(compact)}
        if len({pid for pid, _ in starts}) == 1:
            return min(starts, key=lambda v: v[1] or "")
        if len(compact) >= 5:
            near = {
                v
                for k, v in self.province_names.items()
                if len(k) > 3 and osa_distance(compact, k, 1) <= 1
            }
            if len({pid for pid, _ in near}) == 1:
                return min(near, key=lambda v: v[1] or "")
        return None

    # -- communes ----------------------------------------------------------------------------

    def match(
        self, bare: str, province_id: int | None, division: str | None
    ) -> dict[int, tuple[int, int]]:
        """Commune id -> (tier, rank) for one folded name (no prefix)."""
        out: dict[int, tuple[int, int]] = {}
        qc = bare.replace(" ", "")
        if not qc:
            return out
        pool = self.communes if province_id is None else self.by_province.get(province_id, [])

        def ok(c: IndexedCommune) -> bool:
            return (province_id is None or c.province_id == province_id) and (
                division is None or c.division_type == division
            )

        def put(c: IndexedCommune, tier: int, rank: int) -> None:
            old = out.get(c.id)
            if old is None or (tier, -rank) > (old[0], -old[1]):
                out[c.id] = (tier, rank)

        for c in pool:
            if division is not None and c.division_type != division:
                continue
            if c.compact == qc:
                put(c, EXACT, 0)
            elif c.key.startswith(bare) or c.compact.startswith(qc):
                put(c, PREFIX, 0)
            elif bare in c.key or (len(qc) >= 3 and qc in c.compact):
                put(c, OTHER, 2)
        limit = typo_limit(qc)
        if limit:
            for key in _near_keys(qc, limit):
                d = osa_distance(qc, key, limit)
                if 0 < d <= limit:
                    for c in self.by_compact.get(key, ()):
                        if ok(c):
                            put(c, OTHER, 1 if d == 1 else 3)
        tele = telex_fold(bare)
        if tele != bare:
            for cid, (tier, _) in self.match(tele, province_id, division).items():
                if cid not in out:
                    out[cid] = (OTHER, 0 if tier == EXACT else 1)
        return out


def typo_limit(compact: str) -> int:
    """Edits tolerated for a typed name: none under 4 letters, 1 up to 7, then 2."""
    n = len(compact)
    return 0 if n < 4 else 1 if n <= 7 else 2


def _accented_bare(name: str, bare_key: str) -> str:
    """'Phường Ái Quốc', 'ai quoc' -> 'áiquốc' (the words of the bare key, as written)."""
    words = [typed for _, typed in tokens(name)]
    n = len(bare_key.split())
    return "".join(words[-n:]) if n else ""


# -- symmetric-delete index, shared by every database (keys are the same everywhere) ---------

_DELETES: dict[str, set[str]] = {}
_INDEXED: set[str] = set()
_LOCK = threading.Lock()


def _ensure_deletes(keys: Mapping[str, object]) -> None:
    missing = [k for k in keys if k not in _INDEXED]
    if not missing:
        return
    with _LOCK:
        for k in missing:
            if k in _INDEXED:
                continue
            for d in deletions(k, MAX_TYPOS):
                _DELETES.setdefault(d, set()).add(k)
            _INDEXED.add(k)


def _near_keys(compact: str, limit: int) -> set[str]:
    out: set[str] = set()
    for d in deletions(compact, limit):
        hit = _DELETES.get(d)
        if hit:
            out |= hit
    return out


# -- per-database cache ------------------------------------------------------------------------

_CACHE: dict[str, PlaceIndex] = {}


def invalidate() -> None:
    _CACHE.clear()


def get_index(session: Session) -> PlaceIndex:
    bind = session.get_bind().engine  # the engine itself, or a connection's engine
    cache_key = bind.url.render_as_string(hide_password=True)
    idx = _CACHE.get(cache_key)
    if idx is None:
        idx = _build(session)
        if len(_CACHE) > 8:  # test runs open many databases; a process normally has one
            _CACHE.clear()
        _CACHE[cache_key] = idx
    return idx


def _build(session: Session) -> PlaceIndex:
    provinces = {
        pid: IndexedProvince(pid, name, slug, key)
        for pid, name, slug, key in session.execute(
            select(Province.id, Province.name, Province.slug, Province.search_key)
        )
    }
    communes = []
    for cid, name, division, pid, key in session.execute(
        select(
            Commune.id, Commune.name, Commune.division_type, Commune.province_id, Commune.search_key
        ).order_by(Commune.id)
    ):
        communes.append(
            IndexedCommune(
                cid, name, division, pid, key, key.replace(" ", ""), _accented_bare(name, key)
            )
        )
    return PlaceIndex(communes, provinces)


# -- query parsing -----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Attempt:
    words: list[tuple[str, str]]  # (folded, typed) words of the commune part
    province_id: int | None
    source: str | None
    qualified: bool  # province from the text or the hint
    guess: bool = False  # trailing words dropped: never an exact answer


def _cut_district(words: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """'xa tam tien huyen yen the' -> 'xa tam tien' (a district marker after the name)."""
    folded = [f for f, _ in words]
    for i in range(1, len(words) - 1):
        if _only_prefix(words[:i]):
            continue
        for marker in DISTRICT_PREFIXES:
            m = marker.split()
            if folded[i : i + len(m)] == m and len(folded) > i + len(m):
                return words[:i]
    return words


def _only_prefix(words: list[tuple[str, str]]) -> bool:
    return not words or " ".join(f for f, _ in words) in _PREFIX_WORDS


def _attempts(idx: PlaceIndex, text: str, hint_id: int | None) -> list[_Attempt]:
    segments = [t for t in (tokens(s) for s in _SEGMENT_SPLIT.split(text)) if t]
    if not segments:
        return []
    if len(segments) >= 2:
        prov = idx.match_province(" ".join(f for f, _ in segments[-1]))
        if prov is not None:
            return [_Attempt(segments[0], prov[0], prov[1], True)]
    words = [w for seg in segments for w in seg]
    out: list[_Attempt] = []
    for n in range(1, min(6, len(words) - 1) + 1):
        prov = idx.match_province(" ".join(f for f, _ in words[-n:]))
        rest = words[:-n]
        if prov is not None and not _only_prefix(rest):
            out.append(_Attempt(rest, prov[0], prov[1], True))
    out.append(_Attempt(words, hint_id, None, hint_id is not None))
    return out


def _split_prefix(words: list[tuple[str, str]]) -> tuple[str, str | None, str]:
    """Folded bare name, typed division, typed (accented) bare name without spaces."""
    key = " ".join(f for f, _ in words)
    bare, division = strip_commune_prefix(key)
    if bare == key:
        for marker in DISTRICT_PREFIXES:  # "huyện An Lão": communes named like the district
            if key.startswith(marker + " ") and len(key) > len(marker) + 1:
                bare = key[len(marker) + 1 :]
                break
    n = len(bare.split())
    return bare, division, "".join(t for _, t in words[-n:]) if n else ""


def _run(idx: PlaceIndex, att: _Attempt) -> dict[int, tuple[int, int]]:
    found: dict[int, tuple[int, int]] = {}
    cut = _cut_district(att.words)
    for words in [cut, att.words] if cut != att.words else [att.words]:
        raw = " ".join(f for f, _ in words)
        bare, division, _ = _split_prefix(words)
        keys: list[tuple[str, str | None]] = [(bare, division)] if division else []
        keys.append((bare, None))
        if raw != bare:
            keys.append((raw, None))  # 'Phượng Dực', 'Quan Sơn': the "prefix" is the name
        narrowed = False
        for key, div in keys:
            if narrowed and key == bare:
                continue  # the typed type matched: keep the narrowing
            hits = idx.match(key, att.province_id, div)
            if key == raw and key != bare and found:
                hits = {k: v for k, v in hits.items() if v[0] == EXACT}
            for cid, v in hits.items():
                if cid not in found or (v[0], -v[1]) > (found[cid][0], -found[cid][1]):
                    found[cid] = v
            narrowed = narrowed or (div is not None and bool(hits))
        if any(v[0] == EXACT for v in found.values()):
            return found
    if not found and len(att.words) >= 3:
        # 'xa tam tien yen the': drop trailing words (an old district) while 2+ words remain.
        for n in range(len(att.words) - 1, 1, -1):
            b, d, _ = _split_prefix(att.words[:n])
            if len(b.split()) < 2:
                break
            hits = {k: v for k, v in idx.match(b, att.province_id, d).items() if v[0] == EXACT}
            if hits:
                return {k: (OTHER, 0) for k in hits}
    return found


def search(idx: PlaceIndex, text: str, hint_id: int | None, limit: int) -> list[Hit]:
    former = _history(idx, text[:200], hint_id)
    attempts = _attempts(idx, text[:200], hint_id)
    best: dict[int, tuple[int, int, _Attempt]] = {}
    for att in attempts:
        for cid, (tier, rank) in _run(idx, att).items():
            old = best.get(cid)
            if (
                old is None
                or (tier, -rank) > (old[0], -old[1])
                or ((tier, rank) == old[:2] and att.qualified and not old[2].qualified)
            ):
                best[cid] = (tier, rank, att)
        if att.qualified and any(v[0] == EXACT and v[2] is att for v in best.values()):
            break  # a province-qualified exact hit beats reading the province as part of the name
    if not best and attempts and attempts[0].qualified and hint_id is None:
        # The province typed does not hold that name: look everywhere.
        att = _Attempt(attempts[0].words, None, None, False)
        best = {cid: (t, r, att) for cid, (t, r) in _run(idx, att).items()}
    best = _merge_history(best, former)

    items = [(idx.by_id[cid], t, r, a) for cid, (t, r, a) in best.items()]
    if any(t == EXACT for _, t, _, _ in items):
        items = [x for x in items if x[1] == EXACT]
        if any(a.qualified for _, _, _, a in items):
            items = [x for x in items if x[3].qualified]
        items = _accent_tiebreak(items)
    elif any(a.qualified for _, _, _, a in items):
        items = [x for x in items if x[3].qualified]
    if hint_id is None:
        items = _province_wins(idx, text, items)
    items.sort(key=lambda x: (-x[1], x[2], x[0].name, idx.provinces[x[0].province_id].name))
    old_src = place_history.SOURCE
    return [
        Hit(c, t, r, a.source, former.former.get(c.id) if former and a.source == old_src else None)
        for c, t, r, a in items[:limit]
    ]


_Item = tuple[IndexedCommune, int, int, _Attempt]


def _accent_tiebreak(items: list[_Item]) -> list[_Item]:
    """Typed with diacritics: names equal with their accents beat accent-only matches."""
    same = []
    for item in items:
        _, _, typed = _split_prefix(item[3].words)
        if typed == normalise(typed).replace(" ", ""):
            return items  # typed without accents: every accent-stripped match stays
        if item[0].accented == typed:
            same.append(item)
    return same or items


def _province_wins(idx: PlaceIndex, text: str, items: list[_Item]) -> list[_Item]:
    """'Thanh Hoa' / 'Hà Nội' / 'Bắc Giang' alone name a province: its namesake communes are
    offered, but not as exact answers -- unless typed with the commune's own accents."""
    words = tokens(text)
    key = " ".join(f for f, _ in words)
    if strip_commune_prefix(key)[1] is not None or key.split()[:1] in (["tt"], ["thi"]):
        return items
    prov = idx.match_province(key) if words else None
    if prov is None:
        return items
    typed_words = [t for _, t in words]
    n = len(strip_province_prefix(key).split())
    typed = "".join(typed_words[-n:])
    accented_typed = typed != normalise(typed).replace(" ", "")
    province_forms = idx.province_accented.get(prov[0], set())
    out = []
    for c, t, r, a in items:
        keep = accented_typed and c.accented == typed and typed not in province_forms
        out.append((c, t if keep or t != EXACT else PREFIX, r, a))
    return out


# -- pre-2025 names (db.place_history) ---------------------------------------------------------

_KINDS = {"xa": "xa", "x": "xa", "phuong": "phuong", "p": "phuong", "f": "phuong"}
_KINDS |= {"thi tran": "thitran", "tt": "thitran"}


@dataclass(frozen=True)
class _OldHits:
    hits: dict[int, tuple[int, int]]  # today's commune id -> (tier, rank)
    former: dict[int, str]  # today's commune id -> 'Xã Đồng Vương, Huyện Yên Thế, Tỉnh Bắc Giang'
    district: bool  # an old district was named and matched
    qualified: bool  # a province or an old district narrowed the old names


def _history(idx: PlaceIndex, text: str, hint_id: int | None) -> _OldHits | None:
    """Old commune name [old district] [province] -> today's communes, most specific reading.

    Exact accent-free old names only (no typos); a split commune gives every part (default
    first); several old communes of that name give all their successors."""
    hist = place_history.get_history()
    segments = [t for t in (tokens(s) for s in _SEGMENT_SPLIT.split(text)) if t]
    if not segments:
        return None
    words = [w for seg in segments for w in seg]
    # (commune + district words, province id, typed province compact)
    readings: list[tuple[list[tuple[str, str]], int | None, str | None]] = []
    for n in range(1, min(6, len(words) - 1) + 1):
        tail = " ".join(f for f, _ in words[-n:])
        prov = idx.match_province(tail)
        if prov is not None:
            compact = strip_province_prefix(tail).replace(" ", "")
            readings.append((words[:-n], prov[0], compact))
    readings.append((words, hint_id, None))
    best: tuple[int, list[place_history.OldName], bool] | None = None
    for rest, pid, typed_prov in readings:
        splits: list[tuple[list[tuple[str, str]], str | None]] = [(rest, None)]
        for i in range(1, len(rest)):
            dist_key = "".join(f for f, _ in rest[i:])
            if dist_key in hist.district_keys:
                splits.append((rest[:i], dist_key))
        for name_words, dist in splits:
            found = _old_names(hist, name_words, pid, dist, typed_prov)
            if found:
                rank = (dist is not None) * 2 + (pid is not None)
                if best is None or rank > best[0]:
                    best = (rank, found, dist is not None)
    if best is None:
        return None
    rank, found, district = best
    units = {o.unit.targets: o.unit for o in found}
    hits: dict[int, tuple[int, int]] = {}
    former: dict[int, list[str]] = defaultdict(list)
    sure = len(units) == 1 or rank > 0
    for targets, unit in units.items():
        for i, cid in enumerate(targets):
            if cid in idx.by_id:
                former[cid].append(unit.label)
                # several old communes of that name, nothing to narrow them: suggestions ranked
                # after today's names (typos included)
                tier, rank_ = (EXACT, min(i, 1)) if sure else (OTHER, 4 + min(i, 1))
                old = hits.get(cid)
                if old is None or rank_ < old[1]:
                    hits[cid] = (tier, rank_)
    notes = {cid: "; ".join(labels) for cid, labels in former.items()}
    return _OldHits(hits, notes, district, rank > 0) if hits else None


def _old_names(
    hist: place_history.History,
    words: list[tuple[str, str]],
    pid: int | None,
    dist: str | None,
    typed_prov: str | None,
) -> list[place_history.OldName]:
    key = " ".join(f for f, _ in words)
    bare, _ = strip_commune_prefix(key)
    kind = next((k for p, k in _KINDS.items() if key.startswith(p + " ") and bare != key), None)
    found = hist.by_name.get(bare.replace(" ", ""), [])
    if not found:
        tele = telex_fold(bare)
        found = hist.by_name.get(tele.replace(" ", ""), []) if tele != bare else []
    found = [
        o
        for o in found
        if (pid is None or o.unit.new_province_id == pid)
        and (dist is None or dist in o.unit.district_keys)
    ]
    for keep in (
        lambda o: typed_prov is not None and typed_prov in o.unit.province_keys,
        lambda o: kind is not None and o.kind == kind,
    ):
        narrowed = [o for o in found if keep(o)]
        found = narrowed or found
    n = len(bare.split())
    typed = "".join(t for _, t in words[-n:]) if n else ""
    if typed != normalise(typed).replace(" ", ""):  # typed with accents: same accents first
        found = [o for o in found if o.unit.accented == typed] or found
    return found


def _merge_history(
    best: dict[int, tuple[int, int, _Attempt]], old: _OldHits | None
) -> dict[int, tuple[int, int, _Attempt]]:
    """Today's names win an exact tie, unless an old district was named and leads elsewhere."""
    if old is None:
        return best
    exact = {cid for cid, v in best.items() if v[0] == EXACT}
    if exact and (not old.district or set(old.hits) <= exact):
        return best
    att = _Attempt([], None, place_history.SOURCE, old.qualified)
    if old.district and any(t == EXACT for t, _ in old.hits.values()):
        best = {}
    out = dict(best)
    for cid, (tier, rank) in old.hits.items():
        cur = out.get(cid)
        if cur is None or (tier, -rank) >= (cur[0], -cur[1]):
            out[cid] = (tier, rank, att)
    return out
