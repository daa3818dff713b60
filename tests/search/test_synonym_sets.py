"""A Nordic word's lexical group is a synonym set: any of its English alternatives
covers that part of the query fully, while an English word's group stays graded by IDF.

Real FTS5 index over the synthetic store of conftest.py, real glossary.
"""

from __future__ import annotations

from corpus.settings import Settings
from corpus.store import Store
from search.expansion import expand
from search.ranking import coverage
from search.service import SearchService


def test_only_nordic_groups_are_synonym_sets() -> None:
    exp = expand("efterværn for unge hjemløse i Aarhus")
    assert len(exp.synonym_sets) == len(exp.groups)
    flagged = [g[0] for g, s in zip(exp.groups, exp.synonym_sets, strict=True) if s]
    assert flagged and "aarhus" not in flagged  # a word the glossary does not know
    english = expand("care leavers and MST")
    assert english.synonym_sets and not any(english.synonym_sets)  # English and acronyms


def test_any_alternative_covers_a_synonym_set_fully(indexed: tuple[Settings, Store]) -> None:
    service = SearchService(*indexed)
    lexical = service.generation().lexical
    exp = expand("hjemløshed")
    hits = lexical.search(exp.terms)
    full = coverage(hits, exp.groups, exp.synonym_sets)
    graded = coverage(hits, exp.groups)
    assert full and set(full) == set(graded)
    # Each case with any English term of the concept has covered the query.
    assert all(v == 1.0 for v in full.values())
    assert all(graded[c] <= full[c] for c in full)
    # Graded, a case with only a more frequent alternative covers less than all.
    assert min(graded.values()) < 1.0
