"""The scenario runner contract: `python -m bot.sandbox scenario FILE` prints one JSON per bot message."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e
HERE = Path(__file__).parent
ROOT = HERE.parent.parent


def run(path: Path, nlu_url: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, NLU_URL=nlu_url)
    return subprocess.run(
        [sys.executable, "-m", "bot.sandbox", "scenario", str(path)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip


def test_greet_quote_lead_scenario_end_to_end(nlu_url):
    done = run(HERE / "scenarios" / "greet_quote_lead.yaml", nlu_url)
    assert done.returncode == 0, done.stderr
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    assert all(set(x) == {"to", "method", "text", "buttons"} for x in lines)
    to_lan = [x for x in lines if x["to"] == "lan"]
    assert "Chào" in to_lan[0]["text"]
    assert "3.142.260 ₫" in to_lan[1]["text"]
    assert any("Đồng ý" in b for b in to_lan[2]["buttons"])
    assert any("Đã ghi nhận yêu cầu" in x["text"] for x in to_lan)
    # the agent of that commune hears of it; the phone waits for a claim
    to_hung = [x for x in lines if x["to"] == "hung"]
    assert to_hung and "0912345678" not in to_hung[0]["text"]


def test_a_broken_scenario_is_refused_with_a_reason(tmp_path, nlu_url):
    bad = tmp_path / "bad.yaml"
    bad.write_text("users: {lan: {id: 1}}\nsteps:\n  - {from: mai, text: hi}\n")
    done = run(bad, nlu_url)
    assert done.returncode == 2
    assert "unknown user 'mai'" in done.stderr
