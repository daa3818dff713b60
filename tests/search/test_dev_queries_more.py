"""bench/dev_queries_more.json, the second development relevance set: it has the format
of ../shared/eval/dev_queries.json, every judged id is a real INDIGO project, and it
covers all four languages with at least 60 queries plus a list of nonsense queries."""

from __future__ import annotations

import csv
import json
from collections import Counter
from pathlib import Path

DEV = Path(__file__).resolve().parents[2] / "bench" / "dev_queries_more.json"


def _load() -> dict:
    return json.loads(DEV.read_text(encoding="utf-8"))


def test_format_languages_and_size():
    data = _load()
    assert set(data) == {"about", "sets", "queries", "nomatch_queries"}
    queries = data["queries"]
    assert len(queries) >= 60
    assert len({q["id"] for q in queries}) == len(queries)
    langs = Counter(q["lang"] for q in queries)
    assert set(langs) == {"da", "en", "sv", "fi"} and all(n >= 12 for n in langs.values())
    assert langs["da"] == max(langs.values())
    for q in queries:
        assert q["q"].strip() and q["set"] in data["sets"], q
    for name, grades in data["sets"].items():
        assert set(grades) <= {"1", "2"} and grades.get("2"), name
        assert not set(grades["2"]) & set(grades.get("1", [])), name
    assert {q["set"] for q in queries} == set(data["sets"])
    assert len(data["nomatch_queries"]) >= 5


def test_judged_ids_are_indigo_projects(indigo_csv_dir):
    with (indigo_csv_dir / "projects.csv").open(encoding="utf-8") as f:
        ids = {row["ID"].removeprefix("INDIGO-POJ-") for row in csv.DictReader(f)}
    judged = {i for g in _load()["sets"].values() for ids_ in g.values() for i in ids_}
    assert judged and judged <= ids, sorted(judged - ids)
