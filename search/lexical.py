"""The lexical index: SQLite FTS5 over names, parties, places and descriptive text.

It finds names exactly ("Peterborough", "TUBA", "Norrköping") where embeddings blur
them. User text never reaches FTS5 syntax: it is cut into word tokens and each token is
quoted, so `"foo AND (`, `NEAR(` or `*` are searched as plain words or dropped.

Besides BM25 it reports, per case, which query terms matched and their IDF, so ranking
can tell strong lexical evidence (rare names that match) from weak (common words).

Each thread reads through its own read-only connection, so searches run in parallel
(sqlite3 releases the GIL while a query runs). The cases a term matches are kept as an
array of positions, not as per-case sets: at 10,000 cases a common word matches
thousands, and ranking reads them with numpy.
"""

from __future__ import annotations

import json
import math
import re
import sqlite3
import threading
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

COLUMNS = ("names", "who_where", "body")
#: BM25 weights per column: a hit in a name says more than one in the description.
WEIGHTS = (5.0, 2.0, 1.0)
#: A term in more than this share of the cases (and more than COMMON_MIN) is too common
#: to count as lexical evidence.
COMMON_SHARE = 0.25
COMMON_MIN = 20
#: Terms matching at most this many cases have their cases listed in full.
FETCH_MAX = 5000
#: BM25 results kept per query.
MAX_HITS = 1000
#: Terms whose document frequency and cases are kept per index (`LexicalIndex._term`):
#: room for the glossary's 2,870 English terms and words (`LexicalIndex.warm`) and as many
#: of the queries' own words again.
TERM_CACHE = 8192
#: Query terms considered; longer queries are long descriptions where dense ranking leads.
MAX_TERMS = 24

_TOKEN = re.compile(r"\w+", re.UNICODE)
#: The rowids of (at most `?` of) the cases a term matches, in one string.
_FIRST_ROWIDS = "SELECT group_concat(rowid) FROM (SELECT rowid FROM fts WHERE fts MATCH ? LIMIT ?)"


def query_terms(text: str) -> list[str]:
    """Distinct word tokens of a query, lower-cased, in order (underscores dropped)."""
    out: list[str] = []
    for tok in _TOKEN.findall(text.casefold()):
        tok = tok.strip("_")
        if tok and tok not in out:
            out.append(tok)
    return out[:MAX_TERMS]


def quote(term: str) -> str:
    """An FTS5 string literal: the term as a plain phrase, never as syntax."""
    return '"' + term.replace('"', '""') + '"'


@dataclass
class LexicalHits:
    """Lexical evidence for one query."""

    #: case id -> BM25 score (higher is better; FTS5's is negated so larger is better here).
    bm25: dict[str, float] = field(default_factory=dict)
    #: query term -> IDF in the index (terms absent from the index get the highest IDF).
    idf: dict[str, float] = field(default_factory=dict)
    #: query terms found in at least one case.
    known: set[str] = field(default_factory=set)
    #: known terms found in so many cases that they are no evidence (see COMMON_SHARE).
    common: set[str] = field(default_factory=set)
    #: query term -> sorted positions (in `case_ids`) of the cases it was matched in.
    term_cases: dict[str, np.ndarray] = field(default_factory=dict)
    #: The index's case ids by position, and each id's position (shared with the
    #: index, never changed).
    case_ids: list[str] = field(default_factory=list)
    case_pos: dict[str, int] = field(default_factory=dict)

    @property
    def matched(self) -> dict[str, set[str]]:
        """case id -> query terms found in that case."""
        out: dict[str, set[str]] = {}
        for term, cases in self.term_cases.items():
            for i in cases.tolist():
                out.setdefault(self.case_ids[i], set()).add(term)
        return out

    def matched_cases(self) -> np.ndarray:
        """Sorted positions of every case some term matched."""
        if not self.term_cases:
            return np.zeros(0, dtype=np.int64)
        return np.unique(np.concatenate(list(self.term_cases.values())))

    def restrict(self, keep: np.ndarray) -> None:
        """Forget the matches and BM25 scores of cases outside `keep` (a boolean mask
        over positions)."""
        self.term_cases = {t: c[keep[c]] for t, c in self.term_cases.items()}
        self.term_cases = {t: c for t, c in self.term_cases.items() if len(c)}
        self.bm25 = {c: v for c, v in self.bm25.items() if keep[self.case_pos[c]]}


