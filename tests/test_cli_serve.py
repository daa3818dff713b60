"""`casebank serve` starts the site on the given host and port (a real process and socket)."""

from __future__ import annotations

import importlib.util
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from bs4 import BeautifulSoup

from corpus.settings import Settings
from corpus.store import Store

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


def _search_cases():
    spec = importlib.util.spec_from_file_location("search_cases", REPO / "tests/search/conftest.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.make_cases()


def _wait_for_health(port: int, proc: subprocess.Popen, seconds: float) -> dict:
    deadline = time.monotonic() + seconds
    while True:
        assert proc.poll() is None, proc.stdout.read().decode()
        try:
            return httpx.get(f"http://127.0.0.1:{port}/api/health", timeout=5).json()
        except httpx.TransportError:
            assert time.monotonic() < deadline, f"the server did not answer in {seconds} s"
            time.sleep(0.2)


@pytest.mark.slow
def test_serve_answers_at_once_and_builds_the_index_behind(tmp_path: Path) -> None:
    """Two workers answer before any index exists; one child process builds it (one
    generation folder); the running workers then search semantically without a restart."""
    data = tmp_path / "data"
    store = Store(data / "casebank.db")
    with store.transaction():
        for case in _search_cases():
            store.upsert_record(case, "test")
    store.close()
    port = free_port()
    cmd = [sys.executable, "-m", "casebank", "--data-dir", str(data), "serve",
           "--port", str(port), "--workers", "2"]  # fmt: skip
    proc = subprocess.Popen(cmd, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        health = _wait_for_health(port, proc, 300)  # a generous bound, not a timing test
        assert health["cases"] == 8
        assert health["status"] in ("degraded", "ok")  # building, or already done
        assert httpx.get(f"http://127.0.0.1:{port}/cases/c-tuba-dk").status_code == 200
        deadline = time.monotonic() + 400
        while health["status"] != "ok":
            assert time.monotonic() < deadline, health
            assert "run `casebank index`" not in health.get("message", ""), health
            time.sleep(1)
            health = httpx.get(f"http://127.0.0.1:{port}/api/health", timeout=5).json()
        assert "build" not in health
        for _ in range(4):  # reaches both workers
            r = httpx.get(f"http://127.0.0.1:{port}/api/search", params={"q": "rough sleepers"})
            assert r.status_code == 200 and r.json()["results"][0]["id"] == "c-homeless-uk"
        assert len(list((data / "index").glob("gen-*"))) == 1
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_pages_and_health_show_the_build_progress(tmp_path: Path) -> None:
    """While a build holds the lock, BUILDING.json's progress is on every page and in
    health; without the lock (a killed build), a leftover BUILDING.json is ignored."""
    from fastapi.testclient import TestClient

    from search import index_files
    from web.app import create_app

    settings = Settings(data_dir=tmp_path / "data")
    with TestClient(create_app(settings)) as client:
        with index_files.build_lock(settings.index_dir):
            index_files.write_progress(settings.index_dir, 40, 100, time.time())
            en = client.get("/", headers={"accept-language": "en"}).text
            da = client.get("/about", headers={"accept-language": "da"}).text
            health = client.get("/api/health").json()
            search = client.get("/api/search", params={"q": "housing"})
        assert "The search index is being built: 40 %" in en
        assert "Søgeindekset bygges: 40 %" in da
        assert health["build"]["percent"] == 40 and health["build"]["done"] == 40
        assert "being built: 40 %" in health["message"]
        assert "casebank index" not in health["message"]
        assert [p["kind"] for p in health["problems"]] == ["building"]
        # Search works by keywords meanwhile (the semantic index arrives without a restart).
        assert search.status_code == 200 and search.json()["semantic"] is False
        # The builder died (lock released, its pid gone): the leftover file means nothing.
        dead = subprocess.Popen(["true"])
        dead.wait()
        index_files.write_progress(settings.index_dir, 40, 100, time.time(), pid=dead.pid)
        assert "being built" not in client.get("/", headers={"accept-language": "en"}).text
        assert "build" not in client.get("/api/health").json()


def test_recent_ingest_rule(tmp_path: Path) -> None:
    """`serve --refresh` re-runs the job only when its last run ended 24 h ago or more."""
    import json
    from datetime import UTC, datetime, timedelta

    import casebank

    data = tmp_path / "data"
    data.mkdir()
    casebank._state["settings"] = Settings(data_dir=data)
    try:
        assert casebank.ingest_is_recent(24) is False  # never ran
        for hours, recent in ((1, True), (23.5, True), (25, False)):
            ended = (datetime.now(UTC) - timedelta(hours=hours)).isoformat()
            (data / "ingest-report.json").write_text(json.dumps({"finished_at": ended}))
            assert casebank.ingest_is_recent(24) is recent, hours
    finally:
        casebank._state.pop("settings", None)
