"""bench.load keeps its contract: the issue's JSON keys on the last line, every message answered,
no flood-limit violation, the broadcast delivered in full (real bot, real model, sandbox)."""

from __future__ import annotations

import json
import subprocess
import sys

from nlu.server import REPO_ROOT

CONTRACT = {
    "users": int,
    "messages": int,
    "replies": int,
    "unanswered": int,
    "msgs_per_s": float,
    "reply_p50_ms": float,
    "reply_p95_ms": float,
    "reply_p99_ms": float,
    "broadcast_efficiency": float,
    "rss_mb_bot": float,
    "rss_mb_nlu": float,
}


def run_bench(nlu_url: str, *args: str) -> dict:
    done = subprocess.run(
        [sys.executable, "-m", "bench.load", "--nlu-url", nlu_url, "--ramp", "0.2", *args],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_small_load_with_a_broadcast_keeps_the_contract_and_the_limits(nlu_url):
    result = run_bench(
        nlu_url, "--users", "5", "--messages", "20", "--broadcast", "40", "--rate", "20"
    )
    for key, kind in CONTRACT.items():
        assert isinstance(result[key], kind | int if kind is float else kind), (key, result[key])
    assert (result["users"], result["messages"]) == (5, 20)
    assert result["unanswered"] == 0 and result["replies"] == 20
    assert result["limit_violations"] == 0
    assert result["broadcast"]["delivered"] == 40
    assert result["rss_mb_bot"] > 0 and result["rss_mb_nlu"] > 0
    assert result["degraded_replies"] == {
        "nlu_unavailable": 0,
        "handler_errors": 0,
        "flood_refusals": 0,
    }
    assert result["reply_p50_ms"] <= result["reply_p95_ms"] <= result["reply_p99_ms"]


def test_without_a_broadcast_its_efficiency_is_null(nlu_url):
    result = run_bench(nlu_url, "--users", "2", "--messages", "6")
    assert result["broadcast_efficiency"] is None and result["broadcast"] is None
    assert result["unanswered"] == 0 and result["replies"] == 6
