"""Glossary forms matched by their Snowball stems (Danish, Swedish, Finnish): a query
word or phrase in an inflection the files do not list meets its form, a stem that two
concepts share matches neither, and unrelated words stay unmatched. A compound the files
do not list is split into the forms it is made of."""

from __future__ import annotations

from pathlib import Path

from search.expansion import expand
from search.glossary import load_glossary, snowball


def _glossary(tmp_path: Path, body: str):
    path = tmp_path / "g.yaml"
    path.write_text("domain: t\nentries:\n" + body, encoding="utf-8")
    return load_glossary(path)


def test_snowball_stems_meet_across_inflections():
    assert snowball(("ensomme",), "da") == snowball(("ensomhed",), "da") == ("ensom",)
    assert snowball(("hemlösa",), "sv") == snowball(("hemlöshet",), "sv")
    assert snowball(("perhe",), "fi") == snowball(("perheille",), "fi")


def test_a_word_in_another_inflection_matches_its_form(tmp_path):
    g = _glossary(
        tmp_path,
        "  - id: loneliness\n    en: [loneliness]\n    da: [ensomme]\n    sv: [ensamhet]\n",
    )
    assert [m.concept.id for m in g.find("ensomhed hos ældre")] == ["loneliness"]
    assert [m.form for m in g.find("ensomhed")] == ["ensomme"]
    assert g.find("ensamheten")  # Swedish definite form
    assert g.find("ensidig") == []  # another word with the same first letters


def test_a_phrase_in_other_inflections_matches_its_form(tmp_path):
    g = _glossary(
        tmp_path,
        "  - id: entrenched\n    en: [entrenched rough sleepers]\n    da: [langvarigt hjemløse]\n",
    )
    found = g.find("borgere i langvarig hjemløshed")
    assert [m.concept.id for m in found] == ["entrenched"]
    assert found[0].start == len("borgere i ")
    # One of the words alone is not the phrase.
    assert g.find("langvarig sygdom") == []


def test_a_stem_shared_by_two_concepts_matches_neither(tmp_path):
    g = _glossary(
        tmp_path,
        "  - id: a\n    en: [homelessness]\n    da: [hjemløshed]\n"
        "  - id: b\n    en: [homeless people]\n    da: [hjemløse]\n",
    )
    # Each written form still matches its own concept...
    assert [m.concept.id for m in g.find("hjemløshed")] == ["a"]
    assert [m.concept.id for m in g.find("hjemløse")] == ["b"]
    # ...but the inflection they share ("hjemløs") is no evidence for either.
    assert g.find("hjemløs") == []


def test_shipped_glossary_translates_unlisted_inflections():
    translated = expand("langvarige hjemløse i Aarhus").translated or ""
    assert translated.startswith("entrenched rough sleepers")
    # Nonsense and recipes stay untranslated.
    assert expand("kanelbullar recept").translated is None
    assert expand("lasagne med spinat").translated is None


def test_an_unlisted_compound_is_split_into_its_forms(tmp_path):
    g = _glossary(
        tmp_path,
        "  - id: homelessness\n    en: [homelessness]\n    da: [hjemløshed*]\n"
        "  - id: prevention\n    en: [prevention]\n    da: [forebyggelse]\n"
        "  - id: treatment\n    en: [treatment]\n    da: [=behandling]\n"
        "  - id: stress\n    en: [stress]\n    da: [stress]\n",
    )
    # Linking -s- between the parts; the parts are said in the query's order.
    exp = g.expand("hjemløshedsforebyggelse")
    assert [m.concept.id for m in exp.matches] == ["homelessness", "prevention"]
    assert exp.translated_query == "homelessness prevention"
    # The other way round, and without a linking letter.
    assert [m.concept.id for m in g.find("forebyggelseshjemløshed")] == [
        "prevention",
        "homelessness",
    ]
    # An exact-only form is found in a longer word only as all of the rest after a
    # known part (the compound's head), never alone or before another part; a rest
    # shorter than a part is none.
    assert [m.concept.id for m in g.find("stressbehandling")] == ["stress", "treatment"]
    assert [m.concept.id for m in g.find("behandlingsstress")] == ["stress"]
    assert g.find("sagsbehandling") == []
    assert [m.concept.id for m in g.find("hjemløshedsråd")] == ["homelessness"]


