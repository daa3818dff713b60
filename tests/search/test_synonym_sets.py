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


def _shares(hits, groups, synonym_sets=None) -> dict[str, float]:
    """`coverage` (positions in the lexical index, shares) as {case id: share}."""
    at, share = coverage(hits, groups, synonym_sets)
    return {hits.case_ids[i]: v for i, v in zip(at.tolist(), share.tolist(), strict=True)}


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
    full = _shares(hits, exp.groups, exp.synonym_sets)
    graded = _shares(hits, exp.groups)
    assert full and set(full) == set(graded)
    matched = hits.matched
    fully = {c for c in full if matched[c] & exp.synonym_sets[0]}
    # Each case with any English term of the concept has covered the query...
    assert fully and all(full[c] == 1.0 for c in fully)
    # ...graded, a case with only a more frequent term covers less than all.
    assert all(graded[c] <= full[c] for c in full)
    assert min(graded[c] for c in fully) < 1.0


def test_the_words_of_a_nordic_forms_english_terms_are_graded() -> None:
    exp = expand("vankilasta vapautuvien")  # release from prison
    group, full = exp.groups[0], exp.synonym_sets[0]
    assert {"release from prison", "prison"} <= set(group)
    assert "release from prison" in full and "prison" not in full
    assert "prison" not in expand("vankilasta vapautuvien", term_words=False).groups[0]


def test_a_word_of_a_term_covers_a_synonym_set_in_part(indexed: tuple[Settings, Store]) -> None:
    service = SearchService(*indexed)
    lexical = service.generation().lexical
    exp = expand("hjemløshed")  # homelessness, homeless people, ...
    hits = lexical.search(exp.terms)
    cov = _shares(hits, exp.groups, exp.synonym_sets)
    matched = hits.matched
    by_word = [c for c in cov if not matched[c] & exp.synonym_sets[0]]
    # A case with only a word of a term ("people" of "homeless people") covers in part.
    assert by_word and all(0.0 < cov[c] < 1.0 for c in by_word)


def test_what_a_query_was_searched_as_names_its_nordic_words_and_acronyms() -> None:
    # A Danish word and phrase with their concept's English term; a compound's parts
    # together; an acronym with its expansion.
    assert expand("efterværn for unge der forlader en anbringelse").understood == [
        ("efterværn", ("care leavers",)),
        ("unge der forlader en anbringelse", ("care leavers",)),
    ]
    assert expand("hjemløshedsforebyggelse").understood == [
        ("hjemløshedsforebyggelse", ("homelessness", "prevention"))
    ]
    assert expand("MST").understood == [("MST", ("Multisystemic Therapy",))]
    # English is searched as typed: nothing to say, nor for words the glossary lacks.
    assert expand("care leavers").understood == []
    assert expand("xyzzyqq").understood == []
    assert expand("efterværn", use_glossary=False).understood == []


def test_a_questions_pronouns_and_question_words_are_no_parts_of_it() -> None:
    # A caseworker's question: only its content words are parts a case must cover.
    for q, content in (
        ("Hur kan vi förebygga att unga dras in i gäng?", ["förebygga", "unga", "gäng", "dras"]),
        ("hvordan kan vi hjælpe hjemløse unge", ["hjemløse unge", "hjælpe"]),
        ("how can we help homeless young people", ["help", "homeless"]),
    ):
        assert [g[0] for g in expand(q).groups] == content, q
    # A Nordic function word that English writes as a word of its own stays a part.
    assert ["end"] in expand("support at the end of life").groups
    assert ["man"] in expand("homeless man").groups
