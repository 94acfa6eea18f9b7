"""Real processes for the tests that run Heedback as an operator does: commands, servers, HTTP."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path


def clean_env(data_dir: Path, **extra: str) -> dict[str, str]:
    """Return the environment of a Heedback process with its own data directory."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HEEDBACK_", "DJANGO_"))}
    env["HEEDBACK_DATA_DIR"] = str(data_dir)
    env.update(extra)
    return env


def heedback(
    data_dir: Path, *arguments: str, check: bool = True, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess:
    """Run ``heedback ARGUMENTS`` in a fresh process and return what it did."""
    result = subprocess.run(
        [sys.executable, "-m", "heedback.cli", *arguments],
        env=env or clean_env(data_dir),
        capture_output=True,
        text=True,
        timeout=300,
    )
    if check:
        assert result.returncode == 0, result.stderr
    return result


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def request(
    url: str, *, key: str | None = None, body: object | None = None, timeout: float = 10
) -> tuple[int, bytes]:
    """Send a request (JSON when there is a body); return the status and the body."""
    headers = {"Content-Type": "application/json"}
    if key:
        headers["Authorization"] = f"Bearer {key}"
    data = json.dumps(body).encode() if body is not None else None
    try:
        with urllib.request.urlopen(
            urllib.request.Request(url, data=data, headers=headers), timeout=timeout
        ) as reply:
            return reply.status, reply.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


class Server:
    """``heedback serve`` in its own process group, which can be killed and started again."""

    def __init__(self, env: dict[str, str], *, workers: int = 2, port: int | None = None) -> None:
        self.env = env
        self.workers = workers
        self.port = port or free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen | None = None

    def start(self, timeout: float = 120) -> None:
        """Start the server and return once it answers its health check."""
        command = [sys.executable, "-m", "heedback.cli", "serve", "--port", str(self.port)]
        self.process = subprocess.Popen(
            [*command, "--workers", str(self.workers)],
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        deadline = time.monotonic() + timeout
        while True:
            try:
                if request(f"{self.base}/healthz", timeout=5)[0] == 200:
                    return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            assert self.process.poll() is None, "the server exited while starting"
            assert time.monotonic() < deadline, f"the server did not start within {timeout} s"
            time.sleep(0.2)

    def kill(self) -> None:
        """SIGKILL the server and its workers at once, as a power cut or the OOM killer does."""
        assert self.process is not None
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)

    def stop(self) -> None:
        """Stop the server politely, or kill it if it will not stop."""
        if self.process is None or self.process.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.kill()
