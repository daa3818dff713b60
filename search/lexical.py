"""The lexical index: SQLite FTS5 over names, parties, places and descriptive text.

It finds names exactly ("Peterborough", "TUBA", "Norrköping") where embeddings blur
them. User text never reaches FTS5 syntax: it is cut into word tokens and each token is
quoted, so `"foo AND (`, `NEAR(` or `*` are searched as plain words or dropped.

Besides BM25 it reports, per case, which query terms matched and their IDF, so ranking
can tell strong lexical evidence (rare names that match) from weak (common words).
"""

from __future__ import annotations

import math
import re
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

from corpus.model import Case
from search.texts import lexical_texts

COLUMNS = ("names", "who_where", "body")
#: BM25 weights per column: a hit in a name says more than one in the description.
WEIGHTS = (5.0, 2.0, 1.0)
#: Query terms considered; longer queries are long descriptions where dense ranking leads.
MAX_TERMS = 24

_TOKEN = re.compile(r"\w+", re.UNICODE)


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
    #: case id -> query terms found in that case.
    matched: dict[str, set[str]] = field(default_factory=dict)
    #: query term -> IDF in the index (terms absent from the index get the highest IDF).
    idf: dict[str, float] = field(default_factory=dict)
    #: query terms found in at least one case.
    known: set[str] = field(default_factory=set)


def build(path: Path, cases: list[Case]) -> None:
    """Write a fresh FTS5 index of the cases at `path` (which must not exist yet)."""
    conn = sqlite3.connect(path)
    try:
        cols = ", ".join(COLUMNS)
        conn.execute(
            f"CREATE VIRTUAL TABLE fts USING fts5(case_id UNINDEXED, {cols}, "
            "tokenize = 'porter unicode61 remove_diacritics 2')"
        )
        rows = []
        for case in cases:
            texts = lexical_texts(case)
            rows.append((case.id, *(texts[c] for c in COLUMNS)))
        conn.executemany(f"INSERT INTO fts VALUES (?, {', '.join('?' * len(COLUMNS))})", rows)
        conn.execute("INSERT INTO fts(fts) VALUES ('optimize')")
        conn.commit()
    finally:
        conn.close()


class LexicalIndex:
    """Read side of the FTS5 index."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False)
        self.count = self._conn.execute("SELECT count(*) FROM fts").fetchone()[0]

    def close(self) -> None:
        """Close the connection."""
        self._conn.close()

    def _idf(self, df: int) -> float:
        n = max(self.count, 1)
        return math.log((n - df + 0.5) / (df + 0.5) + 1.0)

    def search(self, terms: list[str]) -> LexicalHits:
        """Cases matching any of the terms (see `query_terms`), with BM25, matched terms
        and term IDFs; every term is quoted, so none is read as FTS5 syntax."""
        hits = LexicalHits()
        if not terms:
            return hits
        weights = ", ".join(str(w) for w in WEIGHTS)
        for term in terms:
            try:
                ids = [
                    r[0]
                    for r in self._conn.execute(
                        "SELECT case_id FROM fts WHERE fts MATCH ?", [quote(term)]
                    )
                ]
            except sqlite3.OperationalError:
                # A token the tokenizer reduces to nothing; it cannot match anyway.
                ids = []
            hits.idf[term] = self._idf(len(ids))
            if ids:
                hits.known.add(term)
            for case_id in ids:
                hits.matched.setdefault(case_id, set()).add(term)
        if hits.known:
            expr = " OR ".join(quote(t) for t in terms if t in hits.known)
            for case_id, score in self._conn.execute(
                f"SELECT case_id, bm25(fts, 0, {weights}) FROM fts WHERE fts MATCH ?", [expr]
            ):
                hits.bm25[case_id] = -score
        return hits
