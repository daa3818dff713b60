"""The on-disk search index: one folder per build ("generation") and a pointer to the live one.

Layout under `Settings.index_dir`:

    CURRENT              name of the live generation (replaced atomically with os.replace)
    PREVIOUS             name of the generation CURRENT pointed to before (kept by pruning)
    BUILDING.json        progress of the build under way (done, total, started, pid)
    build.lock           held (flock) by the one process that builds
    gen-<stamp>/
        meta.json        model id, dimension, counts, build time, text version, case hashes,
                         and the sha256 and size of every other file of the generation
        rows.json        per vector row: [case id, field, text hash]; rows grouped by case
        vectors.npy      float32 (rows, dim), L2-normalised: the embedding cache
        dense.faiss      FAISS index over the rows (row number = FAISS id)
        lexical.db       SQLite FTS5 index
        neighbours.npy   int32 (cases, k): each case's nearest cases by their `whole` vectors
                         (search/ranking.py); generations built before it lack it, and a
                         search works it out instead

A build writes a new generation completely, then swaps `CURRENT`; a reader never sees a
half-written index. Loading reads every file into memory (no memory map) and checks it
against the checksums in meta.json, so a file truncated or overwritten under a running
server can neither crash it (a truncated memory map is a SIGBUS) nor feed it garbage: it
is an `IndexCorrupt` naming the file. Error messages name files within the generation
only, never server paths.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import hashlib
import io
import json
import os
import shutil
import sqlite3
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import faiss
import numpy as np

from corpus.errors import IndexMissing, LockHeld

#: 2: meta.json lists the sha256 of every file (generations of format 1 are rebuilt).
FORMAT = 2
#: First bytes of the FAISS files written here (flat inner product, HNSW flat).
FAISS_HEADERS = (b"IxFI", b"IHNf")
POINTER = "CURRENT"
PREVIOUS = "PREVIOUS"
PROGRESS = "BUILDING.json"
BUILD_LOCK = "build.lock"
FIX = "run `casebank index` to build it"
REBUILD = "run `casebank index` to rebuild it"
#: Files of a generation besides meta.json, each checked against its checksum at load.
FILES = ("rows.json", "vectors.npy", "dense.faiss", "lexical.db")
#: Files a generation may lack (older builds): checked like the others when meta.json
#: lists them, else what they hold is worked out when needed.
OPTIONAL_FILES = ("neighbours.npy",)
_CHUNK = 1 << 20


class IndexCorrupt(IndexMissing):
    """One file of the live generation is unreadable or differs from its checksum."""

    def __init__(self, file: str, why: str) -> None:
        super().__init__(f"the search index file {file} is corrupt ({why}): {REBUILD}")
        #: The file's name within the generation (never a server path).
        self.file = file


@dataclass
class DenseIndex:
    """A loaded generation's vectors and FAISS index."""

    path: Path
    meta: dict[str, Any]
    #: Per row: case id, field name.
    row_case: list[str]
    row_field: list[str]
    row_text_hash: list[str]
    vectors: np.ndarray
    faiss_index: faiss.Index
    #: Each case's nearest cases (positions in the order cases first appear in the rows,
    #: -1 pads), as the build wrote them; None when the generation has none.
    neighbours: np.ndarray | None = None


def current_generation(index_dir: Path) -> Path | None:
    """The live generation folder, or None when there is none."""
    return _pointed(index_dir, POINTER)


def _pointed(index_dir: Path, pointer: str) -> Path | None:
    try:
        name = (index_dir / pointer).read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError):
        return None
    # Only a generation's own name: a pointer never leads outside the index folder.
    return index_dir / name if name.startswith("gen-") and "/" not in name else None


