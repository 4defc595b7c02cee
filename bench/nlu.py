"""NLU latency and throughput: through the Rasa HTTP server and in-process.

Run: .venv/bin/python -m bench.nlu [--n N] [--concurrent-total M]
Uses NLU_URL when it answers, otherwise starts the server (newest model in models/).
Messages: the held-out set nlu/tests/test_nlu.yml (annotations stripped).
Last line: one JSON object.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

from nlu.client import NluClient
from nlu.server import REPO_ROOT, ensure_nlu, latest_model

TEST_FILE = REPO_ROOT / "nlu" / "tests" / "test_nlu.yml"
NLU_PY = REPO_ROOT / ".venv-nlu" / "bin" / "python"
_ANNOTATION = re.compile(r"\[([^\]]+)\](?:\{[^}]*\}|\([^)]*\))")


def load_texts(path: Path = TEST_FILE) -> list[str]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    texts = []
    for block in data["nlu"]:
        for line in block.get("examples", "").splitlines():
            line = line.strip()
            if line.startswith("- "):
                texts.append(_ANNOTATION.sub(r"\1", line[2:]))
    return texts


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    k = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[k]


async def sequential(url: str, texts: list[str], n: int) -> list[float]:
    times = []
    async with NluClient(url, timeout=10.0) as client:
        for text in texts[:20]:
            await client.parse(text)
        for i in range(n):
            start = time.perf_counter()
            await client.parse(texts[i % len(texts)])
            times.append((time.perf_counter() - start) * 1000)
    return times


async def concurrent(url: str, texts: list[str], total: int, workers: int = 8) -> float:
    async with NluClient(url, timeout=30.0) as client:
        queue = list(range(total))

        async def worker() -> None:
            while queue:
                i = queue.pop()
                await client.parse(texts[i % len(texts)])

        start = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(workers)))
        return total / (time.perf_counter() - start)


def inprocess(texts: list[str], n: int, model: Path | None) -> dict[str, float]:
    model = model or latest_model()
    if model is None or not NLU_PY.exists():
        return {}
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False, encoding="utf-8") as fh:
        json.dump(texts, fh, ensure_ascii=False)
    env = dict(os.environ, PYTHONPATH=str(REPO_ROOT), RASA_TELEMETRY_ENABLED="false")
    cmd = [str(NLU_PY), "-m", "nlu.scripts.bench_inprocess", str(model), fh.name, "--n", str(n)]
    try:
        proc = subprocess.run(cmd, cwd=REPO_ROOT, env=env, capture_output=True, text=True)
    finally:
        os.unlink(fh.name)
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("{")]
    if proc.returncode != 0 or not lines:
        print(proc.stderr[-2000:], file=sys.stderr)
        return {}
    return json.loads(lines[-1])


async def main_async(args: argparse.Namespace) -> dict[str, float | None]:
    texts = load_texts()
    url, owned = await ensure_nlu(os.environ.get("NLU_URL"))
    try:
        seq = await sequential(url, texts, args.n)
        rate = await concurrent(url, texts, args.concurrent_total)
        rss = owned.rss_mb() if owned else None
    finally:
        if owned:
            owned.stop()
    print(f"messages: {len(texts)} held-out texts, {args.n} sequential parses")
    print(f"server  p50 {statistics.median(seq):7.2f} ms   p95 {percentile(seq, 95):7.2f} ms")
    print(f"8 concurrent clients: {rate:7.1f} msgs/s")
    if rss:
        print(f"server RSS: {rss:.0f} MB")
    inproc = inprocess(texts, args.n, args.model)
    if inproc:
        print(
            f"in-process p50 {inproc['inprocess_p50_ms']:7.2f} ms   "
            f"p95 {inproc['inprocess_p95_ms']:7.2f} ms   (model load {inproc['load_s']} s)"
        )
    return {
        "server_p50_ms": round(statistics.median(seq), 2),
        "server_p95_ms": round(percentile(seq, 95), 2),
        "inprocess_p50_ms": inproc.get("inprocess_p50_ms"),
        "inprocess_p95_ms": inproc.get("inprocess_p95_ms"),
        "concurrent8_msgs_per_s": round(rate, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=300, help="sequential parses")
    parser.add_argument("--concurrent-total", type=int, default=400)
    parser.add_argument(
        "--model", type=Path, help="model for the in-process run (default: newest in models/)"
    )
    args = parser.parse_args()
    result = asyncio.run(main_async(args))
    print(json.dumps(result))


if __name__ == "__main__":
    main()
