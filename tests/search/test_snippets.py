"""Snippets: the matching sentence, cut between words, with the matched words' spans."""

from __future__ import annotations

import re

import pytest

from corpus.model import Case, OutcomeMetric, Party
from search.expansion import expand
from search.snippets import MAX_LEN, _matches, cut, fold, highlights, snippet
from search.texts import outcomes_text


def marked(s) -> list[str]:
    return [s.text[a:b] for a, b in s.highlights]


def test_the_sentence_with_the_rarest_words_wins_and_they_are_marked() -> None:
    case = Case(
        id="c",
        title="Youth programme",
        social_challenge="Many young people leave school early. Few find work afterwards.",
        intervention="Mentors help school leavers into apprenticeships. E.g. 1.5 days a week.",
    )
    s = snippet(case, ["apprenticeships", "school"], idf={"apprenticeships": 3.0, "school": 1.0})
    assert s.kind == "intervention"
    assert s.text == "Mentors help school leavers into apprenticeships."
    assert marked(s) == ["school", "apprenticeships"]


def test_sentences_do_not_break_inside_abbreviations_or_numbers() -> None:
    case = Case(id="c", title="T", intervention="Support e.g. housing for 1.5 years. Then more.")
    s = snippet(case, ["housing"])
    assert s.text == "Support e.g. housing for 1.5 years."


def test_stems_match_inflections_but_not_unrelated_words() -> None:
    text = "Homeless people and homelessness services; international intervention."
    assert [text[a:b] for a, b in highlights(text, ["homelessness"])] == [
        "Homeless",
        "homelessness",
    ]
    assert [text[a:b] for a, b in highlights(text, ["intervention"])] == ["intervention"]
    # Folding keeps offsets: the marked span is the original text with its diacritics.
    nordic = "Støtte til hjemløse i Århus"
    assert [nordic[a:b] for a, b in highlights(nordic, ["arhus"])] == ["Århus"]
    assert len(fold("Straße İstanbul")) == len("Straße İstanbul")


def test_long_sentences_are_cut_between_words_around_the_match() -> None:
    words = " ".join(f"word{i}" for i in range(80))
    sentence = f"{words} the key rough sleepers match here {words}"
    text, spans = cut(sentence, highlights(sentence, ["sleepers"]))
    assert len(text) <= MAX_LEN + 4
    assert text.startswith("… ") and text.endswith(" …")
    assert text[2:].split(" ")[0] in sentence.split(" ")  # starts at a whole word
    assert text[:-2].split(" ")[-1] in sentence.split(" ")  # ends at a whole word
    assert [text[a:b] for a, b in spans] == ["sleepers"]


def test_every_case_with_text_gets_a_snippet_and_names_come_last() -> None:
    case = Case(
        id="c",
        title="Peterborough bond",
        intervention="Key workers for people leaving prison.",
        parties=[Party(name="Peterborough Council", role="outcome_payer")],
    )
    # The organisations that match are worth showing ...
    assert snippet(case, ["peterborough"]).kind == "who"
    # ... but when only the name matches, the description is shown (the title is on
    # screen anyway).
    alone = case.model_copy(update={"parties": []})
    assert snippet(alone, ["peterborough"]).kind == "intervention"
    # Nothing matches: the start of the best-matching field.
    assert snippet(case, ["zzz"], best_field="intervention").kind == "intervention"
    assert snippet(Case(id="t", title="Only a title"), ["x"]).kind == "title"


def test_the_readers_language_wins_ties() -> None:
    case = Case(
        id="c",
        title="Housing First",
        intervention="Housing First for young homeless people.",
        intervention_i18n={"da": "Housing First til unge hjemløse."},
    )
    s = snippet(case, ["housing"], lang="da")
    assert s.lang == "da" and s.text == "Housing First til unge hjemløse."
    assert snippet(case, ["housing"], lang="en").lang is None


def test_each_query_part_counts_once_and_the_words_as_typed_win_ties() -> None:
    """A Danish query's expansion: each word as typed, then its English terms and their
    words. The Danish summary says both parts as typed; the English one says them too,
    in more terms."""
    case = Case(
        id="c",
        title="T",
        summary={
            "en": "Many young people with anxiety get help.",
            "da": "Mange unge med angst får hjælp.",
        },
    )
    groups = [["unge", "young people", "young", "people"], ["angst", "anxiety"]]
    terms = [t for g in groups for t in g]
    s = snippet(case, terms, groups=groups)
    assert s.lang == "da" and marked(s) == ["unge", "angst"]
    # Counted term by term, the English sentence's four terms beat the Danish two.
    assert snippet(case, terms).lang == "en"
    # A part said by a rarer term still weighs more: rarity first, then the typed words
    # ... unless the query is Nordic: the Danish summary translates the English one
    # and says its words as typed (see the next test).
    idf = {"anxiety": 3.0, "angst": 1.0}
    assert snippet(case, terms, idf=idf, groups=groups).lang == "en"
    assert snippet(case, terms, idf=idf, groups=groups, nordic=True).lang == "da"


