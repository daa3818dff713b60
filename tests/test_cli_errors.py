"""Operational failures at the CLI's edge are one line: what happened, which path, what to do.

The faults are real: a full disk is a tiny tmpfs (mounted here, which needs root, as the
tests run in CI), a read-only data folder is that tmpfs remounted read-only, permission
denied is the command run as user `nobody` on a folder owned by root, a lock is held by
this process. The commands are the real `python -m casebank` in a child process; after
each failure the store and the live index are checked to be as they were.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from corpus.settings import Settings
from corpus.store import Store
from search import index_files
from search.indexer import build_index

REPO = Path(__file__).resolve().parents[1]
CAN_MOUNT = os.geteuid() == 0 and shutil.which("mount") is not None
needs_mount = pytest.mark.skipif(
    not CAN_MOUNT, reason="mounting a small tmpfs (disk full, read-only) needs root"
)


def cases():
    spec = importlib.util.spec_from_file_location("search_cases", REPO / "tests/search/conftest.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.make_cases()


def fill_store(settings: Settings) -> None:
    store = Store(settings.db_path)
    with store.transaction():
        for case in cases():
            store.upsert_record(case, "test")
    store.close()


def casebank(data: Path, *args: str) -> subprocess.CompletedProcess:
    cmd = [sys.executable, "-m", "casebank", "--data-dir", str(data), *args]
    env = {k: v for k, v in os.environ.items() if not k.startswith("CASEBANK_")}
    return subprocess.run(
        cmd,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
        env={**env, "COLUMNS": "300"},
    )


def one_line(r: subprocess.CompletedProcess) -> str:
    """The command failed with exactly one line on stderr and no traceback; returns it."""
    assert r.returncode == 1, (r.returncode, r.stderr)
    lines = [line for line in r.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, r.stderr
    assert "Traceback" not in r.stderr
    return lines[0]


@pytest.fixture
def mount(tmp_path: Path) -> Iterator:
    """mount(path, size): a tmpfs of `size` at `path`, unmounted afterwards."""
    mounted: list[Path] = []

    def do(path: Path, size: str) -> Path:
        path.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)], check=True
        )
        mounted.append(path)
        return path

    yield do
    for path in reversed(mounted):
        subprocess.run(["umount", "-l", str(path)], check=False)


def fill_disk(path: Path, leave: int) -> None:
    """Write a filler file so that only about `leave` bytes stay free under `path`."""
    free = shutil.disk_usage(path).free
    with open(path / "filler", "wb") as f:
        f.write(b"\0" * max(0, free - leave))


@needs_mount
def test_disk_full_on_a_first_build_is_one_line_and_leaves_nothing(tmp_path: Path, mount) -> None:
    settings = Settings(data_dir=tmp_path / "data")
    fill_store(settings)
    mount(settings.index_dir, "64k")
    line = one_line(casebank(settings.data_dir, "index"))
    assert "disk full" in line and str(settings.index_dir) in line
    assert "store and the live search index are as they were" in line
    assert list(settings.index_dir.glob("gen-*")) == []
    assert index_files.current_generation(settings.index_dir) is None
    assert Store(settings.db_path).count_cases() == 8


@needs_mount
def test_disk_full_on_an_update_keeps_the_live_index(tmp_path: Path, mount) -> None:
    settings = Settings(data_dir=tmp_path / "data")
    fill_store(settings)
    mount(settings.index_dir, "8m")
    build_index(settings, Store(settings.db_path))
    live = index_files.current_generation(settings.index_dir)
    store = Store(settings.db_path)
    store.upsert_record(cases()[0].model_copy(update={"summary": {"en": "Edited."}}), "test")
    store.close()
    fill_disk(settings.index_dir, leave=64 * 1024)
    line = one_line(casebank(settings.data_dir, "index"))
    assert "disk full" in line and str(settings.index_dir) in line
    assert index_files.current_generation(settings.index_dir) == live
    assert [p.name for p in settings.index_dir.glob("gen-*")] == [live.name]
    assert index_files.load_dense(settings.index_dir, None).path == live


@needs_mount
def test_disk_full_during_ingest_is_one_line_and_the_store_is_intact(tmp_path: Path, mount) -> None:
    data = mount(tmp_path / "data", "2m")
    settings = Settings(data_dir=data)
    fill_store(settings)
    before = Store(settings.db_path).case_hashes()
    fill_disk(data, leave=16 * 1024)
    line = one_line(casebank(data, "ingest", "corpus"))
    assert "disk full" in line and str(data) in line, line
    (data / "filler").unlink()
    assert Store(settings.db_path).case_hashes() == before


@needs_mount
def test_read_only_data_folder_is_one_line_and_the_store_is_intact(tmp_path: Path, mount) -> None:
    data = mount(tmp_path / "data", "64m")
    settings = Settings(data_dir=data)
    fill_store(settings)
    store = Store(settings.db_path)
    build_index(settings, store)
    store.close()  # an open writable file keeps the mount busy
    live = index_files.current_generation(settings.index_dir)
    subprocess.run(["mount", "-o", "remount,ro", str(data)], check=True)
    for args in (("ingest", "corpus"), ("ingest",), ("index",)):
        line = one_line(casebank(data, *args))
        assert "read-only" in line and str(data) in line, line
    subprocess.run(["mount", "-o", "remount,rw", str(data)], check=True)
    assert Store(settings.db_path).count_cases() == 8
    assert index_files.current_generation(settings.index_dir) == live


#: Runs casebank with every open-for-writing under the data folder refused with EACCES.
DENY = """
import builtins, errno, os, sys
data = os.path.realpath(sys.argv[1])
real_open = os.open
def deny(path, flags, *a, **k):
    if os.path.realpath(path).startswith(data) and flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT):
        raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), os.fspath(path))
    return real_open(path, flags, *a, **k)
