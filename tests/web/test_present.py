"""What the case and result views derive from a Case: years, periods, links, citation, snippets."""

from __future__ import annotations

from datetime import date
from typing import get_args

from corpus.model import Case, Link, PartialDate, Party, Provenance
from corpus.provider_models import LEFT_UNKNOWN
from search.results import Snippet, SnippetKind
from search.snippets import highlights
from web import present
from web.i18n import Translator


def d(text: str) -> PartialDate:
    return PartialDate.parse(text)  # type: ignore[return-value]


def test_years_from_start_and_end() -> None:
    case = Case(id="x", title="X")
    assert present.years(case) == ""
    case.dates = {"service_start": d("2016-03")}
    assert present.years(case) == "2016–"
    case.dates["anticipated_end"] = d("2019")
    assert present.years(case) == "2016–2019"
    case.dates["completed"] = d("2020-01")  # what happened wins over what was expected
    assert present.years(case) == "2016–2020"
    assert present.years(Case(id="y", title="Y", dates={"completed": d("2018")})) == "2018"


def test_periods_read_in_the_reader_language() -> None:
    en = Translator("en")
    assert present.period(d("2021"), d("2022"), en) == "2021 – 2022"
    assert present.period(d("2021"), None, en) == "2021 –"
    assert present.period(None, d("2022"), en) == "– 2022"
    assert present.period(None, None, en) == ""


def test_only_web_addresses_are_links() -> None:
    assert present.safe_url(" https://example.org/a ") == "https://example.org/a"
    assert present.safe_url("JavaScript:alert(1)") is None
    assert present.safe_url("data:text/html,x") is None
    assert present.safe_url(None) is None
    kept = present.links([Link(url="ftp://x"), Link(title="Report"), Link(url="http://a")])
    assert [(x.url, x.title) for x in kept] == [(None, "Report"), ("http://a", None)]


def test_parties_come_in_a_fixed_role_order() -> None:
    case = Case(
        id="x",
        title="X",
        parties=[
            Party(name="B", role="investor"),
            Party(name="A", role="outcome_payer"),
            Party(name="C", role="investor"),
        ],
    )
    assert [(r, [p.name for p in ps]) for r, ps in present.parties_by_role(case)] == [
        ("outcome_payer", ["A"]),
        ("investor", ["B", "C"]),
    ]


def test_summaries_put_the_reader_language_first_then_english() -> None:
    case = Case(id="x", title="X", summary={"sv": "S", "en": "E", "da": "D"})
    assert [k for k, _ in present.summaries(case, "da")] == ["da", "en", "sv"]
    assert [k for k, _ in present.summaries(case, "en")] == ["en", "da", "sv"]


def test_citation_credits_indigo_only_for_indigo_data() -> None:
    t = Translator("en")
    indigo = Case(
        id="indigo-poj-0001",
        title="A bond",
        external_ids={"indigo": "INDIGO-POJ-0001"},
        provenance=[Provenance(source="indigo", record_id="INDIGO-POJ-0001")],
    )
    text = present.cite(indigo, "http://h/cases/indigo-poj-0001", t, today=date(2026, 1, 2))
    assert text == (
        "A bond. casebank, case indigo-poj-0001. http://h/cases/indigo-poj-0001 "
        "(accessed 2026-01-02). Data: GO Lab INDIGO, Government Outcomes Lab, University of "
        "Oxford, project INDIGO-POJ-0001."
    )
    curated = Case(id="dk-x", title="B", provenance=[Provenance(source="corpus", record_id="x")])
    assert "INDIGO" not in present.cite(curated, "http://h/cases/dk-x", t)


