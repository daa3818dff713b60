"""The glossary's general matching rules (session 3): phrases matched by their content
words across a query's function words, Finnish consonant gradation as a rule, the
translated query in English (function words too, each concept once), a Nordic phrase as
one lexical alternative, and the corpus vocabulary list the glossary is written from."""

from __future__ import annotations

from pathlib import Path

import pytest

from corpus.model import Case, OutcomeMetric
from search.expansion import expand
from search.glossary import load_glossary, weak_grade
from search.glossary.vocabulary import frequencies


@pytest.fixture(scope="module")
def glossary():
    return load_glossary()


def _write(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "g.yaml"
    path.write_text(body, encoding="utf-8")
    return path


def test_phrase_matches_across_the_querys_function_words(tmp_path):
    path = _write(
        tmp_path,
        "domain: t\nentries:\n"
        "  - id: neet\n    en: [NEET young people]\n"
        "    da: [hverken i job eller uddannelse]\n",
    )
    g = load_glossary(path)
    # The query has "er" where the form has nothing, and the form's "i" and "eller".
    found = g.find("unge der hverken er i job eller uddannelse")
    assert [m.concept.id for m in found] == ["neet"]
    assert found[0].end == len("unge der hverken er i job eller uddannelse")
    # Content words in another order, or too many function words between, do not match.
    assert g.find("uddannelse eller job hverken") == []
    assert g.find("hverken er i og af job eller uddannelse") == []


def test_shipped_glossary_finds_gapped_phrases(glossary):
    ids = [m.concept.id for m in glossary.find("unge der hverken er i job eller uddannelse")]
    assert "neet" in ids


@pytest.mark.parametrize(
    ("form", "stem", "weak"),
    [
        ("hoito", False, "hoido"),  # t -> d between vowels
        ("tupakointi", False, "tupakoinni"),  # nt -> nn
        ("sijaishuolto", True, "sijaishuollo"),  # lt -> ll, a stem ending in a vowel
        ("elintap", True, "elintav"),  # p -> v at a stem's end
        ("asunto", False, "asunno"),
        ("koulutus", False, None),  # ends in a consonant: no strong grade
        ("lapsi", False, None),  # ps does not alternate
        ("koti", False, None),  # kodi would be too short to be specific
    ],
)
def test_weak_grade_rule(form, stem, weak):
    assert weak_grade(form, stem) == weak


def test_finnish_weak_grade_matches_without_a_hand_written_form(tmp_path):
    path = _write(
        tmp_path,
        "domain: t\nentries:\n"
        "  - id: out-of-home-care\n    en: [out-of-home care]\n    fi: [sijaishuolto*]\n"
        "  - id: home-care\n    en: [home care]\n    fi: [kotihoito]\n",
    )
    g = load_glossary(path)
    assert [m.concept.id for m in g.find("sijaishuollossa")] == ["out-of-home-care"]
    assert [m.concept.id for m in g.find("kotihoidon asiakkaat")] == ["home-care"]
    # Only Finnish forms are graded.
    danish = _write(
        tmp_path, "domain: t\nentries:\n  - id: x\n    en: [placement]\n    da: [anbringelse]\n"
    )
    assert load_glossary(danish).find("anbringelde") == []


def test_translated_query_is_english_and_names_each_concept_once(glossary):
    t = glossary.expand("job til tidligere soldater med PTSD").translated_query
    words = t.split()
    assert "til" not in words and "med" not in words
    assert "for" in words and "with" in words
    # Finnish "olevat" (being) is dropped rather than left in.
    t = glossary.expand("syrjäytymisvaarassa olevat nuoret").translated_query
    assert "olevat" not in t
    # Two words for the same concept give its English term once.
    t = glossary.expand("huostaanotetut lapset sijaishuollossa").translated_query
    term = glossary.concepts["placement-in-care"].term
    assert t.count(term) == 1
    # An acronym is not followed by itself when its concept's term is the acronym.
    t = glossary.expand("veteraner med PTSD").translated_query
    assert "PTSD (PTSD)" not in t
    # An acronym beside its concept's own words names the concept once, either way round.
    for query in ("IPS job med støtte til psykisk sårbare", "job med støtte og IPS"):
        t = glossary.expand(query).translated_query
        assert t.count("Individual Placement and Support") == 1 and "IPS" in t, t
    # A Nordic word beside an English one of the same concept, either way round.
    for query in ("angst og depression", "depression og angst", "ångest och depression"):
        assert glossary.expand(query).translated_query.count("depression") == 1, query


def test_nordic_phrase_is_one_lexical_alternative_english_words_stay_separate():
    groups = expand("anbragte børn").groups
    group = next(g for g in groups if "anbragte børn" in g)
    assert "børn" not in group and "anbragte" not in group
    assert all(g != ["børn"] for g in groups)  # nor a part of its own
    # An English query's words are what the texts say: kept one by one, with synonyms.
    groups = expand("young people leaving care for work").groups
    leavers = next(g for g in groups if "care leavers" in g)
    assert {"young", "people", "leaving", "care"} <= set(leavers)


def test_prevention_and_early_intervention_are_separate(glossary):
    assert [m.concept.id for m in glossary.find("forebyggelse")] == ["prevention"]
    assert [m.concept.id for m in glossary.find("ehkäisy")] == ["prevention"]
    assert [m.concept.id for m in glossary.find("tidlig indsats")] == ["early-intervention"]


def test_general_words_map_without_swallowing_other_words(glossary):
    assert [m.concept.id for m in glossary.find("bedre")] == ["improve"]
    assert [m.concept.id for m in glossary.find("forbedret")] == ["improve"]
    assert [m.concept.id for m in glossary.find("18-årige")] == ["aged"]
    # "varige" (lasting) contains "årige" after folding: exact forms keep it out.
    assert "aged" not in [m.concept.id for m in glossary.find("varige")]


def test_vocabulary_counts_terms_once_per_case_and_skips_function_words():
    cases = [
        Case(
            id="a",
            title="A",
            intervention="Housing First for homeless people. Housing First again.",
            outcome_metrics=[OutcomeMetric(definition="Sustained tenancy of the homeless")],
        ),
        Case(id="b", title="B", target_population="Homeless people aged 18-24"),
        Case(id="c", title="C", social_challenge="Youth unemployment"),
    ]
    df = frequencies(cases)
    assert df["housing first"] == 1  # twice in one case counts once
    assert df["homeless"] == 2
    assert df["homeless people"] == 2
    assert df["sustained tenancy"] == 1
    assert "for homeless" not in df and "of the" not in df  # function word at an edge
    assert "the" not in df


def test_translation_drops_function_words_left_dangling(glossary):
    # "til" before the second naming of one concept, "vid" before a repeat, "til" at
    # the end.
    t = glossary.expand("efterværn og job til unge der forlader en anbringelse")
    assert t.translated_query == "care leavers and job"
    assert glossary.expand("demensvård och stöd vid demens").translated_query == (
        "dementia and support"
    )
    assert glossary.expand("hjemløse unge og boliger til").translated_query == (
        "youth homelessness and housing"
    )
    # Function words between two concepts stay; no double spaces.
    assert glossary.expand("flyktingar till arbete").translated_query == "refugees for employment"