def test_a_form_marked_never_a_head_is_not_found_at_the_end_of_a_compound(tmp_path):
    g = _glossary(
        tmp_path,
        "  - id: education\n    en: [education]\n    da: [uddannelse*]\n"
        "  - id: residential-care\n    en: [residential care]\n    da: [==institution]\n"
        "  - id: treatment\n    en: [treatment]\n    da: [=behandling]\n",
    )
    # Alone it is a form like `=behandling`, and the English term shows no marks.
    assert [m.concept.id for m in g.find("institution")] == ["residential-care"]
    assert g.concepts["residential-care"].english == ("residential care",)
    # A school is no residential care: after a known part it names nothing...
    assert [m.concept.id for m in g.find("uddannelsesinstitution")] == ["education"]
    # ...where a plain exact-only form is the compound's head.
    assert [m.concept.id for m in g.find("uddannelsesbehandling")] == [
        "education",
        "treatment",
    ]


def test_shipped_glossary_heads_and_living_at_home():
    # Heads whose sense depends on the first part are marked `==`.
    assert expand("uddannelsesinstitution").translated == "education"
    assert expand("familjebanden").translated == "family"
    assert "residential care" in (expand("anbragt på institution").translated or "")
    # Living on at home is the self-reliance the case texts of older people describe.
    for q in ("ældre der bor hjemme", "äldre som bor hemma", "kotona asuvat ikääntyneet"):
        assert "independence" in (expand(q).translated or ""), q
    # Back to one's job after sick leave is return to work, not labour market integration.
    assert expand("sygemeldte tilbage i arbejde").translated == "sick leave return to work"
    assert expand("langtidsledige i arbejde").translated == (
        "long-term unemployment labour market integration"
    )


def test_shipped_glossary_splits_unlisted_compounds():
    exp = expand("misbrugsforebyggelse blandt unge")
    assert (exp.translated or "").startswith("substance misuse prevention")


def test_the_rules_for_unlisted_forms_can_be_switched_off():
    from search.glossary import Glossary

    g = load_glossary()
    plain = Glossary(list(g.concepts.values()), g.forms, use_snowball=False, split_compounds=False)
    assert [m.concept.id for m in plain.find("langvarige hjemløse")] != [
        m.concept.id for m in g.find("langvarige hjemløse")
    ]
    assert len(plain.find("misbrugsforebyggelse")) == 1 < len(g.find("misbrugsforebyggelse"))


def test_an_unknown_first_part_of_a_compound_stays_a_word(tmp_path):
    g = _glossary(
        tmp_path,
        "  - id: outcomes\n    en: [outcomes]\n    sv: [resultat]\n"
        "  - id: homelessness\n    en: [homelessness]\n    sv: [hemlöshet*]\n",
    )
    exp = g.expand("fotbollsresultat")
    assert [(m.concept.id, m.modifier) for m in exp.matches] == [("outcomes", "fotboll")]
    assert exp.translated_query == "fotboll outcomes"
    # A known first part, or none, is no modifier.
    assert [m.modifier for m in g.find("hemlöshetsresultat")] == ["", ""]
    assert [m.modifier for m in g.find("resultatet")] == [""]


def test_a_form_behind_a_few_letters_that_are_no_word_is_no_part(tmp_path):
    """Found by helper glossary6's sweep: `eksport` had matched sport (physical
    activity), `bekræfte` kræft (cancer), `retfærdighed` færdighed (skills)."""
    g = _glossary(
        tmp_path,
        "  - id: outcomes\n    en: [outcomes]\n    sv: [resultat]\n"
        "  - id: cancer\n    en: [cancer]\n    da: [kræft]\n"
        "  - id: safety\n    en: [safety]\n    da: [tryghed*]\n    sv: [trygga]\n",
    )
    assert g.find("ekoresultat") == [] and g.find("bekræfte") == []
    # A negation is a part of its word: unsafe is about safety.
    assert [m.concept.id for m in g.find("utryghed")] == ["safety"]
    assert [m.concept.id for m in g.find("otrygga")] == ["safety"]
    # A first part of a word's length is still a compound's: fotboll + resultat.
    assert [m.concept.id for m in g.find("fotbollsresultat")] == ["outcomes"]


def test_the_unknown_part_is_a_lexical_part_of_its_own():
    groups = expand("fotbollsresultat").groups
    assert ["fotboll"] in groups
    assert any("outcomes" in g for g in groups)