def test_snippet_labels_are_translated_and_name_only_snippets_dropped() -> None:
    da = Translator("da")
    summary = Snippet(kind="summary", text="Unge hjemløse", lang="da", highlights=[(5, 13)])
    assert present.snippet_parts(summary, da) == ("Resumé", "Unge hjemløse")
    # The JSON form (what the page templates get) reads the same.
    assert present.snippet_parts(summary.model_dump(mode="json"), da) == ("Resumé", "Unge hjemløse")
    assert present.snippet_parts(Snippet(kind="title", text="The title again"), da) == (None, "")
    assert present.snippet_parts(None, da) == (None, "")
    # Every kind of snippet the search service writes has a Danish word.
    assert all(da.has(f"snippet.{kind}") for kind in get_args(SnippetKind))


def test_model_basis_in_plain_words() -> None:
    da = Translator("da")
    assert present.basis("curated", da) == "fastsat af redaktionen"
    assert present.basis("curated: a note", da) == "fastsat af redaktionen: a note"
    assert present.basis(LEFT_UNKNOWN, da).startswith("redaktionen har ladt den stå som ukendt")
    assert present.basis("rule: type of X", da) == "rule: type of X"  # not the rules' own
    assert present.basis(None, da) == ""


def test_the_rules_basis_in_the_readers_words() -> None:
    """`corpus.provider_models` writes its bases as clauses; the Danish page says them in
    Danish, the editors' reasons (English) and the organisations' names as written."""
    da, en = Translator("da"), Translator("en")
    written = (
        "several kinds (commercial, public): name of Big Society Capital; "
        "override of Northern Trust: a bank; a trust company; type of Essex County Council"
    )
    assert present.basis(written, da, None, "investor_model") == (
        "flere slags (kommerciel, offentlige midler): navnet Big Society Capital; "
        "fastsat af redaktionen for Northern Trust: a bank; a trust company; "
        "organisationstypen for Essex County Council"
    )
    assert present.basis(written, en, None, "investor_model") == written.replace(
        "public)", "public money)"
    )
    # The provider model's values, not the investor model's.
    assert present.basis("several kinds (nonprofit, public): type of A", da) == (
        "flere slags (nonprofit, offentlig): organisationstypen for A"
    )
    none = "no party with a known type or telling name"
    assert present.basis(none, da) == "ingen part med kendt type eller sigende navn"
    assert present.basis(none, en) == none
    assert present.basis("role category of X", da) == "rollekategorien for X"


def test_the_basis_the_rules_write_is_said_in_danish() -> None:
    """The rules' own output, not a copy of their wording, read back on a Danish page."""
    from corpus.model import Case, Party
    from corpus.provider_models import infer_investor_model

    case = Case(
        id="c",
        title="T",
        parties=[
            Party(name="Fonden X", role="investor", org_type="foundation"),
            Party(name="Y Municipality", role="investor", org_type="government"),
        ],
    )
    model, written = infer_investor_model(case)
    assert model == "mixed" and written.startswith("several kinds")
    said = present.basis(written, Translator("da"), case, "investor_model")
    assert said.startswith("flere slags (")
    assert "organisationstypen for Fonden X" in said and " of " not in said


def test_texts_come_in_the_reader_language_with_their_own_language() -> None:
    from web.present import guess_language, localized

    assert localized({"da": "Bolig"}, "Housing", "da") == present.Text("Bolig", "da")
    assert localized({"da": "Bolig"}, "Housing", "en") == present.Text("Housing", "en")
    assert localized({"sv": "Boende"}, "Boende", "da").lang == "sv"
    assert localized({}, None, "da") is None
    assert localized({"en": "Only English"}, None, "da") == present.Text("Only English", "en")
    assert guess_language("Unge hjemløse", ["DK"]) == "da"
    assert guess_language("Stöd vid demens", ["SE"]) == "sv"
    assert guess_language("Lasten hyvinvointi ja yhteisöt", ["FI"]) == "fi"
    assert guess_language("Job til flygtninge i Herning", ["DK"]) == "da"
    assert guess_language("Housing First for young people in Odense", ["DK"]) == "en"
    assert guess_language("Odense", ["DK"]) == "en"
    # INDIGO's project names in other languages (a screen reader reads them in theirs).
    said = "Retour et maintien dans l'emploi des chômeurs longue durée"
    assert guess_language(said, ["FR"]) == "fr"
    assert guess_language("ENVIE AUTONOMIE, L'ECONOMIE CIRCULAIRE DES AIDES", ["FR"]) == "fr"
    assert guess_language("Promoción de la Retención y Asistencia Escolar", ["CL"]) == "es"
    assert guess_language("Aprender e Ensinar Matematica Com a Khan Academy (Norte)") == "pt"
    assert guess_language("Los Angeles County Reentry", ["US"]) == "en"  # one word: a name
    # An English name with a Finnish or Swedish place in it is English.
    assert guess_language("Lapset SIB Hämeenlinna - Icehearts teams for children", ["FI"]) == "en"