os.open = deny
sys.argv = ["casebank", "--data-dir", sys.argv[1], *sys.argv[2:]]
import casebank
casebank.main()
"""


def test_permission_denied_is_one_line(tmp_path: Path) -> None:
    """Permission denied, injected at the write call: as root (CI) chmod changes nothing,
    and user `nobody` cannot run this checkout's Python (it lives under /root), so the
    child's `os.open` refuses writes under the data folder with EACCES, as the kernel
    would for a folder owned by someone else."""
    settings = Settings(data_dir=tmp_path / "data")
    fill_store(settings)
    before = settings.db_path.read_bytes()
    cmd = [sys.executable, "-c", DENY, str(settings.data_dir), "ingest", "corpus"]
    r = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, timeout=120,
                       env={**os.environ, "COLUMNS": "300"})  # fmt: skip
    line = one_line(r)
    assert "permission denied on" in line and str(settings.data_dir) in line, line
    assert settings.db_path.read_bytes() == before


def test_a_held_lock_is_one_line(tmp_path: Path) -> None:
    from ingest.job import job_lock

    settings = Settings(data_dir=tmp_path / "data")
    fill_store(settings)
    with job_lock(settings):
        line = one_line(casebank(settings.data_dir, "ingest", "corpus"))
    assert "another ingest run holds" in line and "ingest.lock" in line
    with index_files.build_lock(settings.index_dir):
        line = one_line(casebank(settings.data_dir, "index"))
    assert "building the search index" in line and "wait" in line


def test_an_unknown_setting_is_refused_at_start(tmp_path: Path) -> None:
    cmd = [sys.executable, "-m", "casebank", "stats"]
    env = {**os.environ, "CASEBANK_BASEURL": "https://x.example", "COLUMNS": "300"}
    r = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, env=env, timeout=60)
    line = one_line(r)
    assert "unknown setting CASEBANK_BASEURL" in line and "CASEBANK_BASE_URL" in line
