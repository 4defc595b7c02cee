"""In-process parse latency of a trained model (runs in .venv-nlu; used by bench/nlu.py).

    PYTHONPATH=. .venv-nlu/bin/python -m nlu.scripts.bench_inprocess MODEL TEXTS_JSON [--n N]
Last line: {"inprocess_p50_ms", "inprocess_p95_ms", "n", "load_s"}.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import statistics
import time
import warnings

os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    k = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[k]


async def run(model: str, texts: list[str], n: int) -> dict[str, float]:
    from rasa.core.agent import Agent

    t0 = time.perf_counter()
    agent = Agent.load(model)
    load_s = time.perf_counter() - t0
    for text in texts[:20]:  # warm-up: TF graph tracing happens on the first calls
        await agent.parse_message(text)
    times = []
    for i in range(n):
        start = time.perf_counter()
        await agent.parse_message(texts[i % len(texts)])
        times.append((time.perf_counter() - start) * 1000)
    return {
        "inprocess_p50_ms": round(statistics.median(times), 2),
        "inprocess_p95_ms": round(percentile(times, 95), 2),
        "n": n,
        "load_s": round(load_s, 2),
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("model")
    ap.add_argument("texts_json")
    ap.add_argument("--n", type=int, default=300)
    args = ap.parse_args()
    logging.disable(logging.WARNING)
    warnings.filterwarnings("ignore")
    from rasa.utils.log_utils import configure_structlog

    configure_structlog(logging.WARNING)  # rasa's structlog prints every parse otherwise
    with open(args.texts_json, encoding="utf-8") as fh:
        texts = json.load(fh)
    print(json.dumps(asyncio.run(run(args.model, texts, args.n))))


if __name__ == "__main__":
    main()
