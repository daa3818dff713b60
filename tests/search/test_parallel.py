"""The helper threads of one search: results, errors, and no waiting in a full queue."""

from __future__ import annotations

import threading

import pytest

from search import parallel


def test_beside_gives_the_result_and_the_error_of_its_part() -> None:
    assert parallel.beside(sum, [1, 2, 3])() == 6

    def fails() -> None:
        raise ValueError("from the helper")

    with pytest.raises(ValueError, match="from the helper"):
        parallel.beside(fails)()


def test_a_part_no_helper_has_begun_runs_on_the_calling_thread() -> None:
    """With every helper busy, the result function runs the part itself at once
    instead of waiting for a helper (which could wait on the caller: a deadlock)."""
    release = threading.Event()
    started = threading.Semaphore(0)

    def block() -> None:
        started.release()
        release.wait(10)

    busy = [parallel.beside(block) for _ in range(parallel.HELPERS)]
    for _ in range(parallel.HELPERS):
        assert started.acquire(timeout=10)
    try:
        ran_on = parallel.beside(threading.current_thread)()
        assert ran_on is threading.current_thread()
    finally:
        release.set()
        for wait in busy:
            wait()
