"""Start and stop the Rasa NLU server (it lives in .venv-nlu, Python 3.10) from the app side."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

REPO_ROOT = Path(__file__).resolve().parent.parent
RASA_BIN = REPO_ROOT / ".venv-nlu" / "bin" / "rasa"
MODELS_DIR = REPO_ROOT / "models"


class NluServerError(RuntimeError):
    pass


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def latest_model(models_dir: Path = MODELS_DIR) -> Path | None:
    models = sorted(models_dir.glob("*.tar.gz"), key=lambda p: p.stat().st_mtime)
    return models[-1] if models else None


async def is_ready(url: str, timeout: float = 1.0) -> bool:
    """Ready means the server answers /status with a loaded model."""
    try:
        async with httpx.AsyncClient(timeout=timeout) as client:
            r = await client.get(f"{url}/status")
            return r.status_code == 200 and bool(r.json().get("model_id"))
    except (httpx.HTTPError, ValueError):
        return False


class NluServer:
    """One `rasa run --enable-api` process bound to 127.0.0.1, health-checked before use."""

    def __init__(
        self, port: int | None = None, model: Path | None = None, log_file: Path | None = None
    ):
        self.port = port or free_port()
        self.model = model or latest_model()
        self.log_file = log_file or REPO_ROOT / "var" / f"nlu-{self.port}.log"
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _spawn(self) -> None:
        if not RASA_BIN.exists():
            raise NluServerError(f"{RASA_BIN} is missing: run `make setup` first")
        if self.model is None:
            raise NluServerError("no trained model in models/: run `make train` first")
        self.log_file.parent.mkdir(parents=True, exist_ok=True)
        env = dict(
            os.environ,
            PYTHONPATH=str(REPO_ROOT),
            RASA_TELEMETRY_ENABLED="false",
            TF_CPP_MIN_LOG_LEVEL="3",
        )
        cmd = [
            str(RASA_BIN), "run", "--enable-api", "-i", "127.0.0.1", "-p", str(self.port),
            "-m", str(self.model), "--log-file", str(self.log_file),
        ]  # fmt: skip
        self.proc = subprocess.Popen(
            cmd,
            cwd=REPO_ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )

    async def start(self, timeout: float = 240.0) -> NluServer:
        self._spawn()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.proc is not None
            if self.proc.poll() is not None:
                raise NluServerError(
                    f"rasa exited with {self.proc.returncode}; see {self.log_file}"
                )
            if await is_ready(self.url):
                return self
            await asyncio.sleep(0.5)
        self.stop()
        raise NluServerError(f"rasa did not become ready in {timeout:.0f} s; see {self.log_file}")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None

    def rss_mb(self) -> float:
        """Resident memory of the server process (Linux /proc), for benches."""
        if not self.proc:
            return 0.0
        try:
            for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
        except OSError:
            pass
        return 0.0


async def ensure_nlu(url: str | None) -> tuple[str, NluServer | None]:
    """Use the server at `url` when it answers; otherwise start our own. Returns (url, owned)."""
    if url and await is_ready(url):
        return url, None
    tail = url.rsplit(":", 1)[-1] if url else ""
    server = await NluServer(port=int(tail) if tail.isdigit() else None).start()
    print(f"NLU server ready at {server.url}", file=sys.stderr)
    return server.url, server
