"""The FTS5 index: user text is quoted term by term, never read as FTS5 syntax."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from corpus.model import FundRef
from search import lexical
from search.lexical import LexicalIndex, query_terms, quote
from search.texts import lexical_texts


def test_query_terms_are_plain_words() -> None:
    assert query_terms('"foo AND ( bar*') == ["foo", "and", "bar"]
    assert query_terms("NEAR(x y) title:TUBA ^a -b") == [
        "near",
        "x",
        "y",
        "title",
        "tuba",
        "a",
        "b",
    ]
    assert query_terms("Norrköping Norrköping") == ["norrköping"]
    assert query_terms("___ ((( )))") == []


def test_quote_doubles_quotes() -> None:
    assert quote('a"b') == '"a""b"'


@pytest.fixture
def index(tmp_path: Path, cases) -> LexicalIndex:
    lexical.build(tmp_path / "lex.db", [(c.id, lexical_texts(c)) for c in cases])
    return LexicalIndex(tmp_path / "lex.db")


def test_names_match_exactly_and_without_diacritics(index: LexicalIndex) -> None:
    for term, case_id in [
        ("peterborough", "c-homeless-uk"),
        ("tuba", "c-tuba-dk"),
        ("norrköping", "c-dementia-se"),
        ("norrkoping", "c-dementia-se"),
        ("mungo", "c-homeless-uk"),
    ]:
        hits = index.search([term])
        assert set(hits.matched) == {case_id}, term
        assert case_id in hits.bm25


@pytest.mark.parametrize("term", ["and", "or", "not", "near", "*", '"', "(", "a:b", "^"])
def test_fts_operators_as_terms_never_raise(index: LexicalIndex, term: str) -> None:
    hits = index.search([term])
    assert isinstance(hits.matched, dict)


def test_idf_of_unknown_terms_is_highest(index: LexicalIndex) -> None:
    hits = index.search(["zzzunknown", "peterborough", "young"])
    assert hits.known == {"peterborough", "young"}
    assert hits.idf["zzzunknown"] > hits.idf["peterborough"] > hits.idf["young"]


def test_a_projects_outcome_fund_names_it(tmp_path: Path, cases) -> None:
    """People name projects by their fund ("Fair Chance Fund"): the fund's name is in the
    names column, so a fund query finds every project in it."""
    funded = cases[0].model_copy(
        update={"outcome_funds": [FundRef(id="INDIGO-FUND-0001", name="Fair Chance Fund")]}
    )
    rows = [(c.id, lexical_texts(c)) for c in [funded, *cases[1:]]]
    lexical.build(tmp_path / "lex.db", rows)
    hits = LexicalIndex(tmp_path / "lex.db").search(["fair", "chance", "fund"])
    assert funded.id in hits.matched
    assert "Fair Chance Fund" in lexical_texts(funded)["names"]


def test_kept_terms_give_the_hits_of_a_fresh_index(tmp_path: Path, cases) -> None:
    """A term looked up once is kept (`LexicalIndex._term`); later searches that share
    it, alone, in a phrase or with other terms, get what a new index reads from SQLite,
    and a restricted result never changes what is kept."""
    lexical.build(tmp_path / "lex.db", [(c.id, lexical_texts(c)) for c in cases])
    warm = LexicalIndex(tmp_path / "lex.db")
    queries = [
        ["homeless", "young"],
        ["young", "people", "young people"],
        ["homeless", "zzzunknown", "tuba"],
        ["young people", "homeless"],
    ]
    for terms in queries:
        first = warm.search(terms)
        first.restrict(np.zeros(len(first.case_ids), dtype=bool))
    for terms in queries:
        fresh = LexicalIndex(tmp_path / "lex.db").search(terms)
        again = warm.search(terms)
        assert again.idf == fresh.idf and again.known == fresh.known, terms
        assert again.common == fresh.common and again.bm25 == fresh.bm25, terms
        assert {t: c.tolist() for t, c in again.term_cases.items()} == {
            t: c.tolist() for t, c in fresh.term_cases.items()
        }, terms
    assert warm.search(["homeless"]).term_cases  # the kept cases were not emptied
