"""Glossary forms matched by the stems of their dictionary lemmas (simplemma's Danish,
Swedish and Finnish dictionaries, look-up only): inflections that share no Snowball stem
meet their form, a word the dictionaries do not list stays as typed, and the rule can be
switched off. The dictionaries are built into tries on first use, kept in the user's
cache directory (see `search.glossary._lemmatizer`)."""

from __future__ import annotations

from pathlib import Path

from search.expansion import expand
from search.glossary import Glossary, lemmas, load_glossary, snowball, stem_keys


def _glossary(tmp_path: Path, body: str):
    path = tmp_path / "g.yaml"
    path.write_text("domain: t\nentries:\n" + body, encoding="utf-8")
    return load_glossary(path)


def test_lemmas_meet_where_snowball_stems_do_not():
    # Finnish consonant gradation and case endings: two stems, one lemma.
    assert snowball(("sijoitusten",), "fi") != snowball(("sijoituksen",), "fi")
    assert lemmas(("sijoitusten",), "fi") == lemmas(("sijoituksen",), "fi") == ("sijoitus",)
    assert lemmas(("kunnissa",), "fi") == lemmas(("kunnille",), "fi") == ("kunta",)
    assert lemmas(("børnene",), "da") == ("barn",)


def test_a_word_the_dictionaries_lack_stays_as_typed():
    assert lemmas(("xyzzyqq", "bikubenfonden"), "da") == ("xyzzyqq", "bikubenfonden")
    assert stem_keys(("xyzzyqq",), "fi", use_lemmas=False) == {"fi": ("xyzzyq",)}


def test_a_phrase_in_another_inflection_matches_by_its_lemmas(tmp_path):
    g = _glossary(
        tmp_path,
        "  - id: edge_of_care\n    en: [edge of care]\n    fi: [sijoituksen ehkäisy]\n",
    )
    assert [m.concept.id for m in g.find("sijoitusten ehkäisy")] == ["edge_of_care"]
    plain = Glossary(list(g.concepts.values()), g.forms, use_lemmas=False)
    assert plain.find("sijoitusten ehkäisy") == []
    # A stem match decides as it did before the lemmas: the written form is found.
    assert [m.form for m in g.find("sijoituksen ehkäisy")] == ["sijoituksen ehkäisy"]


def test_a_short_lemma_matches_as_the_word_it_is(tmp_path):
    # `uhri` stems to `uhr`, too short to match by; the lemma itself is a word.
    g = _glossary(tmp_path, "  - id: victims\n    en: [victims]\n    fi: [uhri]\n")
    assert [m.concept.id for m in g.find("rikosten uhrit")] == ["victims"]
    assert Glossary(list(g.concepts.values()), g.forms, use_lemmas=False).find("uhrit") == []


def test_shipped_glossary_renders_an_unlisted_inflection():
    # The files write `tyypin 2 diabetes`; the query's genitive `diabeteksen` meets
    # the form's `diabetes` by their lemma, so the phrase is found whole.
    assert expand("tyypin 2 diabeteksen ehkäisy").translated == "diabetes prevention"
    off = Glossary(list(load_glossary().concepts.values()), load_glossary().forms, use_lemmas=False)
    assert off.expand("tyypin 2 diabeteksen ehkäisy").translated_query.startswith("tyypin")


def test_a_lemma_of_another_word_is_no_match():
    """Found by a sweep of simplemma's whole dictionaries through the glossary: a
    modal verb read as a homograph (Swedish `ska` as `skola`, school), positives met
    through their comparatives' lemmas (`god` through `bedre`, improve; `gamla`
    through `äldre`), `växa` (grow) through `vuxna` (adults)."""
    g = load_glossary()
    for word in ("ska", "skulle", "god", "bra", "mange", "små", "gamla", "växer"):
        assert g.find(word) == [], word
    # The inflections the lemmas are for still meet (the files write `sijoituksen`).
    assert [m.concept.id for m in g.find("sijoitusten ehkäisy")] == ["edge-of-care"]