def _meta_of(gen: Path) -> dict[str, Any]:
    """A generation's meta; IndexCorrupt naming meta.json when it cannot be used."""
    try:
        meta = json.loads((gen / "meta.json").read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise IndexCorrupt("meta.json", "missing") from None
    except (OSError, ValueError) as exc:
        raise IndexCorrupt("meta.json", f"unreadable: {type(exc).__name__}") from None
    if not isinstance(meta, dict) or not isinstance(meta.get("files"), dict):
        raise IndexCorrupt("meta.json", "no file checksums in it")
    if meta.get("format") != FORMAT:
        raise IndexCorrupt("meta.json", f"format {meta.get('format')!r}, expected {FORMAT}")
    return meta


def read_meta(index_dir: Path) -> dict[str, Any] | None:
    """The live generation's meta, or None when absent or unreadable (see `status`)."""
    gen = current_generation(index_dir)
    if gen is None:
        return None
    try:
        return _meta_of(gen)
    except IndexMissing:
        return None


def status(index_dir: Path) -> dict[str, Any]:
    """What health reports about the files: `{state: ok|missing|corrupt, file?, message?}`.

    Reads the meta and checks every file's size and checksum (a few MB per 1,000 cases).
    """
    gen = current_generation(index_dir)
    if gen is None or not gen.is_dir():
        return {"state": "missing", "message": f"no search index yet: {FIX}"}
    try:
        verify(gen, _meta_of(gen))
    except IndexCorrupt as exc:
        return {"state": "corrupt", "file": exc.file, "message": str(exc)}
    return {"state": "ok"}


def fingerprint(index_dir: Path) -> tuple:
    """Changes whenever CURRENT or a file of the live generation changes (size, mtime).

    Cheap (a few `stat` calls), so a server can look before every request and re-load,
    and so re-verify, when anything moved under it.
    """
    gen = current_generation(index_dir)
    if gen is None:
        return ()
    out: list[tuple] = [(gen.name,)]
    # Plain strings, not Path objects: this runs on every request (0.12 -> 0.06 ms).
    folder = os.fspath(gen) + os.sep
    for name in ("meta.json", *FILES, *OPTIONAL_FILES):
        try:
            st = os.stat(folder + name)
            out.append((name, st.st_size, st.st_mtime_ns, st.st_ino))
        except OSError:
            out.append((name,))
    return tuple(out)


def sha256_file(path: Path) -> str:
    """Hex sha256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def checksums(gen: Path) -> dict[str, dict[str, Any]]:
    """`{name: {sha256, bytes}}` of every file of a generation but meta.json."""
    return {
        name: {"sha256": sha256_file(gen / name), "bytes": (gen / name).stat().st_size}
        for name in (*FILES, *OPTIONAL_FILES)
        if (gen / name).is_file()
    }


def files_of(meta: dict[str, Any]) -> tuple[str, ...]:
    """The files of a generation besides meta.json: the required ones and the optional
    ones its meta lists."""
    listed = meta.get("files") or {}
    return (*FILES, *(name for name in OPTIONAL_FILES if name in listed))


def read_verified(gen: Path, meta: dict[str, Any], name: str) -> bytes:
    """The bytes of one file of a generation, checked against meta; IndexCorrupt if not."""
    expected = meta["files"].get(name)
    if not isinstance(expected, dict):
        raise IndexCorrupt(name, "not listed in meta.json")
    try:
        data = (gen / name).read_bytes()
    except FileNotFoundError:
        raise IndexCorrupt(name, "missing") from None
    except OSError as exc:
        raise IndexCorrupt(name, f"unreadable: {exc.strerror or type(exc).__name__}") from None
    if len(data) != expected.get("bytes"):
        raise IndexCorrupt(name, f"{len(data)} bytes, expected {expected.get('bytes')}")
    if hashlib.sha256(data).hexdigest() != expected.get("sha256"):
        raise IndexCorrupt(name, "checksum mismatch")
    return data


def verify(gen: Path, meta: dict[str, Any]) -> None:
    """Check every file of a generation against meta.json; IndexCorrupt names the first bad one."""
    for name in files_of(meta):
        read_verified(gen, meta, name)


def new_generation(index_dir: Path, stamp: str) -> Path:
    """A fresh, empty generation folder to write a build into."""
    index_dir.mkdir(parents=True, exist_ok=True)
    path = index_dir / f"gen-{stamp}"
    n = 0
    while path.exists():
        n += 1
        path = index_dir / f"gen-{stamp}-{n}"
    path.mkdir()
    return path


def make_faiss(vectors: np.ndarray, kind: str) -> faiss.Index:
    """A FAISS inner-product index over the rows: exact (`flat`) or approximate (`hnsw`)."""
    dim = vectors.shape[1]
    if kind == "flat":
        index = faiss.IndexFlatIP(dim)
    elif kind == "hnsw":
        index = faiss.IndexHNSWFlat(dim, 32, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = 80
        index.hnsw.efSearch = 128
    else:
        raise IndexMissing(f"unknown index kind {kind!r} (CASEBANK_INDEX_KIND: flat or hnsw)")
    if len(vectors):
        index.add(np.ascontiguousarray(vectors, dtype=np.float32))
    return index


@contextlib.contextmanager
def writing(path: Path) -> Iterator[None]:
    """Give a failed write the errno and path it lacks.

    numpy's `tofile` reports a full disk as `OSError: N requested and M written`, with no
    errno and no file name; that becomes ENOSPC on `path`, so the CLI can say "disk full".
    """
    try:
        yield
    except sqlite3.OperationalError as exc:
        # SQLite says "database or disk is full" without a path (the lexical index here).
        if "full" in str(exc):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path)) from exc
        raise
    except OSError as exc:
        if exc.errno is not None:
            if exc.filename is None:
                raise OSError(exc.errno, exc.strerror or str(exc), str(path)) from exc
            raise
        # numpy raises errno-less OSErrors only for a short write: the disk is full.
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path)) from exc
    except RuntimeError as exc:
        # FAISS reports a failed fwrite as a RuntimeError; a full disk is the usual cause.
        try:
            full = shutil.disk_usage(path.parent).free < _CHUNK
        except OSError:
            full = False
        if full:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path)) from exc
        raise


def write_generation(
    gen: Path,
    meta: dict[str, Any],
    rows: list[tuple[str, str, str]],
    vectors: np.ndarray,
    kind: str,
    neighbours: np.ndarray | None = None,
) -> None:
    """Write the dense part and the meta of a generation (the lexical db is written
    before), with the cases' neighbour table when given; meta.json, with every file's
    checksum, is written last."""
    with writing(gen / "vectors.npy"):
        np.save(gen / "vectors.npy", np.ascontiguousarray(vectors, dtype=np.float32))
    with writing(gen / "dense.faiss"):
        faiss.write_index(make_faiss(vectors, kind), str(gen / "dense.faiss"))
    with writing(gen / "rows.json"):
        (gen / "rows.json").write_text(json.dumps(rows), encoding="utf-8")
    if neighbours is not None:
        with writing(gen / "neighbours.npy"):
            np.save(gen / "neighbours.npy", np.ascontiguousarray(neighbours, dtype=np.int32))
    files = checksums(gen)
    missing = [name for name in FILES if name not in files]
    if missing:
        raise IndexMissing(f"the new generation lacks {', '.join(missing)}")
    meta = {**meta, "format": FORMAT, "rows": len(rows), "index_kind": kind, "files": files}
    with writing(gen / "meta.json"):
        (gen / "meta.json").write_text(json.dumps(meta, indent=1), encoding="utf-8")
        # Data on disk before CURRENT can point at it (a power cut must not leave a pointer
        # to files that never reached the disk).
        for name in ("meta.json", *files):
            fd = os.open(gen / name, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)


def _write_pointer(index_dir: Path, pointer: str, name: str) -> None:
    tmp = index_dir / (pointer + ".tmp")
    with writing(tmp):
        tmp.write_text(name, encoding="utf-8")
    os.replace(tmp, index_dir / pointer)


def publish(index_dir: Path, gen: Path) -> None:
    """Make `gen` the live generation atomically, then prune.

    Kept: the new generation and the one CURRENT pointed to before (recorded in PREVIOUS).
    Every other `gen-*` folder goes: older generations and partial folders of killed
    builds. Decided by the pointers, never by modification times; the caller holds the
    build lock, so no other build's folder is being written meanwhile.
    """
    before = current_generation(index_dir)
    if before is not None and before != gen and before.is_dir():
        _write_pointer(index_dir, PREVIOUS, before.name)
    _write_pointer(index_dir, POINTER, gen.name)
    prune(index_dir)


def prune(index_dir: Path) -> list[str]:
    """Remove every generation folder but CURRENT's and PREVIOUS's; returns the names removed.

    Call only while holding the build lock (a build's folder is partial until published).
    """
    keep = {p.name for p in (current_generation(index_dir), _pointed(index_dir, PREVIOUS)) if p}
    removed = []
    for path in index_dir.glob("gen-*"):
        if path.is_dir() and path.name not in keep:
            shutil.rmtree(path, ignore_errors=True)
            removed.append(path.name)
    return sorted(removed)


@contextlib.contextmanager
def build_lock(index_dir: Path) -> Iterator[None]:
    """Hold `build.lock` while building: one builder at a time (other workers only read).

    Raises LockHeld at once when another process builds. The kernel drops the lock when
    its holder dies, so a killed build never leaves a stale lock.
    """
    index_dir.mkdir(parents=True, exist_ok=True)
    path = index_dir / BUILD_LOCK
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise LockHeld(
                f"another process is building the search index (lock {BUILD_LOCK} in the "
                "index folder); wait for it to finish"
            ) from None
        try:
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def build_running(index_dir: Path) -> bool:
    """Whether some process holds the build lock right now."""
    path = index_dir / BUILD_LOCK
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    else:
        fcntl.flock(fd, fcntl.LOCK_UN)
        return False
    finally:
        os.close(fd)


def write_progress(
    index_dir: Path, done: int, total: int, started: float, pid: int | None = None
) -> None:
    """Record the build's progress in BUILDING.json (replaced atomically; best effort).

    `pid`: the building process (default: this one); `casebank serve` writes it for the
    child it starts, so the build shows before the child has taken the lock."""
    data = {"done": done, "total": total, "started": round(started, 3), "pid": pid or os.getpid()}
    tmp = index_dir / (PROGRESS + ".tmp")
    try:
        index_dir.mkdir(parents=True, exist_ok=True)
        tmp.write_text(json.dumps(data), encoding="utf-8")
        os.replace(tmp, index_dir / PROGRESS)
    except OSError:
        pass  # progress is a courtesy: a full disk must fail the build's writes, not this


def clear_progress(index_dir: Path) -> None:
    """Remove BUILDING.json (the build is over)."""
    with contextlib.suppress(OSError):
        (index_dir / PROGRESS).unlink()


def build_progress(index_dir: Path) -> dict[str, Any] | None:
    """`{done, total, percent, seconds}` of the build under way, or None when none runs.

    A BUILDING.json left by a killed build is ignored: a build runs only while its
    process holds the build lock.
    """
    try:
        data = json.loads((index_dir / PROGRESS).read_text(encoding="utf-8"))
        done, total = int(data["done"]), int(data["total"])
        started = float(data["started"])
    except (OSError, ValueError, KeyError, TypeError):
        data = None
    starting = data is not None and _alive(data.get("pid"))
    if not (build_running(index_dir) or starting):
        return None
    if data is None:
        return {"done": 0, "total": 0, "percent": 0, "seconds": 0}
    percent = int(100 * done / total) if total > 0 else 0
    return {
        "done": done,
        "total": total,
        "percent": max(0, min(percent, 100)),
        "seconds": max(0, round(time.time() - started)),
    }


def _alive(pid: object) -> bool:
    """Whether a process runs under this pid (a zombie, dead but not yet reaped, does not)."""
    if not isinstance(pid, int) or pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True
    return stat.rsplit(")", 1)[-1].split()[0] != "Z"


def looks_intact(gen: Path, meta: dict[str, Any]) -> bool:
    """Whether every file of a generation matches its checksum in meta.json (read once,
    not parsed: about a second per GB; a file damaged in place keeps its size)."""
    if meta.get("format") != FORMAT or not isinstance(meta.get("files"), dict):
        return False
    try:
        verify(gen, meta)
    except IndexMissing:
        return False
    return True


#: The files `load_dense` itself reads (the rest is the lexical index).
DENSE_FILES = ("rows.json", "vectors.npy", "dense.faiss")


def load_dense(index_dir: Path, model_id: str | None, *, check_all: bool = True) -> DenseIndex:
    """Load the live generation into memory; IndexMissing if absent or of another model,
    IndexCorrupt (naming the file) if a file is unreadable or fails its checksum.

    `check_all=False` checks only the dense files (a build reusing vectors writes the
    lexical index anew)."""
    gen = current_generation(index_dir)
    if gen is None or not gen.is_dir():
        build = build_progress(index_dir)
        if build is not None:
            raise IndexMissing(
                f"the search index is being built ({build['percent']} %): semantic search "
                "starts when it is ready"
            )
        raise IndexMissing(f"no search index yet: {FIX}")
    meta = _meta_of(gen)
    if model_id is not None and meta.get("model_id") != model_id:
        raise IndexMissing(
            f"the search index was built with model {meta.get('model_id')!r} but the "
            f"configured model is {model_id!r}: {REBUILD}"
        )
    # Every file is checked, also the one other parts read (the lexical db): a service
    # loading this generation then knows all of it matches what the build wrote.
    if check_all:
        verify(gen, meta)
    try:
        rows = json.loads(read_verified(gen, meta, "rows.json"))
    except ValueError as exc:
        raise IndexCorrupt("rows.json", f"not JSON: {exc}") from None
    try:
        vectors = np.load(io.BytesIO(read_verified(gen, meta, "vectors.npy")))
    except ValueError as exc:
        raise IndexCorrupt("vectors.npy", str(exc)) from None
    raw = read_verified(gen, meta, "dense.faiss")
    if raw[:4] not in FAISS_HEADERS:
        raise IndexCorrupt("dense.faiss", "not a FAISS index")
    try:
        index = faiss.deserialize_index(np.frombuffer(raw, dtype=np.uint8))
    except RuntimeError as exc:
        raise IndexCorrupt("dense.faiss", str(exc).splitlines()[0][:200]) from None
    if not (len(rows) == vectors.shape[0] == index.ntotal):
        raise IndexCorrupt(
            "meta.json",
            f"{len(rows)} rows, {vectors.shape[0]} vectors, {index.ntotal} in FAISS",
        )
    if len(rows) and (vectors.ndim != 2 or vectors.shape[1] != meta.get("dim")):
        raise IndexCorrupt("vectors.npy", f"shape {vectors.shape}, meta says dim {meta['dim']}")
    if vectors.dtype != np.float32 or not np.isfinite(vectors).all():
        raise IndexCorrupt("vectors.npy", "not finite float32 values")
    neighbours = None
    if "neighbours.npy" in meta["files"]:
        neighbours = _load_neighbours(gen, meta, len(dict.fromkeys(r[0] for r in rows)))
    return DenseIndex(
        path=gen,
        meta=meta,
        row_case=[r[0] for r in rows],
        row_field=[r[1] for r in rows],
        row_text_hash=[r[2] for r in rows],
        vectors=vectors,
        faiss_index=index,
        neighbours=neighbours,
    )


def _load_neighbours(gen: Path, meta: dict[str, Any], n_cases: int) -> np.ndarray:
    """The generation's neighbour table, checked to be positions of its cases."""
    try:
        table = np.load(io.BytesIO(read_verified(gen, meta, "neighbours.npy")))
    except ValueError as exc:
        raise IndexCorrupt("neighbours.npy", str(exc)) from None
    if table.ndim != 2 or table.shape[0] != n_cases or table.dtype.kind != "i":
        raise IndexCorrupt("neighbours.npy", f"shape {table.shape}, {n_cases} cases indexed")
    if table.size and (table.min() < -1 or table.max() >= n_cases):
        raise IndexCorrupt("neighbours.npy", "a neighbour outside the cases indexed")
    return table.astype(np.int64)
