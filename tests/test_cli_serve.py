"""`casebank serve` starts the site on the given host and port (a real process and socket)."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
from bs4 import BeautifulSoup

REPO = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_serve_answers_on_the_given_port(tmp_path: Path) -> None:
    port = free_port()
    cmd = [sys.executable, "-m", "casebank", "--data-dir", str(tmp_path / "data"), "serve",
           "--host", "127.0.0.1", "--port", str(port)]  # fmt: skip
    proc = subprocess.Popen(cmd, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while True:
            assert proc.poll() is None, proc.stdout.read().decode()
            try:
                health = httpx.get(f"http://127.0.0.1:{port}/api/health", timeout=2)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, "the server did not start in 60 s"
                time.sleep(0.2)
        # An empty data folder: the site runs, search reports the missing index.
        assert health.status_code == 200
        assert health.json()["status"] == "degraded"
        assert health.json()["cases"] == 0
        home = httpx.get(f"http://127.0.0.1:{port}/", headers={"accept-language": "en"})
        assert home.status_code == 200
        assert BeautifulSoup(home.text, "html.parser").html["lang"] == "en"
    finally:
        proc.terminate()
        proc.wait(timeout=15)


def test_serve_refuses_a_bad_port() -> None:
    r = subprocess.run(
        [sys.executable, "-m", "casebank", "serve", "--port", "70000"],
        cwd=REPO, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert r.returncode != 0
    assert "70000" in r.stderr or "port" in r.stderr.lower()