def build(path: Path, rows: Iterable[tuple[str, dict[str, str]]]) -> None:
    """Write a fresh FTS5 index at `path` (which must not exist yet) from
    `(case id, lexical_texts(case))` pairs."""
    conn = sqlite3.connect(path)
    try:
        cols = ", ".join(COLUMNS)
        conn.execute(
            f"CREATE VIRTUAL TABLE fts USING fts5(case_id UNINDEXED, {cols}, "
            "tokenize = 'porter unicode61 remove_diacritics 2')"
        )
        conn.executemany(
            f"INSERT INTO fts VALUES (?, {', '.join('?' * len(COLUMNS))})",
            ((case_id, *(texts[c] for c in COLUMNS)) for case_id, texts in rows),
        )
        conn.execute("INSERT INTO fts(fts) VALUES ('optimize')")
        conn.commit()
    finally:
        conn.close()


class LexicalIndex:
    """Read side of the FTS5 index."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._local = threading.local()
        self._all: list[sqlite3.Connection] = []
        self._all_lock = threading.Lock()
        conn = self._connection()
        self.count = conn.execute("SELECT count(*) FROM fts").fetchone()[0]
        rows = conn.execute("SELECT rowid, case_id FROM fts ORDER BY rowid").fetchall()
        #: Case ids by position; `rowids[i]` is the FTS rowid of `case_ids[i]`.
        self.case_ids: list[str] = [c for _, c in rows]
        self.rowids = np.array([r for r, _ in rows], dtype=np.int64)
        self._pos = {c: i for i, c in enumerate(self.case_ids)}
        self._terms: OrderedDict[tuple[str, int], tuple[int, np.ndarray | None]] = OrderedDict()
        self._terms_lock = threading.Lock()

    def _connection(self) -> sqlite3.Connection:
        """This thread's read-only connection (one sqlite3 connection per thread)."""
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, check_same_thread=False)
            self._local.conn = conn
            with self._all_lock:
                self._all.append(conn)
        return conn

    @property
    def _conn(self) -> sqlite3.Connection:
        return self._connection()

    def close(self) -> None:
        """Close every thread's connection."""
        with self._all_lock:
            for conn in self._all:
                conn.close()
            self._all.clear()

    def _idf(self, df: int) -> float:
        n = max(self.count, 1)
        return math.log((n - df + 0.5) / (df + 0.5) + 1.0)

    def search(
        self, terms: list[str], candidates: Iterable[str] = (), with_bm25: bool = True
    ) -> LexicalHits:
        """Lexical evidence for the terms (see `query_terms`); every term is quoted, so
        none is read as FTS5 syntax.

        Terms in more than a quarter of the cases are `common`: too frequent to be
        evidence, they are left out of matching (which keeps large corpora fast). The
        cases each remaining term matches are listed in full when it is rare enough
        (`FETCH_MAX`), else only among `candidates` and the cases rarer terms matched.
        BM25 (only needed by the plain lexical and RRF rankings) covers the best
        `MAX_HITS` cases.
        """
        hits = LexicalHits(case_ids=self.case_ids, case_pos=self._pos)
        if not terms:
            return hits
        common_df, cap = self._limits()
        deferred = []
        for term in terms:
            df, cases = self._term(term, cap)
            hits.idf[term] = self._idf(df)
            if not df:
                continue
            hits.known.add(term)
            if df > common_df:
                hits.common.add(term)
            elif df > FETCH_MAX:
                deferred.append(term)
            else:
                hits.term_cases[term] = cases
        if deferred:
            pool = hits.matched_cases().tolist()
            pool += [self._pos[c] for c in candidates if c in self._pos]
            rowids = json.dumps(sorted({int(self.rowids[i]) for i in pool}))
            for term in deferred:
                sql = (
                    "SELECT group_concat(rowid) FROM fts WHERE fts MATCH ? AND rowid IN "
                    "(SELECT value FROM json_each(?))"
                )
                self._record(hits, term, self._rowids(sql, [quote(term), rowids]))
        useful = [t for t in terms if t in hits.known and t not in hits.common]
        if with_bm25 and useful:
            weights = ", ".join(str(w) for w in WEIGHTS)
            rows = self._conn.execute(
                f"SELECT case_id, bm25(fts, 0, {weights}) AS s FROM fts WHERE fts MATCH ? "
                "ORDER BY s LIMIT ?",
                [" OR ".join(quote(t) for t in useful), MAX_HITS],
            )
            hits.bm25 = {case_id: -score for case_id, score in rows}
        return hits

    def _limits(self) -> tuple[float, int]:
        """The document frequency above which a term is common (no evidence), and the
        most cases a term has listed in full."""
        common_df = max(COMMON_SHARE * self.count, COMMON_MIN)
        return common_df, int(min(common_df, FETCH_MAX))

    def warm(self, terms: Iterable[str]) -> None:
        """Look up and keep each term's document frequency and cases now, as `search`
        would (a server does it for the glossary's English terms while a generation
        loads: a new query then looks up only its own words). Stops when the kept terms
        would push out others."""
        _, cap = self._limits()
        for term in terms:
            if len(self._terms) >= TERM_CACHE // 2:
                return
            self._term(term, cap)

    def _term(self, term: str, cap: int) -> tuple[int, np.ndarray | None]:
        """A term's document frequency and, when it is at most `cap`, the sorted
        positions of the cases it matches (read-only), else None. Kept: the index never
        changes, and the glossary's English terms recur from query to query (a query
        looks up about 28 terms, 2.2 ms at 348 cases when none is kept)."""
        key = (term, cap)
        with self._terms_lock:
            if key in self._terms:
                self._terms.move_to_end(key)
                return self._terms[key]
        found = None
        try:
            if len(_TOKEN.findall(term)) > 1:
                # A term of several words is a phrase, which FTS5 counts as slowly as
                # it lists the phrase's cases: it is listed first (up to `cap`) and
                # counted only when there are more. A single word is counted first.
                found = self._rowids(_FIRST_ROWIDS, [quote(term), cap + 1])
                df = len(found) if len(found) <= cap else self._count(term)
            else:
                df = self._count(term)
                if 0 < df <= cap:
                    found = self._rowids(_FIRST_ROWIDS, [quote(term), cap + 1])
        except sqlite3.OperationalError:
            df = 0  # a token the tokenizer reduces to nothing cannot match
        cases = None
        if df and df <= cap and found is not None:
            cases = self._positions(found)
            cases.flags.writeable = False  # shared by every search that asks for it
        with self._terms_lock:
            self._terms[key] = (df, cases)
            while len(self._terms) > TERM_CACHE:
                self._terms.popitem(last=False)
        return df, cases

    def _count(self, term: str) -> int:
        """How many cases the term matches."""
        sql = "SELECT count(*) FROM fts WHERE fts MATCH ?"
        return self._conn.execute(sql, [quote(term)]).fetchone()[0]

    def _rowids(self, sql: str, args: list) -> np.ndarray:
        """The rowids of a `group_concat(rowid)` query, as an array (one string from
        SQLite instead of a Python tuple per row: several times faster for thousands)."""
        text = self._conn.execute(sql, args).fetchone()[0]
        return np.fromstring(text or "", sep=",", dtype=np.int64)

    def _positions(self, found: np.ndarray) -> np.ndarray:
        """The sorted positions (in `case_ids`) of the cases with these FTS rowids."""
        return np.unique(np.searchsorted(self.rowids, found))

    def _record(self, hits: LexicalHits, term: str, found: np.ndarray) -> None:
        """Record the cases one term matches (their FTS rowids)."""
        if len(found):
            hits.term_cases[term] = self._positions(found)
