"""Quotes per second over a fixed-seed random mix of households.

Run: .venv/bin/python -m bench.quote [--quotes N] [--seed S]. Last line: a JSON object.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import time

from policies import QuoteRequest, load_rules, quote
from policies.model import Member, Rules


def random_request(rng: random.Random, rules: Rules) -> QuoteRequest:
    first = rules.base_salary.rows[0].start
    day = first + dt.timedelta(days=rng.randrange((dt.date(2031, 1, 1) - first).days))
    size = rng.randint(1, 8)
    members = tuple(
        Member(
            age=rng.randint(0, 95),
            groups=tuple(rng.sample(rules.groups, k=rng.choice((0, 0, 0, 1, 1, 2)))),
        )
        for _ in range(size)
    )
    province = rng.choice((None, "hai_phong", "hai_phong", "ha_noi"))
    return QuoteRequest(day, rng.choice(rules.periods.last.value), members, province)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quotes", type=int, default=20000)
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()
    started = time.perf_counter()
    rules = load_rules()
    load_s = time.perf_counter() - started
    rng = random.Random(args.seed)
    requests = [random_request(rng, rules) for _ in range(args.quotes)]
    members = sum(len(r.members) for r in requests)
    started = time.perf_counter()
    total = sum(quote(r, rules).total_vnd for r in requests)
    seconds = time.perf_counter() - started
    print(f"rules loaded in {load_s:.3f} s")
    print(f"{args.quotes} quotes ({members} members) in {seconds:.3f} s, checksum {total}")
    result = {
        "quotes": args.quotes,
        "members": members,
        "seconds": round(seconds, 4),
        "quotes_per_s": round(args.quotes / seconds, 1),
        "load_rules_s": round(load_s, 4),
        "seed": args.seed,
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
