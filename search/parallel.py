"""Helper threads for the parts of one search that can run beside each other.

A search's lexical look-up (SQLite) and its pass over the field vectors (FAISS) wait in
C code that releases the GIL, so on a free core they run at the same time.
`beside(fn, ...)` hands a part to the process's helper threads and returns a function
that gives its result: if no helper has started the part by then (all busy with other
searches), the caller runs it itself, so a search never waits in a queue and helpers
waiting for each other cannot deadlock.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

T = TypeVar("T")

#: Helper threads per process: a few searches in flight at once.
HELPERS = 8

_pool: ThreadPoolExecutor | None = None
_lock = threading.Lock()


def _forget() -> None:
    # A forked child has none of its parent's threads: it makes its own pool.
    global _pool, _lock
    _pool, _lock = None, threading.Lock()


os.register_at_fork(after_in_child=_forget)


def _helpers() -> ThreadPoolExecutor:
    global _pool
    with _lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(HELPERS, thread_name_prefix="casebank-search")
        return _pool


def beside(fn: Callable[..., T], *args: object) -> Callable[[], T]:
    """Start `fn(*args)` on a helper thread; the returned function waits for its result
    (or its exception), or runs it on the calling thread if no helper has begun it."""
    job = _helpers().submit(fn, *args)

    def result() -> T:
        if job.cancel():  # still queued: cheaper to run it here than to wait
            return fn(*args)
        return job.result()

    return result