def test_highlights_mark_words_and_escape_everything_else() -> None:
    text = "Housing <b>First</b> for homeless youth"
    spans = highlights(text, ["housing", "hjemløse", "homelessness"])
    assert [text[a:b] for a, b in spans] == ["Housing", "homeless"]
    html = str(present.marked(text, spans))
    assert html == "<mark>Housing</mark> &lt;b&gt;First&lt;/b&gt; for <mark>homeless</mark> youth"
    # Spans from the search service: overlapping or out of range ones are skipped.
    assert str(present.marked("abc", [(0, 2), (1, 3), (5, 9)])) == "<mark>ab</mark>c"
    assert str(present.marked("abc", [{"start": 1, "end": 2}])) == "a<mark>b</mark>c"


def test_sources_are_listed_once_per_page() -> None:
    links = [
        Link(url="https://www.dsi.dk/a/"),
        Link(url="http://dsi.dk/a", title="DSI"),
        Link(url="https://dsi.dk/b"),
    ]
    kept = present.dedupe_links(links)
    assert [(x.url, x.title) for x in kept] == [
        ("https://www.dsi.dk/a/", "DSI"),
        ("https://dsi.dk/b", None),
    ]


def test_other_names_leave_out_the_title_shown() -> None:
    case = Case(
        id="x",
        title="Housing First for young homeless people (Aarhus)",
        title_i18n={"da": "Forebyggelse af ungdomshjemløshed i Aarhus"},
        alt_names=[
            "Forebyggelse af  ungdomshjemløshed i Aarhus",
            "Reducing Homelessness - DK",
            "Reducing homelessness - DK",
        ],
    )
    # A Danish reader sees the Danish title: the English one is another name, the
    # Danish one a source also lists (spaced and cased otherwise) is not repeated.
    assert present.other_names(case, "Forebyggelse af ungdomshjemløshed i Aarhus") == [
        "Housing First for young homeless people (Aarhus)",
        "Reducing Homelessness - DK",
    ]
    assert present.other_names(case, case.title) == [
        "Forebyggelse af  ungdomshjemløshed i Aarhus",
        "Reducing Homelessness - DK",
    ]
    # The shown title without the place the editors added in brackets says nothing new.
    named = case.model_copy(update={"alt_names": ["Housing First for young homeless people"]})
    assert present.other_names(named, case.title) == []


def test_a_long_compare_text_shows_its_first_sentences_then_the_rest() -> None:
    short = present.Text("One sentence only.", "en")
    assert present.lead_and_rest(short) == (short, None)
    long = present.Text("First sentence here. " * 10 + "A last sentence without end " * 10, "en")
    lead, rest = present.lead_and_rest(long)
    assert lead.text.endswith(".") and len(lead.text) <= present.LEAD
    assert lead.lang == rest.lang == "en"
    assert f"{lead.text} {rest.text}" == long.text.strip()
    # No sentence ends early enough: cut between words, nothing lost.
    words = "word " * 200
    lead, rest = present.lead_and_rest(words)
    assert not lead.endswith(" ") and f"{lead} {rest}" == words.strip()
