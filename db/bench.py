"""Timings of the data layer (numbers only, no thresholds): `python -m db.bench`.

Fresh database per backend: migrate, load places (cold and idempotent re-run), then commune
lookups and lead claims. PostgreSQL is measured only when TEST_PG_URL's server answers.
Last line of output: a JSON object.
"""

from __future__ import annotations

import json
import os
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable
from functools import partial

from sqlalchemy import create_engine, text

from db.leads import claim_lead, create_or_update_lead
from db.people import get_or_create_person, grant_role
from db.places import find_communes, load_places, resolve_commune
from db.session import make_engine, session_factory, transaction, upgrade

QUERIES = ["Phường Ái Quốc, Hải Phòng", "ai quoc hai phong", "An Lão", "xa tien lang", "sai gon"]
QUERIES += ["ai quooc hp", "xã Tam Tiến, Yên Thế, Bắc Giang"]  # typo, former province


def _ms(fn: Callable[[], object]) -> float:
    t0 = time.perf_counter()
    fn()
    return (time.perf_counter() - t0) * 1000


def measure(url: str) -> dict[str, float]:
    out: dict[str, float] = {"migrate_ms": _ms(lambda: upgrade(url))}
    engine = make_engine(url)
    factory = session_factory(engine)
    try:

        def load() -> None:
            with transaction(factory) as s:
                load_places(s)

        out["load_places_cold_ms"] = _ms(load)
        out["load_places_rerun_ms"] = _ms(load)
        samples = []
        for _ in range(20):
            for q in QUERIES:
                with transaction(factory) as s:
                    samples.append(_ms(partial(find_communes, s, q)))
        out["find_communes_median_ms"] = statistics.median(samples)
        out["find_communes_p95_ms"] = sorted(samples)[int(len(samples) * 0.95)]
        with transaction(factory) as s:
            c, _ = resolve_commune(s, "Phường Ái Quốc, Hải Phòng")
            assert c is not None
            agent, _ = get_or_create_person(s, 1)
            grant_role(s, agent.id, "agent", c.id)
            leads = []
            for i in range(50):
                p, _ = get_or_create_person(s, 1000 + i)
                leads.append(create_or_update_lead(s, p.id, c.id, {}, {}, 1, "09")[0].id)
        claims = []
        for lead_id in leads:
            with transaction(factory) as s:
                claims.append(_ms(partial(claim_lead, s, lead_id, agent.id)))
        out["claim_lead_median_ms"] = statistics.median(claims)
    finally:
        engine.dispose()
    return {k: round(v, 2) for k, v in out.items()}


def main() -> None:
    results: dict[str, object] = {}
    with tempfile.TemporaryDirectory() as tmp:
        results["sqlite"] = measure(f"sqlite:///{tmp}/bench.sqlite3")
    server = os.environ.get("TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    name = f"bhyt_bench_{uuid.uuid4().hex[:10]}"
    try:
        with admin.connect() as c:
            c.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # noqa: BLE001 -- no server: report and skip
        results["postgresql"] = f"skipped: {type(exc).__name__}"
    else:
        try:
            results["postgresql"] = measure(server.rsplit("/", 1)[0] + "/" + name)
        finally:
            with admin.connect() as c:
                c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()
    for backend, r in results.items():
        print(backend, r)
    print(json.dumps(results))


if __name__ == "__main__":
    main()
