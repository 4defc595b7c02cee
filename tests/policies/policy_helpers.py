"""Shared helpers: the golden file from ../shared, our own cases, running the CLI."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent


def shared_dir() -> Path:
    return Path(os.environ.get("BHYT_SHARED_DIR") or REPO / ".." / "shared")


def golden_cases() -> list[dict]:
    return yaml.safe_load((shared_dir() / "domain" / "golden-cases.yaml").read_text("utf-8"))


def own_cases() -> list[dict]:
    return yaml.safe_load((HERE / "cases.yaml").read_text("utf-8"))


def run_cli(command: str, payload: str | dict, *extra: str) -> subprocess.CompletedProcess:
    text = payload if isinstance(payload, str) else json.dumps(payload)
    return subprocess.run(
        [sys.executable, "-m", "policies", command, *extra],
        input=text,
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=60,
    )
