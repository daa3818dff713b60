"""The relevance sets of our own in bench/: `dev_queries_more.json` (the second
development set) and `heldout_queries.json` to `heldout8_queries.json` (held out, never
tuned on). All have the format of ../shared/eval/dev_queries.json, every judged id is a
real INDIGO project, and they cover all four languages; the development set has at least
60 queries plus a list of nonsense queries. Also the real queries of the relevance bar's
probe and the target-group labels the similar-cases benchmark reads."""

from __future__ import annotations

import csv
import json
from collections import Counter
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench"
DEV = BENCH / "dev_queries_more.json"
HELDOUTS = [BENCH / f"heldout{n}_queries.json" for n in ("", "2", "3", "4", "5", "6", "7", "8")]
HELDOUT_IDS = [p.name.removesuffix("_queries.json") for p in HELDOUTS]


def _load(path: Path = DEV) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def _check_sets(data: dict) -> Counter:
    """The shared file's rules for queries and graded sets; the queries per language."""
    queries = data["queries"]
    assert len({q["id"] for q in queries}) == len(queries)
    for q in queries:
        assert q["q"].strip() and q["set"] in data["sets"], q
    for name, grades in data["sets"].items():
        assert set(grades) <= {"1", "2"} and grades.get("2"), name
        assert not set(grades["2"]) & set(grades.get("1", [])), name
    assert {q["set"] for q in queries} == set(data["sets"])
    return Counter(q["lang"] for q in queries)


def test_format_languages_and_size():
    data = _load()
    assert set(data) == {"about", "sets", "queries", "nomatch_queries"}
    assert len(data["queries"]) >= 60
    langs = _check_sets(data)
    assert set(langs) == {"da", "en", "sv", "fi"} and all(n >= 12 for n in langs.values())
    assert langs["da"] == max(langs.values())
    assert len(data["nomatch_queries"]) >= 5


@pytest.mark.parametrize("path", HELDOUTS, ids=HELDOUT_IDS)
def test_heldout_set_has_the_shared_format_in_every_language(path: Path):
    data = _load(path)
    assert set(data) == {"about", "sets", "queries"}  # as ../shared/eval/dev_queries.json
    langs = _check_sets(data)
    assert set(langs) == {"da", "en", "sv", "fi"} and all(n >= 10 for n in langs.values())
    assert "never used to tune" in data["about"]


@pytest.mark.parametrize("path", [DEV, *HELDOUTS], ids=["dev", *HELDOUT_IDS])
def test_judged_ids_are_indigo_projects(indigo_csv_dir, path: Path):
    with (indigo_csv_dir / "projects.csv").open(encoding="utf-8") as f:
        ids = {row["ID"].removeprefix("INDIGO-POJ-") for row in csv.DictReader(f)}
    judged = {i for g in _load(path)["sets"].values() for ids_ in g.values() for i in ids_}
    assert judged and judged <= ids, sorted(judged - ids)


@pytest.mark.parametrize("name", ["match_probe_queries.json", "match_probe2_queries.json"])
def test_match_probe_has_real_queries_in_every_language_that_fit_real_projects(
    indigo_csv_dir, name: str
):
    """`bench/match_probe*_queries.json`: the real queries the relevance bar must accept
    (`bench/bench_search_quality.py` counts those with a match), 10 per language, each
    with the INDIGO projects its topic fits."""
    data = _load(BENCH / name)
    assert set(data) == {"about", "queries"}
    queries = data["queries"]
    assert len({q["id"] for q in queries}) == len(queries) == 40
    assert Counter(q["lang"] for q in queries) == {"da": 10, "en": 10, "sv": 10, "fi": 10}
    with (indigo_csv_dir / "projects.csv").open(encoding="utf-8") as f:
        ids = {row["ID"].removeprefix("INDIGO-POJ-") for row in csv.DictReader(f)}
    for q in queries:
        assert q["q"].strip() and q["fits"] and set(q["fits"]) <= ids, q


def test_target_group_labels_are_from_their_list_and_name_real_cases(indigo_csv_dir):
    """`bench/target_groups.json` (what `bench/bench_similar.py` measures similar cases
    by): 1-3 labels a case, each from the file's own list of groups, and every labelled
    INDIGO project is in the export (the curated ids are checked by the benchmark, which
    counts the curated cases it finds unlabelled)."""
    data = _load(BENCH / "target_groups.json")
    assert set(data) == {"about", "groups", "labels", "notes"}
    assert "never used to tune" in data["about"]
    groups = set(data["groups"])
    assert len(groups) == 22 and "other" in groups
    for cid, labels in data["labels"].items():
        assert 1 <= len(labels) <= 3 and len(set(labels)) == len(labels), cid
        assert set(labels) <= groups, cid
    assert set(data["notes"]) <= set(data["labels"])
    with (indigo_csv_dir / "projects.csv").open(encoding="utf-8") as f:
        ids = {row["ID"].lower() for row in csv.DictReader(f)}
    indigo = {c for c in data["labels"] if c.startswith("indigo-poj-")}
    assert len(indigo) >= 290 and indigo <= ids, sorted(indigo - ids)