def test_a_translation_that_says_the_words_typed_is_shown_instead_of_its_original() -> None:
    """A Danish query over a Danish case whose challenge is written in English with a
    Danish translation: the English original says both parts, in the glossary's English
    terms; the translation says one, as typed. They say the same thing, so the reader
    gets the translation, their word marked; with no word typed in it, the original."""
    case = Case(
        id="c",
        title="T",
        social_challenge="Young people with substance use and mental illness risk homelessness.",
        social_challenge_i18n={"da": "Unge med misbrug og psykisk sygdom risikerer hjemløshed."},
    )
    groups = [
        ["stofmisbrug", "substance use", "substance", "use"],
        ["unge", "young people", "young", "people"],
    ]
    terms = [t for g in groups for t in g]
    idf = {"stofmisbrug": 4.0, "substance use": 4.0, "substance": 3.0, "use": 0.5}
    s = snippet(case, terms, idf=idf, groups=groups, nordic=True)
    assert (s.kind, s.lang) == ("challenge", "da")
    assert marked(s) == ["Unge"]
    alone = [groups[0]]
    s = snippet(case, groups[0], idf=idf, groups=alone, nordic=True)
    assert (s.kind, s.lang) == ("challenge", None)
    assert marked(s) == ["substance", "use"]
    # An English query's parts as typed are its single words: the rule is not for it.
    english = [["young", "young people"], ["substance", "substance use"]]
    s = snippet(case, [t for g in english for t in g], idf=idf, groups=english)
    assert (s.kind, s.lang) == ("challenge", None)


def test_a_nordic_query_is_known_by_its_glossary_forms() -> None:
    assert expand("stofmisbrug unge").nordic
    assert not expand("substance misuse among young people").nordic
    assert not expand("NEET").nordic  # an acronym is not a Nordic word


@pytest.mark.parametrize(
    ("text", "literal", "whole"),
    [
        ("aaa aa a_aa 2aa aa", "aa", True),
        ("aaa aa a_aa 2aa aa", "aa", False),
        ("homelessness, homeless-people; the_homeless (homeless)", "homel", False),
        ("housing first housing firsthand xhousing first", "housing f", False),
        ("care care-leavers carer. care", "care", True),
        ("ældre æ ældreomsorg", "ældre", True),
        ("ab ab ab", "ab ab", False),
        ("", "x", False),
    ],
)
def test_matches_are_those_of_the_word_boundary_pattern(text, literal, whole) -> None:
    """The `str.find` matcher finds what `(?<!\\w)literal(?!\\w)` would, in the same
    places (non-overlapping, left to right), letters of any script counting as word
    characters and an underscore too."""
    pattern = r"(?<!\w)" + re.escape(literal) + (r"(?!\w)" if whole else "")
    expected = [m.span() for m in re.finditer(pattern, text)]
    assert list(_matches(text, literal, whole)) == expected


def test_the_outcome_metrics_translation_is_shown_metric_for_metric() -> None:
    """Outcomes are a snippet's text too: a Danish query is shown the Danish outcome
    metrics when every metric has a Danish definition, and never half a translation."""
    metrics = [
        OutcomeMetric(
            definition="Stable housing",
            definition_i18n={"da": "Stabil bolig"},
            target_population="Homeless young people",
            target_population_i18n={"da": "Hjemløse unge"},
        ),
        OutcomeMetric(definition="Into work", definition_i18n={"da": "I job"}),
    ]
    case = Case(id="c", title="T", outcome_metrics=metrics)
    assert outcomes_text(case, "da") == "Stabil bolig: Hjemløse unge; I job"
    groups = [["hjemløse", "homeless"]]
    s = snippet(case, groups[0], groups=groups, nordic=True)
    assert (s.kind, s.lang, marked(s)) == ("outcomes", "da", ["Hjemløse"])
    half = case.model_copy(update={"outcome_metrics": [metrics[0], OutcomeMetric(definition="X")]})
    assert outcomes_text(half, "da") == ""
    assert snippet(half, groups[0], groups=groups, nordic=True).lang is None
